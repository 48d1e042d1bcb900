"""The dashboard, alarms, CloudFront additional metrics and the edge log groups' retention in every region."""

import json
from collections.abc import Callable
from typing import Any

from imgedge_cdk.monitoring import PRICE_CLASS_REGIONS, monitoring_regions
from imgedge_cdk.props import ImageEdgeProps, PriceClass
from tests.cdk.conftest import TOPIC_ARN, Synthesized

Variant = Callable[[str], Synthesized]
ORIGIN_HANDLER = "origin_response.handler.handler"
VIEWER_HANDLER = "viewer_request.handler.handler"


def _dashboard(synth: Synthesized) -> dict[str, Any]:
    """The dashboard body, with CloudFormation's joins resolved to the logical ids (``${Ref}``) they reference."""
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else f"${{{next(iter(part.values()))}}}" for part in parts)
    result: dict[str, Any] = json.loads(text)
    return result


def _metrics(widget: dict[str, Any]) -> list[list[Any]]:
    return list(widget.get("properties", {}).get("metrics", []))


def _dimensions(metric: list[Any]) -> dict[str, Any]:
    """The dimensions of a dashboard metric array: namespace, name, then name/value pairs, then options."""
    pairs = [part for part in metric[2:] if not isinstance(part, dict)]
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


def _alarms(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in synth.resources("AWS::CloudWatch::Alarm").items()}


def _metric(alarm: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(name, namespace, dimensions) of a single-metric alarm, in either of CloudFormation's two forms."""
    if "MetricName" in alarm:
        metric = alarm
    else:
        (query,) = alarm["Metrics"]
        metric = query["MetricStat"]["Metric"]
    dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
    return metric["MetricName"], metric["Namespace"], dimensions


def _alarm(synth: Synthesized, prefix: str) -> dict[str, Any]:
    (alarm,) = [v for k, v in _alarms(synth).items() if k.startswith(f"Monitoring{prefix}")]
    return alarm


def test_additional_metrics_are_on_by_default_and_can_be_turned_off(synth_variant: Variant) -> None:
    default = synth_variant("default")
    distribution_id, _ = default.one("AWS::CloudFront::Distribution")
    _, subscription = default.one("AWS::CloudFront::MonitoringSubscription")
    assert subscription["Properties"] == {
        "DistributionId": {"Ref": distribution_id},
        "MonitoringSubscription": {
            "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}
        },
    }
    assert synth_variant("waf_none").resources("AWS::CloudFront::MonitoringSubscription") == {}


def test_default_regions_follow_the_price_class() -> None:
    assert monitoring_regions(ImageEdgeProps()) == PRICE_CLASS_REGIONS[PriceClass.PRICE_CLASS_100]
    every = monitoring_regions(ImageEdgeProps(price_class=PriceClass.PRICE_CLASS_ALL))
    assert set(PRICE_CLASS_REGIONS[PriceClass.PRICE_CLASS_200]) < set(every)
    assert monitoring_regions(ImageEdgeProps(monitoring_regions=("eu-west-1",))) == ("us-east-1", "eu-west-1")
    for regions in PRICE_CLASS_REGIONS.values():
        assert regions[0] == "us-east-1"


def test_dashboard_has_cloudfront_waf_and_a_row_of_origin_response_metrics_per_region(synth_variant: Variant) -> None:
    full = synth_variant("full")
    distribution_id, _ = full.one("AWS::CloudFront::Distribution")
    origin_id, _ = full.function(ORIGIN_HANDLER)
    widgets = _dashboard(full)["widgets"]
    cloudfront = {m[1] for w in widgets for m in _metrics(w) if m[0] == "AWS/CloudFront"}
    assert {"Requests", "BytesDownloaded", "4xxErrorRate", "5xxErrorRate", "CacheHitRate"} <= cloudfront
    for metric in (m for w in widgets for m in _metrics(w) if m[0] == "AWS/CloudFront"):
        assert _dimensions(metric) == {"DistributionId": f"${{{distribution_id}}}", "Region": "Global"}
    waf = {(m[1], _dimensions(m)["Rule"]) for w in widgets for m in _metrics(w) if m[0] == "AWS/WAFV2"}
    assert {("AllowedRequests", "ALL"), ("BlockedRequests", "ALL")} <= waf
    # Lambda@Edge metrics: the replica's name is "us-east-1.<function>", in the region that ran it.
    lambda_regions: dict[str, set[str]] = {}
    for widget in widgets:
        for metric in _metrics(widget):
            if metric[0] == "AWS/Lambda":
                assert _dimensions(metric) == {"FunctionName": f"us-east-1.${{{origin_id}}}"}
                lambda_regions.setdefault(metric[1], set()).add(metric[-1]["region"])
    regions = {"us-east-1", "eu-west-1", "ap-southeast-2"}
    assert lambda_regions == dict.fromkeys(("Invocations", "Errors", "Throttles", "Duration"), regions)
    durations = {m[-1]["stat"] for w in widgets for m in _metrics(w) if m[:2] == ["AWS/Lambda", "Duration"]}
    assert durations == {"p50", "p90", "p99"}
    emf = {(m[1], m[-1]["region"]) for w in widgets for m in _metrics(w) if m[0] == "imgedge"}
    assert {(name, region) for name in ("Misses", "RenderMs", "BytesOut") for region in regions} == emf


def test_default_dashboard_covers_the_price_class_regions(default_app: Synthesized) -> None:
    widgets = _dashboard(default_app)["widgets"]
    regions = {m[-1]["region"] for w in widgets for m in _metrics(w) if m[0] == "AWS/Lambda"}
    assert regions == set(PRICE_CLASS_REGIONS[PriceClass.PRICE_CLASS_100])


def test_alarms_and_their_default_thresholds(default_app: Synthesized) -> None:
    rate = _alarm(default_app, "ServerErrorRate")
    assert _metric(rate)[:2] == ("5xxErrorRate", "AWS/CloudFront")
    assert rate["Threshold"] == 1
    assert rate["ComparisonOperator"] == "GreaterThanThreshold"
    edge = _alarm(default_app, "EdgeFunctionErrors")
    assert edge["Threshold"] == 5
    used = {m["MetricStat"]["Metric"]["MetricName"] for m in edge["Metrics"] if "MetricStat" in m}
    assert used == {"LambdaExecutionError", "LambdaValidationError", "LambdaLimitExceededErrors"}
    waf = _alarm(default_app, "WafBlockedSpike")
    assert _metric(waf) == ("BlockedRequests", "AWS/WAFV2", {"WebACL": "imgedge-WebAcl", "Rule": "ALL"})
    assert waf["Threshold"] == 1000
    assert not any(k.startswith("MonitoringPurgeFailuresQueued") for k in _alarms(default_app))
    for alarm in _alarms(default_app).values():
        assert alarm["TreatMissingData"] == "notBreaching"
        assert "AlarmActions" not in alarm  # no topic configured


def test_thresholds_are_settings_and_email_gets_a_topic(synth_variant: Variant) -> None:
    full = synth_variant("full")
    assert _alarm(full, "ServerErrorRate")["Threshold"] == 2.5
    assert _alarm(full, "EdgeFunctionErrors")["Threshold"] == 20
    assert _alarm(full, "WafBlockedSpike")["Threshold"] == 5000
    topic_id, _ = full.one("AWS::SNS::Topic")
    _, subscription = full.one("AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    for alarm in _alarms(full).values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_an_existing_topic_and_the_purge_failure_alarm(synth_variant: Variant) -> None:
    purge = synth_variant("purge")
    assert purge.resources("AWS::SNS::Topic") == {}
    queue_id, _ = purge.one("AWS::SQS::Queue")
    queued = _alarm(purge, "PurgeFailuresQueued")
    assert _metric(queued) == (
        "ApproximateNumberOfMessagesVisible",
        "AWS/SQS",
        {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}},
    )
    assert (queued["Threshold"], queued["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    for alarm in _alarms(purge).values():
        assert alarm["AlarmActions"] == [TOPIC_ARN]


def test_edge_log_groups_get_retention_in_every_other_region(synth_variant: Variant) -> None:
    full = synth_variant("full")
    (resource,) = full.resources("Custom::ImgEdgeEdgeLogRetention").values()
    props = resource["Properties"]
    assert props["Regions"] == ["eu-west-1", "ap-southeast-2"]  # us-east-1's groups are the construct's own
    assert props["RetentionInDays"] == "90"
    names = {
        "".join(p if isinstance(p, str) else "${{{}}}".format(p["Ref"]) for p in name["Fn::Join"][1])
        for name in props["LogGroupNames"]
    }
    viewer_id, _ = full.function(VIEWER_HANDLER)
    origin_id, _ = full.function(ORIGIN_HANDLER)
    assert names == {f"/aws/lambda/us-east-1.${{{viewer_id}}}", f"/aws/lambda/us-east-1.${{{origin_id}}}"}
    handler_id, handler = full.function("edge_log_retention.handler")
    assert props["ServiceToken"] == {"Fn::GetAtt": [handler_id, "Arn"]}
    role_id = handler["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = full.resources("AWS::IAM::Role")[role_id]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["EdgeLogGroupRetention"]["Action"] == ["logs:CreateLogGroup", "logs:PutRetentionPolicy"]
    resources = statements["EdgeLogGroupRetention"]["Resource"]
    assert len(resources) == 4  # two groups in each of the two regions, no wildcard
    assert all("*" not in json.dumps(r) for r in resources)


def test_dashboard_is_named_after_the_stack_and_output(default_app: Synthesized) -> None:
    _, dashboard = default_app.one("AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == "imgedge-ImgEdge"
    assert default_app.template_json["Outputs"]["DashboardName"]["Value"] == {
        "Ref": default_app.one("AWS::CloudWatch::Dashboard")[0]
    }
