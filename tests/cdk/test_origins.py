"""``extra_origins``: buckets, origins, behaviors, grants and outputs per extra origin (the ``origins`` variant)."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from edge.config import Config
from edge.origins import Origin
from imgedge_cdk.bundling import ORIGIN_HANDLER, VIEWER_HANDLER
from imgedge_cdk.origin_props import ExtraOrigin
from imgedge_cdk.props import ImageEdgeProps, PropsError, props_from_context
from tests.cdk.conftest import Synthesized

Variant = Callable[[str], Synthesized]
CREATED = "acme-profile-images"
IMPORTED = "acme-org-logos"


@pytest.fixture(scope="module")
def synth(synth_variant: Variant) -> Synthesized:
    return synth_variant("origins")


def _distribution_config(synth: Synthesized) -> dict[str, Any]:
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _bucket_id(synth: Synthesized, name: str) -> str:
    (found,) = [i for i, r in synth.resources("AWS::S3::Bucket").items() if r["Properties"].get("BucketName") == name]
    return found


def _extra_policy(synth: Synthesized, sid_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Sid", "").startswith(sid_prefix)
    ]


def test_one_origin_and_behavior_per_prefix_with_the_default_behaviors_settings(synth: Synthesized) -> None:
    config = _distribution_config(synth)
    origins = {o["Id"]: o for o in config["Origins"]}
    assert len(origins) == 3
    default = config["DefaultCacheBehavior"]
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert sorted(behaviors) == ["/avatars/*", "/orgs/logos/*"]
    for behavior in behaviors.values():
        same = {k: v for k, v in behavior.items() if k not in ("PathPattern", "TargetOriginId")}
        assert same == {k: v for k, v in default.items() if k != "TargetOriginId"}
        # Both edge functions, on every behavior.
        assert [a["EventType"] for a in behavior["LambdaFunctionAssociations"]] == ["viewer-request", "origin-response"]
        oai = origins[behavior["TargetOriginId"]]["S3OriginConfig"]["OriginAccessIdentity"]
        assert oai == origins[default["TargetOriginId"]]["S3OriginConfig"]["OriginAccessIdentity"]
    created = origins[behaviors["/avatars/*"]["TargetOriginId"]]
    assert created["DomainName"] == {"Fn::GetAtt": [_bucket_id(synth, CREATED), "RegionalDomainName"]}
    imported = origins[behaviors["/orgs/logos/*"]["TargetOriginId"]]
    assert imported["DomainName"] == f"{IMPORTED}.s3.eu-west-1.amazonaws.com"


def test_created_extra_bucket_is_hardened_like_the_main_one(synth: Synthesized) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    created = buckets[_bucket_id(synth, CREATED)]
    (main,) = [r for r in buckets.values() if "BucketName" not in r["Properties"]]
    assert {k: v for k, v in created["Properties"].items() if k != "BucketName"} == main["Properties"]
    assert created["DeletionPolicy"] == "Retain"
    assert IMPORTED not in json.dumps(buckets)


def test_created_extra_bucket_policy_lets_the_oai_read_and_denies_plain_http(synth: Synthesized) -> None:
    bucket_id = _bucket_id(synth, CREATED)
    (policy,) = [p for p in synth.resources("AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": bucket_id}]  # fmt: skip
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [(s["Action"], list(s["Principal"])) for s in allows] == [("s3:GetObject", ["CanonicalUser"])]
    assert any(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for s in statements)


def test_origin_response_role_reads_each_prefix_and_only_creates_in_each_bucket(synth: Synthesized) -> None:
    reads = _extra_policy(synth, "ReadOriginals")
    creates = _extra_policy(synth, "CreateObjectsOnly")
    created_arn = {"Fn::GetAtt": [_bucket_id(synth, CREATED), "Arn"]}
    assert [s["Resource"] for s in reads] == [
        {"Fn::Join": ["", [created_arn, "/avatars/*"]]},
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{IMPORTED}/orgs/logos/*"]]},
    ]
    # Creates only the prefix's variant keys ({spec}/{prefix}...), never the whole bucket.
    assert [s["Resource"] for s in creates] == [
        [{"Fn::Join": ["", [created_arn, f"/{first}*/avatars/*"]]} for first in "123456789x"],
        [
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{IMPORTED}/{first}*/orgs/logos/*"]]}
            for first in "123456789x"
        ],
    ]
    assert all(s["Action"] == "s3:GetObject" for s in reads)
    for statement in creates:
        assert statement["Action"] == "s3:PutObject"
        assert statement["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    assert len(_extra_policy(synth, "TagVariantsOnly")) == 2  # variant_expiry_days is on in this variant
    (role_policy,) = [p for p in synth.resources("AWS::IAM::Policy").values()
                      if p["Properties"]["PolicyDocument"]["Statement"][0].get("Sid") == "ReadOriginals0"]  # fmt: skip
    _, function = synth.function(ORIGIN_HANDLER)
    assert role_policy["Properties"]["Roles"] == [{"Ref": function["Properties"]["Role"]["Fn::GetAtt"][0]}]
    # Nothing else: no list, no delete, no other action on the extra buckets.
    actions = {s["Action"] for s in reads + creates + _extra_policy(synth, "TagVariantsOnly")}
    assert actions == {"s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"}


def test_purge_function_is_notified_by_the_created_bucket_and_may_delete_there(synth: Synthesized) -> None:
    bucket_id = _bucket_id(synth, CREATED)
    assert [s["Resource"] for s in _extra_policy(synth, "FindVariants0")] == [{"Fn::GetAtt": [bucket_id, "Arn"]}]
    # HeadObject (s3:GetObject) reads the metadata that proves a variant before DeleteObject.
    assert [s["Action"] for s in _extra_policy(synth, "ProveAndDeleteVariants0")] == [
        ["s3:GetObject", "s3:DeleteObject"]
    ]
    notifications = [r for r in synth.resources("Custom::S3BucketNotifications").values()
                     if r["Properties"]["BucketName"] == {"Ref": bucket_id}]  # fmt: skip
    assert len(notifications) == 1
    events = {
        c["Events"][0]
        for c in notifications[0]["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    }
    assert events == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
    # The imported bucket's notifications cannot be configured by the stack.
    assert IMPORTED not in json.dumps(synth.resources("Custom::S3BucketNotifications"))


def test_imported_bucket_gets_the_exact_bucket_policy_as_an_output(synth: Synthesized) -> None:
    outputs = synth.template_json["Outputs"]
    assert [k for k in outputs if k.startswith("ExtraOriginBucketPolicy")] == ["ExtraOriginBucketPolicy0"]
    policy = synth.stack.resolve(synth.stack.image_edge.extra_origins.bucket_policies["orgs/logos/"])
    text = json.dumps(policy)
    for expected in ("CloudFront Origin Access Identity", f":s3:::{IMPORTED}/orgs/logos/*", "s3:if-none-match",
                     f":s3:::{IMPORTED}/3*/orgs/logos/*", "ImgEdgeOriginResponseCreate"):  # fmt: skip
        assert expected in text


def test_imported_bucket_policy_grants_only_the_prefixs_originals_and_variants(synth: Synthesized) -> None:
    """The output's policy, with its tokens filled in, grants nothing outside ``orgs/logos/*`` (originals) and
    ``{spec}/orgs/logos/*`` (their variants): no ``<bucket>/*``."""
    value = synth.template_json["Outputs"]["ExtraOriginBucketPolicy0"]["Value"]
    document = json.loads("".join(_filled(part) for part in value["Fn::Join"][1]))
    originals = f"arn:aws:s3:::{IMPORTED}/orgs/logos/*"
    variants = [f"arn:aws:s3:::{IMPORTED}/{first}*/orgs/logos/*" for first in "123456789x"]
    resources = {
        statement["Sid"]: statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for statement in document["Statement"]
    }
    assert resources == {
        "ImgEdgeCloudFrontRead": [originals, *variants],
        "ImgEdgeOriginResponseRead": [originals],
        "ImgEdgeOriginResponseCreate": variants,
    }


def _filled(part: object) -> str:
    """A part of an ``Fn::Join``: strings as they are, the partition as ``aws``, any other token as ``TOKEN``."""
    if isinstance(part, str):
        return part
    return "aws" if part == {"Ref": "AWS::Partition"} else "TOKEN"


def test_bundled_config_lists_the_origins_of_the_props(synth: Synthesized) -> None:
    config_file = synth.asset_dir(VIEWER_HANDLER) / "imgedge-config.json"
    bundled = Config.from_mapping(json.loads(config_file.read_text()))
    assert bundled == synth.stack.image_edge.config
    assert bundled.sources.origins == (
        Origin("avatars/", CREATED, "us-east-1"),
        Origin("orgs/logos/", IMPORTED, "eu-west-1"),
    )


def test_default_deployment_has_no_extra_behavior(default_app: Synthesized) -> None:
    assert "CacheBehaviors" not in _distribution_config(default_app)
    assert default_app.stack.image_edge.config.sources.origins == ()


# --- props -----------------------------------------------------------------------------------------------


def test_context_accepts_a_json_string_or_a_list() -> None:
    entries = [{"prefix": "avatars/", "bucket_name": "acme-a", "create": "true"},
               {"prefix": "logos/", "bucket_name": "acme-b", "bucket_region": "eu-west-1"}]  # fmt: skip
    from_string = props_from_context({"extra_origins": json.dumps(entries)})
    assert from_string == props_from_context({"extra_origins": entries})
    assert from_string.extra_origins == (
        ExtraOrigin("avatars/", "acme-a", None, True),
        ExtraOrigin("logos/", "acme-b", "eu-west-1", False),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"prefix": "a/"}', "cannot parse"),
        ('[{"prefix": "a/", "bucket": "acme-a"}]', "cannot parse"),
        ('[{"prefix": "a", "bucket_name": "acme-a"}]', r"extra_origins\[0\] \('a'\): prefix 'a' must end with '/'"),
        ('[{"prefix": "a/", "bucket_name": "Acme"}]', "not a valid S3 bucket name"),
        ('[{"prefix": "a/", "bucket_name": "acme-a", "create": true, "bucket_region": "eu-west-1"}]', "stack's region"),
        ('[{"prefix": "a/", "bucket_name": "acme-a"}, {"prefix": "a/b/", "bucket_name": "acme-b"}]', "overlaps"),
        ('[{"prefix": "a/", "bucket_name": "acme-a"}, {"prefix": "b/", "bucket_name": "acme-a"}]', "already used"),
        ('[{"prefix": "a/", "bucket_name": "acme-a", "bucket_region": "mars"}]', "must be an AWS region"),
    ],
)
def test_bad_extra_origins_are_refused_naming_the_setting(value: str, message: str) -> None:
    with pytest.raises(PropsError, match=message) as raised:
        props_from_context({"extra_origins": value})
    assert "'extra_origins'" in str(raised.value)


def test_an_extra_bucket_may_not_be_the_main_bucket() -> None:
    with pytest.raises(PropsError, match="already used"):
        ImageEdgeProps(bucket_name="acme-a", extra_origins=(ExtraOrigin("a/", "acme-a"),))
