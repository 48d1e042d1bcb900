"""edge.events: read-only typed views of the CloudFront Lambda@Edge events."""

import copy

import pytest

from edge.events import OriginResponse, ViewerRequest, header_value, header_values
from tests.conftest import load_event, origin_event, viewer_event


def test_viewer_request_fields_from_the_documented_event() -> None:
    view = ViewerRequest(load_event("viewer-request"))
    assert view.uri == "/photos/cat.png"
    assert view.querystring == "w=300"
    assert view.event_type == "viewer-request"
    assert view.request_id == "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="
    assert view.accept.startswith("image/avif,image/webp")
    assert view.request["method"] == "GET"


def test_accept_joins_every_value_and_is_empty_when_absent() -> None:
    event = viewer_event("/a.png")
    headers = event["Records"][0]["cf"]["request"]["headers"]
    headers["accept"] = [{"key": "Accept", "value": "image/webp"}, {"key": "Accept", "value": "image/avif"}]
    assert ViewerRequest(event).accept == "image/webp, image/avif"
    del headers["accept"]
    assert ViewerRequest(event).accept == ""


def test_missing_querystring_and_config_read_as_empty() -> None:
    event = viewer_event("/a.png")
    cf = event["Records"][0]["cf"]
    del cf["request"]["querystring"]
    del cf["config"]
    view = ViewerRequest(event)
    assert view.querystring == ""
    assert view.request_id == ""
    assert view.event_type == ""


def test_header_helpers_are_case_insensitive_on_the_name() -> None:
    headers = {"x-a": [{"key": "X-A", "value": "1"}, {"key": "X-A", "value": "2"}]}
    assert header_value(headers, "X-A") == "1"
    assert header_values(headers, "x-a") == ["1", "2"]
    assert header_value(headers, "x-b") is None
    assert header_values(headers, "x-b") == []
    assert header_value({"x-e": []}, "x-e") is None


def test_forwarded_rewrites_a_copy_and_leaves_the_event_alone() -> None:
    event = viewer_event("/photos/cat.png", "w=300", headers={"x-imgedge-original": "/spoofed.png"})
    before = copy.deepcopy(event)
    view = ViewerRequest(event)
    request = view.forwarded(
        uri="/300/photos/cat.avif",
        set_headers={"x-imgedge-original": "/photos/cat.png"},
        drop_headers=("x-imgedge-original",),
    )
    assert event == before
    assert request["uri"] == "/300/photos/cat.avif"
    assert request["querystring"] == ""
    assert request["headers"]["x-imgedge-original"] == [{"key": "x-imgedge-original", "value": "/photos/cat.png"}]
    assert request["headers"]["host"] == before["Records"][0]["cf"]["request"]["headers"]["host"]
    assert request["method"] == "GET"


def test_forwarded_without_uri_keeps_uri_and_query_and_drops_headers() -> None:
    event = viewer_event("/a.png", "utm=1", headers={"x-imgedge-original": "/spoofed.png"})
    request = ViewerRequest(event).forwarded(drop_headers=("x-imgedge-original", "not-there"))
    assert request["uri"] == "/a.png"
    assert request["querystring"] == "utm=1"
    assert "x-imgedge-original" not in request["headers"]
    assert "x-imgedge-original" in event["Records"][0]["cf"]["request"]["headers"]


def test_forwarded_creates_headers_when_the_request_has_none() -> None:
    event = viewer_event("/a.png")
    del event["Records"][0]["cf"]["request"]["headers"]
    request = ViewerRequest(event).forwarded(set_headers={"x-a": "1"})
    assert request["headers"] == {"x-a": [{"key": "x-a", "value": "1"}]}


def test_origin_response_fields() -> None:
    view = OriginResponse(origin_event(404, "/300/photos/cat.avif", "/photos/cat.png"))
    assert view.status == 404
    assert view.uri == "/300/photos/cat.avif"
    assert view.event_type == "origin-response"
    assert view.request_header("X-Imgedge-Original") == "/photos/cat.png"
    assert view.response["statusDescription"] == "Not Found"
    assert view.response_headers["transfer-encoding"][0]["value"] == "chunked"
    assert view.s3_origin == ("imgedge-test-bucket", "us-east-1")


def test_origin_response_without_marker() -> None:
    view = OriginResponse(origin_event(403, "/300/photos/cat.avif", None))
    assert view.status == 403
    assert view.request_header("x-imgedge-original") is None


@pytest.mark.parametrize(("status", "expected"), [(200, 200), (304, 304)])
def test_origin_response_status_is_an_int(status: int, expected: int) -> None:
    assert OriginResponse(origin_event(status, "/300/a.avif", None)).status == expected


@pytest.mark.parametrize(
    ("domain", "region", "expected"),
    [
        ("my-bucket.s3.eu-west-1.amazonaws.com", None, ("my-bucket", "eu-west-1")),
        ("my-bucket.s3.eu-west-1.amazonaws.com", "eu-west-1", ("my-bucket", "eu-west-1")),
        ("my-bucket.s3.amazonaws.com", "us-east-1", ("my-bucket", "us-east-1")),
        ("my-bucket.s3.amazonaws.com", None, ("my-bucket", None)),
        ("my-bucket.s3-ap-southeast-2.amazonaws.com", None, ("my-bucket", "ap-southeast-2")),
        ("my-bucket.s3.dualstack.us-west-2.amazonaws.com", None, ("my-bucket", "us-west-2")),
        ("my.dotted.bucket.s3.us-gov-west-1.amazonaws.com", None, ("my.dotted.bucket", "us-gov-west-1")),
        ("bucket.s3.cn-north-1.amazonaws.com.cn", None, ("bucket", "cn-north-1")),
        ("my.s3.bucket.s3.eu-west-1.amazonaws.com", None, ("my.s3.bucket", "eu-west-1")),
        ("a-s3-b.s3-eu-west-1.amazonaws.com", None, ("a-s3-b", "eu-west-1")),
        ("bucket.s3.eu-west-1.amazonaws.com", "eu-central-1", ("bucket", "eu-central-1")),
        ("example.com", "eu-west-1", (None, "eu-west-1")),
        ("", None, (None, None)),
    ],
)
def test_s3_origin_from_the_domain_name(
    domain: str, region: str | None, expected: tuple[str | None, str | None]
) -> None:
    event = origin_event(404, "/300/a.avif", None)
    s3 = event["Records"][0]["cf"]["request"]["origin"]["s3"]
    s3["domainName"] = domain
    if region is None:
        del s3["region"]
    else:
        s3["region"] = region
    assert OriginResponse(event).s3_origin == expected


def test_custom_origin_has_no_s3_bucket() -> None:
    event = origin_event(404, "/300/a.avif", None)
    event["Records"][0]["cf"]["request"]["origin"] = {"custom": {"domainName": "example.com"}}
    assert OriginResponse(event).s3_origin == (None, None)
    del event["Records"][0]["cf"]["request"]["origin"]
    assert OriginResponse(event).s3_origin == (None, None)
