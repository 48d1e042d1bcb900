"""``Monitoring``: what an operator sees and is told: a CloudWatch dashboard, alarms, CloudFront's additional
metrics and the edge functions' log retention in every region they run in.

Where the numbers live:
- CloudFront (``AWS/CloudFront``, dimensions ``DistributionId`` and ``Region=Global``), WAF for a CLOUDFRONT ACL
  (``AWS/WAFV2``, ``WebACL`` and ``Rule``) and the purge queue (``AWS/SQS``): us-east-1.
- Lambda@Edge (``AWS/Lambda``) and the origin-response EMF metrics (``imgedge``, see ``edge.log``): in each region
  where an edge location ran the function, under the function name ``us-east-1.<name>``. A dashboard may show
  metrics of any region, so it has one row per region of ``regions``; an alarm may only watch metrics of its own
  region, so the edge-function alarm watches CloudFront's own Lambda@Edge error metrics (us-east-1, all regions).

Log retention: Lambda@Edge creates ``/aws/lambda/us-east-1.<name>`` in each region on first use, with no
retention. A custom resource (``runtime/edge_log_retention.py``, one function in us-east-1) creates the groups in
every region of ``regions`` and sets the retention, at every deployment. The alternative, one small stack per
region, would need a CDK bootstrap and a deployment per region; StackSets need an administration role. A region
not listed still gets groups without retention when traffic reaches it: list it in ``monitoring_regions``.
"""

from pathlib import Path

from aws_cdk import Acknowledgment, Aws, CustomResource, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from edge.log import BYTES_OUT, METRIC_NAMESPACE, MISSES, OUTCOMES, RENDER_MS
from imgedge_cdk.props import ImageEdgeProps, PriceClass

EDGE_REGION = "us-east-1"
FIVE_MINUTES = Duration.minutes(5)
RETENTION_HANDLER = Path(__file__).parent / "runtime" / "edge_log_retention.py"
# The AWS regions whose Lambda@Edge replicas serve each price class: the regions of CloudFront's regional edge
# caches in the class's geography (origin-facing functions run at the regional edge caches). This is the
# construct's reading of the CloudFront docs, not a list AWS publishes per price class: the CloudFront console's
# Lambda@Edge metrics show the regions that actually ran a function; add any other with `monitoring_regions`.
PRICE_CLASS_REGIONS: dict[PriceClass, tuple[str, ...]] = {
    PriceClass.PRICE_CLASS_100: ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1"),
    PriceClass.PRICE_CLASS_200: (
        "us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
        "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
    ),
    PriceClass.PRICE_CLASS_ALL: (
        "us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
        "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
    ),
}  # fmt: skip
# CloudFront's metrics of the Lambda@Edge functions of a distribution (us-east-1, every region together).
EDGE_ERROR_METRICS = ("LambdaExecutionError", "LambdaValidationError", "LambdaLimitExceededErrors")


def monitoring_regions(props: ImageEdgeProps) -> tuple[str, ...]:
    """``monitoring_regions`` when set, else the regions of the price class (us-east-1 always first)."""
    regions = props.monitoring_regions or PRICE_CLASS_REGIONS[PriceClass(props.price_class)]
    return (EDGE_REGION, *(r for r in regions if r != EDGE_REGION))


def _cloudfront(metric: str, distribution_id: str, statistic: str, label: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name=metric,
        dimensions_map={"DistributionId": distribution_id, "Region": "Global"},
        statistic=statistic,
        period=FIVE_MINUTES,
        region=EDGE_REGION,
        label=label,
    )


def _edge_lambda(metric: str, function_name: str, region: str, statistic: str, label: str) -> cloudwatch.Metric:
    # Lambda@Edge replicas report under "us-east-1.<name>" in the region that ran them.
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions_map={"FunctionName": f"{EDGE_REGION}.{function_name}"},
        statistic=statistic,
        period=FIVE_MINUTES,
        region=region,
        label=label,
    )


def _miss_metric(metric: str, outcome: str, region: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=metric,
        dimensions_map={"outcome": outcome},
        statistic=statistic,
        period=FIVE_MINUTES,
        region=region,
        label=f"{outcome} {statistic}",
    )


def _waf(metric: str, web_acl_metric_name: str, rule: str) -> cloudwatch.Metric:
    # A CLOUDFRONT-scope ACL reports in us-east-1 with dimensions WebACL and Rule (no Region dimension).
    return cloudwatch.Metric(
        namespace="AWS/WAFV2",
        metric_name=metric,
        dimensions_map={"WebACL": web_acl_metric_name, "Rule": rule},
        statistic="Sum",
        period=FIVE_MINUTES,
        region=EDGE_REGION,
        label=f"{metric} ({rule})",
    )


class Monitoring(Construct):
    """Dashboard, alarms, the CloudFront monitoring subscription and the edge log groups' retention.

    ``web_acl_metric_name`` is the ``WebACL`` dimension of the stack's own ACL (None: no WAF widgets or alarm;
    an imported ACL's metric name is not known to the stack). ``purge_failures`` is the purge-on-change failure
    queue, when there is one. ``alarms`` lists the alarms; ``topic`` is the SNS topic they notify, if any.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ImageEdgeProps,
        distribution: cloudfront.IDistribution,
        viewer_function_name: str,
        origin_function_name: str,
        web_acl_metric_name: str | None,
        purge_failures: sqs.IQueue | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.regions = monitoring_regions(props)
        distribution_id = distribution.distribution_id
        if props.cloudfront_additional_metrics:
            cloudfront.CfnMonitoringSubscription(
                self,
                "AdditionalMetrics",
                distribution_id=distribution_id,
                monitoring_subscription=cloudfront.CfnMonitoringSubscription.MonitoringSubscriptionProperty(
                    realtime_metrics_subscription_config=cloudfront.CfnMonitoringSubscription.RealtimeMetricsSubscriptionConfigProperty(
                        realtime_metrics_subscription_status="Enabled"
                    )
                ),
            )
        self.topic = self._topic(props)
        self.alarms = self._alarms(props, distribution_id, web_acl_metric_name, purge_failures)
        if self.topic is not None:
            for alarm in self.alarms:
                alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"imgedge-{Stack.of(self).stack_name}",
            default_interval=Duration.hours(3),
        )
        self._widgets(props, distribution_id, origin_function_name, web_acl_metric_name, purge_failures)
        self._log_retention(props, (viewer_function_name, origin_function_name))

    # --- alarms -------------------------------------------------------------------------------------------

    def _topic(self, props: ImageEdgeProps) -> sns.ITopic | None:
        if props.alarm_topic_arn is not None:
            return sns.Topic.from_topic_arn(self, "AlarmTopic", props.alarm_topic_arn)
        if props.alarm_email is None:
            return None
        topic = sns.Topic(self, "AlarmTopic", display_name="imgedge alarms", enforce_ssl=True)
        topic.add_subscription(subscriptions.EmailSubscription(props.alarm_email))
        return topic

    def _alarms(
        self,
        props: ImageEdgeProps,
        distribution_id: str,
        web_acl_metric_name: str | None,
        purge_failures: sqs.IQueue | None,
    ) -> list[cloudwatch.Alarm]:
        alarms = [
            cloudwatch.Alarm(
                self,
                "ServerErrorRate",
                alarm_description=f"imgedge: more than {props.alarm_server_error_percent}% of viewer requests answered "
                "5xx over 5 minutes (alarm_server_error_percent)",
                metric=_cloudfront("5xxErrorRate", distribution_id, "Average", "5xx error rate"),
                threshold=props.alarm_server_error_percent,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "EdgeFunctionErrors",
                alarm_description=f"imgedge: more than {props.alarm_origin_errors} Lambda@Edge execution errors, "
                "invalid responses or throttles in 5 minutes, all regions (alarm_origin_errors)",
                metric=cloudwatch.MathExpression(
                    expression=" + ".join(f"FILL(e{i}, 0)" for i in range(len(EDGE_ERROR_METRICS))),
                    using_metrics={
                        f"e{i}": _cloudfront(name, distribution_id, "Sum", name)
                        for i, name in enumerate(EDGE_ERROR_METRICS)
                    },
                    period=FIVE_MINUTES,
                    label="edge function errors and throttles",
                ),
                threshold=props.alarm_origin_errors,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
        if purge_failures is not None:
            alarms.append(
                cloudwatch.Alarm(
                    self,
                    "PurgeFailuresQueued",
                    alarm_description="imgedge: a purge failed after Lambda's retries; replay it with "
                    "`imgedge purge --replay-failed <PurgeFailuresQueueUrl> --distribution-id <DistributionId>`",
                    metric=purge_failures.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum"
                    ),
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        if web_acl_metric_name is not None:
            alarms.append(
                cloudwatch.Alarm(
                    self,
                    "WafBlockedSpike",
                    alarm_description=f"imgedge: the WAF blocked more than {props.alarm_waf_blocked} requests in 5 "
                    "minutes (alarm_waf_blocked): an attack, or a rule blocking real viewers",
                    metric=_waf("BlockedRequests", web_acl_metric_name, "ALL"),
                    threshold=props.alarm_waf_blocked,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        return alarms

    # --- dashboard ----------------------------------------------------------------------------------------

    def _widgets(
        self,
        props: ImageEdgeProps,
        distribution_id: str,
        origin_function_name: str,
        web_acl_metric_name: str | None,
        purge_failures: sqs.IQueue | None,
    ) -> None:
        def cf(metric: str, statistic: str, label: str) -> cloudwatch.Metric:
            return _cloudfront(metric, distribution_id, statistic, label)

        add = self.dashboard.add_widgets
        add(
            cloudwatch.TextWidget(
                markdown="## imgedge\nCloudFront and WAF metrics are global (us-east-1); each origin-response row "
                "is one region where edge locations ran the function. See docs/operate.md.",
                width=24,
                height=2,
            )
        )
        rates = [cf("4xxErrorRate", "Average", "4xx %"), cf("5xxErrorRate", "Average", "5xx %")]
        hit_rate = [cf("CacheHitRate", "Average", "cache hit %")] if props.cloudfront_additional_metrics else []
        add(
            cloudwatch.GraphWidget(title="CloudFront requests", left=[cf("Requests", "Sum", "requests")], width=6),
            cloudwatch.GraphWidget(
                title="CloudFront bytes", left=[cf("BytesDownloaded", "Sum", "bytes downloaded")], width=6
            ),
            cloudwatch.GraphWidget(title="CloudFront error rates (%)", left=rates, width=6),
            cloudwatch.GraphWidget(
                title="Cache hit rate (%)" if hit_rate else "Cache hit rate (additional metrics off)",
                left=hit_rate,
                width=6,
            ),
        )
        add(
            cloudwatch.GraphWidget(
                title="Lambda@Edge errors and throttles (all regions, CloudFront)",
                left=[cf(name, "Sum", name) for name in EDGE_ERROR_METRICS],
                width=24 if web_acl_metric_name is None else 12,
            ),
            *(
                [
                    cloudwatch.GraphWidget(
                        title="WAF requests",
                        left=[
                            _waf("AllowedRequests", web_acl_metric_name, "ALL"),
                            _waf("BlockedRequests", web_acl_metric_name, "ALL"),
                            _waf("BlockedRequests", web_acl_metric_name, "imgedge-RateLimit"),
                        ],
                        width=12,
                    )
                ]
                if web_acl_metric_name is not None
                else []
            ),
        )
        for region in self.regions:
            name = origin_function_name
            add(
                cloudwatch.GraphWidget(
                    title=f"origin-response {region}: invocations, errors, throttles",
                    left=[
                        _edge_lambda("Invocations", name, region, "Sum", "invocations"),
                        _edge_lambda("Errors", name, region, "Sum", "errors"),
                        _edge_lambda("Throttles", name, region, "Sum", "throttles"),
                    ],
                    width=8,
                ),
                cloudwatch.GraphWidget(
                    title=f"origin-response {region}: duration (ms)",
                    left=[_edge_lambda("Duration", name, region, stat, stat) for stat in ("p50", "p90", "p99")],
                    width=8,
                ),
                cloudwatch.GraphWidget(
                    title=f"misses {region}: outcomes, render ms p90, bytes out",
                    left=[_miss_metric(MISSES, outcome, region, "Sum") for outcome in OUTCOMES],
                    right=[
                        _miss_metric(RENDER_MS, "stored", region, "p90"),
                        _miss_metric(BYTES_OUT, "stored", region, "Average"),
                    ],
                    width=8,
                ),
            )
        if purge_failures is not None:
            add(
                cloudwatch.GraphWidget(
                    title="purge-on-change: failed events waiting for replay",
                    left=[purge_failures.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES)],
                    width=12,
                ),
                cloudwatch.AlarmStatusWidget(alarms=self.alarms, title="imgedge alarms", width=12),
            )
        else:
            add(cloudwatch.AlarmStatusWidget(alarms=self.alarms, title="imgedge alarms", width=24))

    # --- log retention ------------------------------------------------------------------------------------

    def _log_retention(self, props: ImageEdgeProps, function_names: tuple[str, ...]) -> None:
        regions = [region for region in self.regions if region != EDGE_REGION]  # us-east-1: the construct's groups
        if not regions:
            return
        names = [f"/aws/lambda/{EDGE_REGION}.{name}" for name in function_names]
        log_group = logs.LogGroup(self, "RetentionLogGroup", removal_policy=RemovalPolicy.DESTROY)
        cfn_log_group = log_group.node.default_child
        assert isinstance(cfn_log_group, logs.CfnLogGroup)
        cfn_log_group.retention_in_days = props.log_retention_days
        role = iam.Role(
            self,
            "RetentionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="imgedge: create the Lambda@Edge log groups in each region and set their retention",
            inline_policies={
                "EdgeLogGroups": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="EdgeLogGroupRetention",
                            actions=["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                            resources=[
                                f"arn:{Aws.PARTITION}:logs:{region}:{Aws.ACCOUNT_ID}:log-group:{name}"
                                for region in regions
                                for name in names
                            ],
                        ),
                        iam.PolicyStatement(
                            sid="OwnLogs",
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[log_group.log_group_arn],
                        ),
                    ]
                )
            },
        )
        function = lambda_.Function(
            self,
            "RetentionFunction",
            code=lambda_.Code.from_asset(str(RETENTION_HANDLER.parent), exclude=["__pycache__", "*.pyc"]),
            handler=f"{RETENTION_HANDLER.stem}.handler",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.X86_64,
            timeout=Duration.minutes(2),
            memory_size=128,
            role=role,
            log_group=log_group,
            description="imgedge: set the retention of the Lambda@Edge log groups in every region they run in",
        )
        self.log_retention = CustomResource(
            self,
            "EdgeLogRetention",
            service_token=function.function_arn,
            resource_type="Custom::ImgEdgeEdgeLogRetention",
            properties={
                "LogGroupNames": names,
                "Regions": regions,
                "RetentionInDays": str(props.log_retention_days),
            },
        )
        Validations.of(function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Python 3.13 is pinned deliberately, the runtime of every other imgedge function; this one "
                "runs only during deployments.",
            )
        )
