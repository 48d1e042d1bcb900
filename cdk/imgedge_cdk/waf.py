"""``ImageEdgeWebAcl``: the WAF web ACL (scope CLOUDFRONT) in front of the imgedge distribution.

Rules, cheapest first (WAF evaluates by priority and stops at the first terminating action):
0. ``AWSManagedRulesAmazonIpReputationList``: known bots and malicious IPs (25 WCU).
1. ``RateLimit``: block an IP above ``rate_limit`` requests per 5 minutes; renders cost Lambda time, so floods of
   distinct sizes are the main abuse to stop.
2. ``AWSManagedRulesCommonRuleSet``: OWASP-style common exploits (700 WCU).
3. ``AWSManagedRulesKnownBadInputsRuleSet``: request patterns of known exploits (Log4j, ...).
Total stays below the 1,500 WCU included in the base price. Every rule and the ACL publish CloudWatch metrics and
sampled requests. A CLOUDFRONT-scope ACL must be created in us-east-1.
"""

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
RATE_RULE_NAME = "RateLimit"
RATE_WINDOW_SECONDS = 300


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


class ImageEdgeWebAcl(Construct):
    """A CLOUDFRONT web ACL: default allow, three AWS managed rule groups and a per-IP rate limit.

    ``rate_limit`` is requests per client IP per 5-minute window (validated by ``ImageEdgeProps``).
    ``arn`` is what ``cloudfront.Distribution(web_acl_id=...)`` takes for WAFv2.
    """

    def __init__(self, scope: Construct, construct_id: str, *, rate_limit: int, metric_prefix: str = "imgedge") -> None:
        super().__init__(scope, construct_id)
        ip_reputation, common, bad_inputs = MANAGED_RULE_GROUPS
        rate_rule = wafv2.CfnWebACL.RuleProperty(
            name=RATE_RULE_NAME,
            priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=RATE_WINDOW_SECONDS
                )
            ),
            visibility_config=_visibility(f"{metric_prefix}-{RATE_RULE_NAME}"),
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            description="imgedge: managed rule groups and a per-IP rate limit in front of the image CDN",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{metric_prefix}-WebAcl"),
            rules=[
                _managed_rule(ip_reputation, 0, metric_prefix),
                rate_rule,
                _managed_rule(common, 2, metric_prefix),
                _managed_rule(bad_inputs, 3, metric_prefix),
            ],
        )

    @property
    def arn(self) -> str:
        """The web ACL's ARN (a token), for ``Distribution(web_acl_id=...)``."""
        return self.web_acl.attr_arn
