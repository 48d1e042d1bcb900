"""``ImageEdgeWebAcl``: the WAF web ACL (scope CLOUDFRONT) in front of the imgedge distribution.

Rules, cheapest first (WAF evaluates by priority and stops at the first terminating action):
0. ``AWSManagedRulesAmazonIpReputationList``: known bots and malicious IPs (25 WCU).
1. ``RateLimit``: block an IP above ``rate_limit`` *render-capable* requests per 5 minutes. Renders cost Lambda
   time; plain originals, favicons and the like cost nothing, so the rule counts only requests that can cause a
   render (``render_capable_statement``): a query string naming an image parameter, a path whose first segment
   is spec-shaped (a direct variant key, rendered on a miss), or any method but GET/HEAD.
2. ``AWSManagedRulesCommonRuleSet``: OWASP-style common exploits (700 WCU).
3. ``AWSManagedRulesKnownBadInputsRuleSet``: request patterns of known exploits (Log4j, ...).
Total stays below the 1,500 WCU included in the base price. Every rule and the ACL publish CloudWatch metrics and
sampled requests. A CLOUDFRONT-scope ACL must be created in us-east-1.

IPv6: a rate-based rule aggregates by the whole source address (``AggregateKeyType`` ``IP``, ``FORWARDED_IP``,
``CUSTOM_KEYS`` or ``CONSTANT``; custom keys are an IP, a forwarded IP, a header, cookie, query argument, query
string, URI path, HTTP method, label namespace, ASN or TLS fingerprint). WAF offers no prefix aggregation, so one
client holding an IPv6 /64 can spread its requests over many addresses; the docs (docs/operate.md) state the gap.

Logging (``logging``): ``cloudwatch`` sends WAF logs to a log group ``aws-waf-logs-<stack>`` with the given
retention; ``s3`` to a bucket ``aws-waf-logs-<account>-<stack>`` (WAF requires the ``aws-waf-logs-`` prefix).
"""

from aws_cdk import Acknowledgment, ArnFormat, Aws, RemovalPolicy, Stack, Validations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from edge.dialects import QUERY_ALIASES
from edge.query import PARAMETERS
from imgedge_cdk.log_buckets import log_bucket

MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
RATE_RULE_NAME = "RateLimit"
RATE_WINDOW_SECONDS = 300
WAF_LOG_PREFIX = "aws-waf-logs-"
WAF_LOG_EXPIRY_DAYS = 90
# A query string naming one of the image parameters (after URL decoding, so `%77=` counts as `w=`).
IMAGE_QUERY_REGEX = "(?:^|&)(?:" + "|".join(PARAMETERS) + ")="
# A first path segment shaped like a variant spec (`/300/`, `/x200/`, `/300x200-contain/`): a direct variant key.
SPEC_PATH_REGEX = "^/x?[1-9][0-9]*(?:[-x/])"
# With url_dialects (edge.dialects), the dialect spellings that can render: the query aliases (`width=`), a thumbor
# path (after an optional `unsafe/`: `fit-in/`, a size `300x200/`, `-300x/`, or `filters:`; thumbor's other
# leading options are refused or need a size after them), and a SIH base64 JSON path (`/eyJ...`, no dot).
ALIAS_QUERY_REGEX = "(?:^|&)(?:" + "|".join(QUERY_ALIASES) + ")="
THUMBOR_PATH_REGEX = "^/(?:unsafe/)?(?:fit-in/|-?[0-9]*x-?[0-9]*/|filters:)"
SIH_PATH_REGEX = "^/ey[^.]*$"
_URL_DECODE = [wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="URL_DECODE")]
_NO_TRANSFORMATION = [wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _managed_rule(name: str, priority: int, metric_prefix: str) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(vendor_name="AWS", name=name)
        ),
        visibility_config=_visibility(f"{metric_prefix}-{name}"),
    )


def _method_is(method: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string=method,
            text_transformations=_NO_TRANSFORMATION,
        )
    )


def _regex(pattern: str, field: wafv2.CfnWebACL.FieldToMatchProperty) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
            field_to_match=field, regex_string=pattern, text_transformations=_URL_DECODE
        )
    )


def render_capable_statement(url_dialects: tuple[str, ...] = ()) -> wafv2.CfnWebACL.StatementProperty:
    """Matches the requests that can cause a render: an image parameter in the query string, a spec-shaped first
    path segment, or a method other than GET and HEAD, and with ``url_dialects`` the spellings of each dialect
    enabled (``ALIAS_QUERY_REGEX``, ``THUMBOR_PATH_REGEX``, ``SIH_PATH_REGEX``): a dialect is no way around the
    rate rule. Cache hits of plain originals never match."""
    not_get_or_head = wafv2.CfnWebACL.StatementProperty(
        not_statement=wafv2.CfnWebACL.NotStatementProperty(
            statement=wafv2.CfnWebACL.StatementProperty(
                or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=[_method_is("GET"), _method_is("HEAD")])
            )
        )
    )
    query = wafv2.CfnWebACL.FieldToMatchProperty(query_string={})
    path = wafv2.CfnWebACL.FieldToMatchProperty(uri_path={})
    dialects = [
        _regex(pattern, field)
        for dialect, pattern, field in (
            ("query_aliases", ALIAS_QUERY_REGEX, query),
            ("thumbor", THUMBOR_PATH_REGEX, path),
            ("sih", SIH_PATH_REGEX, path),
        )
        if dialect in url_dialects
    ]
    return wafv2.CfnWebACL.StatementProperty(
        or_statement=wafv2.CfnWebACL.OrStatementProperty(
            statements=[_regex(IMAGE_QUERY_REGEX, query), _regex(SPEC_PATH_REGEX, path), not_get_or_head, *dialects]
        )
    )


class ImageEdgeWebAcl(Construct):
    """A CLOUDFRONT web ACL: default allow, three AWS managed rule groups and a per-IP rate limit on renders.

    ``rate_limit`` is render-capable requests per client IP per 5-minute window (validated by ``ImageEdgeProps``).
    ``logging`` is ``off``, ``cloudwatch`` or ``s3``; ``log_retention_days`` the log group's retention;
    ``url_dialects`` the enabled dialects, whose spellings the rate rule counts too.
    ``arn`` is what ``cloudfront.Distribution(web_acl_id=...)`` takes for WAFv2; ``metric_name`` the ACL's
    CloudWatch ``WebACL`` dimension.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rate_limit: int,
        metric_prefix: str = "imgedge",
        logging: str = "off",
        log_retention_days: int = 30,
        url_dialects: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        ip_reputation, common, bad_inputs = MANAGED_RULE_GROUPS
        rate_rule = wafv2.CfnWebACL.RuleProperty(
            name=RATE_RULE_NAME,
            priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=rate_limit,
                    aggregate_key_type="IP",
                    evaluation_window_sec=RATE_WINDOW_SECONDS,
                    scope_down_statement=render_capable_statement(url_dialects),
                )
            ),
            visibility_config=_visibility(f"{metric_prefix}-{RATE_RULE_NAME}"),
        )
        self.metric_name = f"{metric_prefix}-WebAcl"
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            description="imgedge: managed rule groups and a per-IP rate limit on renders in front of the image CDN",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(self.metric_name),
            rules=[
                _managed_rule(ip_reputation, 0, metric_prefix),
                rate_rule,
                _managed_rule(common, 2, metric_prefix),
                _managed_rule(bad_inputs, 3, metric_prefix),
            ],
        )
        self.log_destination: logs.CfnLogGroup | s3.Bucket | None = None
        if logging == "cloudwatch":
            self._log_to_cloudwatch(log_retention_days)
        elif logging == "s3":
            self._log_to_s3()

    @property
    def arn(self) -> str:
        """The web ACL's ARN (a token), for ``Distribution(web_acl_id=...)``."""
        return self.web_acl.attr_arn

    def _log_name(self) -> str:
        stack = Stack.of(self)
        return f"{WAF_LOG_PREFIX}{stack.stack_name.lower()}"[:63].rstrip("-")

    def _log_to_cloudwatch(self, retention_days: int) -> None:
        group = logs.CfnLogGroup(self, "LogGroup", log_group_name=self._log_name(), retention_in_days=retention_days)
        group.apply_removal_policy(RemovalPolicy.DESTROY)
        self.log_destination = group
        # WAF takes the log group ARN without the ":*" suffix CloudFormation's Arn attribute carries.
        arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=self._log_name(),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        config = wafv2.CfnLoggingConfiguration(self, "Logging", resource_arn=self.arn, log_destination_configs=[arn])
        config.node.add_dependency(group)

    def _log_to_s3(self) -> None:
        name = f"{WAF_LOG_PREFIX}{Aws.ACCOUNT_ID}-{Stack.of(self).stack_name.lower()}"
        bucket = log_bucket(
            self,
            "LogBucket",
            bucket_name=name,
            expiry_days=WAF_LOG_EXPIRY_DAYS,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        )
        Validations.of(bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This bucket only receives WAF's own log delivery; logging its accesses to another bucket "
                "would log the logs (opt-in waf_logging=s3).",
            )
        )
        self.log_destination = bucket
        wafv2.CfnLoggingConfiguration(
            self, "Logging", resource_arn=self.arn, log_destination_configs=[bucket.bucket_arn]
        )
