"""``ImageEdgeProps``: validation naming the setting, the Config it generates, and CDK context parsing."""

import json
from dataclasses import fields
from typing import Any

import pytest

from edge.config import SECTIONS, Config, SizePolicy, section_fields
from imgedge_cdk.props import (
    CONSTRUCT_SET,
    DEPLOYMENT_SETTING_NAMES,
    IMAGE_SETTING_NAMES,
    LOG_RETENTION_DAYS,
    SETTING_NAMES,
    ImageEdgeProps,
    PriceClass,
    PropsError,
    props_from_context,
)

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"


def test_default_props_generate_the_default_config() -> None:
    # Variants are tagged by default: the bucket is versioned and expires their old versions after one day.
    assert ImageEdgeProps().to_config() == Config.of(tag_variants=True)


def test_every_image_setting_is_a_context_key_or_set_by_the_construct() -> None:
    # Drawn from the bundled JSON's own keys, not from the tables the props derive them with.
    json_keys = set(json.loads(Config().to_json()))
    assert set(IMAGE_SETTING_NAMES) | set(CONSTRUCT_SET) == json_keys
    assert not set(IMAGE_SETTING_NAMES) & set(CONSTRUCT_SET)
    assert set(CONSTRUCT_SET) == {"bucket", "region", "origins", "memory_mb", "tag_variants"}
    assert not set(DEPLOYMENT_SETTING_NAMES) & json_keys


def test_a_setting_the_construct_sets_is_refused_in_image() -> None:
    with pytest.raises(PropsError, match="'memory_mb': is set by the construct"):
        ImageEdgeProps(image=Config.of(memory_mb=512))
    with pytest.raises(PropsError, match="'origins': is set by the construct"):
        ImageEdgeProps(image=Config.of(origins=({"prefix": "a/", "bucket": "bucket-a", "region": "eu-west-1"},)))


def test_the_origin_response_memory_is_the_bundled_memory_budget() -> None:
    # The render's memory budget (edge.render.budget) derives from the function's real memory.
    assert ImageEdgeProps(origin_response_memory_mb=512).to_config().limits.memory_mb == 512
    assert ImageEdgeProps().to_config().limits.memory_mb == ImageEdgeProps().origin_response_memory_mb == 1536


def test_variant_expiry_turns_on_variant_tagging() -> None:
    assert ImageEdgeProps(variant_expiry_days=30).to_config().storage.tag_variants is True
    assert ImageEdgeProps(bucket_versioned=False).to_config().storage.tag_variants is False
    assert ImageEdgeProps(bucket_versioned=False, variant_expiry_days=30).to_config().storage.tag_variants is True


def test_image_settings_reach_the_config() -> None:
    image = Config.from_mapping(
        {"size_policy": "strict", "sizes": [320, 640], "max_dimension": 2000, "qualities": [50, 80],
         "default_quality": {"avif": 50, "webp": 80, "jpeg": 80}, "default_format": "webp",
         "source_extensions": ["png"], "max_source_bytes": 1_000_000, "max_source_pixels": 4_000_000,
         "cache_control": "public, max-age=60", "error_max_age": 5, "missing_max_age": 7}
    )  # fmt: skip
    props = ImageEdgeProps(image=image)
    config = props.to_config()
    assert (config.sizing.size_policy, config.sizing.sizes, config.sizing.max_dimension) == ("strict", (320, 640), 2000)
    assert (config.sizing.default_format, config.sources.source_extensions) == ("webp", ("png",))
    assert (config.limits.max_source_bytes, config.limits.max_source_pixels) == (1_000_000, 4_000_000)
    assert (config.responses.cache_control, config.responses.error_max_age, config.responses.missing_max_age) == (
        "public, max-age=60",
        5,
        7,
    )
    assert config.sources.bucket is None
    assert config.sources.region is None


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"bucket_name": "Not_A_Bucket"}, "bucket_name"),
        ({"bucket_region": "eu-west-1"}, "bucket_region"),
        ({"bucket_name": "my-images", "bucket_region": "europe"}, "bucket_region"),
        ({"bucket_name": "my-images", "bucket_versioned": True}, "bucket_versioned"),
        ({"domain_names": ("img.example.com",)}, "certificate_arn"),
        ({"certificate_arn": CERT}, "certificate_arn"),
        ({"domain_names": ("img.example.com",), "certificate_arn": CERT.replace("us-east-1", "eu-west-1")},
         "certificate_arn"),
        ({"domain_names": ("Img.Example.com",), "certificate_arn": CERT}, "domain_names"),
        ({"waf_rate_limit": 50}, "waf_rate_limit"),
        ({"origin_response_memory_mb": 64}, "origin_response_memory_mb"),
        ({"origin_response_memory_mb": 20_000}, "origin_response_memory_mb"),
        ({"log_retention_days": 31}, "log_retention_days"),
        ({"variant_expiry_days": 0}, "variant_expiry_days"),
        ({"cdn_default_ttl": 100, "cdn_max_ttl": 50}, "cdn_default_ttl"),
        ({"price_class": "PriceClass_50"}, "price_class"),
    ],
)  # fmt: skip
def test_invalid_settings_raise_naming_the_setting(changes: dict[str, Any], key: str) -> None:
    with pytest.raises(PropsError, match=f"'{key}'"):
        ImageEdgeProps(**changes)


@pytest.mark.parametrize(
    ("context", "key"),
    [
        ({"sizes": "640,320"}, "sizes"),
        ({"sizes": "320,8000"}, "sizes"),
        ({"qualities": "50,80", "default_quality": "avif=55,webp=80,jpeg=80"}, "default_quality"),
        ({"size_policy": "nearest"}, "size_policy"),
        ({"default_format": "gif"}, "default_format"),
        ({"max_source_bytes": "0"}, "max_source_bytes"),
        ({"watermark_opacity": "0"}, "watermark_opacity"),
        ({"s3_read_timeout": "90"}, "s3_read_timeout"),
    ],
)
def test_invalid_image_settings_in_the_context_name_the_setting(context: dict[str, Any], key: str) -> None:
    with pytest.raises(PropsError, match=f"'{key}'"):
        props_from_context(context)


def test_valid_deployment_settings_are_accepted() -> None:
    props = ImageEdgeProps(
        bucket_name="my.images-2024", bucket_region="ap-southeast-2", domain_names=("*.example.com",),
        certificate_arn=CERT, price_class=PriceClass.PRICE_CLASS_ALL, waf_rate_limit=100,
        origin_response_memory_mb=10_240, log_retention_days=LOG_RETENTION_DAYS[-1], variant_expiry_days=1,
    )  # fmt: skip
    assert props.imports_bucket
    assert props.tag_variants


def test_context_strings_are_parsed_like_cli_values() -> None:
    props = props_from_context(
        {
            "bucket_name": "my-images",
            "sizes": "320, 640,1280",
            "qualities": "[50, 80]",
            "default_quality": "avif=50,webp=80,jpeg=80",
            "domain_names": "img.example.com",
            "certificate_arn": CERT,
            "access_logging": "yes",
            "waf_rate_limit": "500",
            "variant_expiry_days": "none",
            "price_class": "PriceClass_200",
        }
    )
    assert props.bucket_name == "my-images"
    assert props.image.sizing.sizes == (320, 640, 1280)
    assert props.image.sizing.qualities == (50, 80)
    assert props.domain_names == ("img.example.com",)
    assert props.access_logging is True
    assert props.waf_rate_limit == 500
    assert props.variant_expiry_days is None
    assert props.price_class == PriceClass.PRICE_CLASS_200


def test_context_json_values_are_accepted_as_in_cdk_json() -> None:
    props = props_from_context(
        {"sizes": [100, 200], "default_quality": {"avif": 50, "webp": 80, "jpeg": 80}, "bucket_versioned": True,
         "variant_expiry_days": 14, "bucket_name": None, "max_dimension": None}
    )  # fmt: skip
    assert (props.image.sizing.sizes, props.bucket_versioned, props.variant_expiry_days) == ((100, 200), True, 14)
    assert props.image.sizing.max_dimension == ImageEdgeProps().image.sizing.max_dimension


@pytest.mark.parametrize(
    ("key", "value"),
    [("access_logging", "maybe"), ("waf_rate_limit", "1e3x"), ("sizes", "a,b"), ("default_quality", "avif")],
)
def test_unparsable_context_values_name_the_key(key: str, value: str) -> None:
    with pytest.raises(PropsError, match=f"'{key}'"):
        props_from_context({key: value})


def test_every_setting_has_a_doc_line() -> None:
    docs = {f.name: f.metadata["doc"] for f in fields(ImageEdgeProps)}
    docs |= {item.name: item.doc for _, section in SECTIONS for item in section_fields(section)}
    assert set(SETTING_NAMES) <= set(docs)
    assert all(isinstance(text, str) and len(text) > 15 for text in docs.values())


# --- operate settings (issue 16) ---------------------------------------------------------------------------


def test_created_buckets_are_versioned_unless_turned_off() -> None:
    assert ImageEdgeProps().versioned is True
    assert ImageEdgeProps(bucket_versioned=False).versioned is False
    assert ImageEdgeProps(bucket_name="my-images").versioned is False  # the owner's bucket: outputs say how


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"noncurrent_version_expiry_days": 0}, "noncurrent_version_expiry_days"),
        ({"waf": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/a/" + "0" * 36}, "waf"),
        ({"waf_logging": "firehose"}, "waf_logging"),
        ({"monitoring_regions": ("eu-west-1", "eu-west-1")}, "monitoring_regions"),
        ({"monitoring_regions": ("Europe",)}, "monitoring_regions"),
        ({"alarm_email": "not-an-address"}, "alarm_email"),
        ({"alarm_topic_arn": "arn:aws:sns:eu-west-1:123456789012:ops"}, "alarm_topic_arn"),
        ({"alarm_server_error_percent": 0}, "alarm_server_error_percent"),
        ({"alarm_origin_errors": 0}, "alarm_origin_errors"),
        ({"alarm_waf_blocked": 1.5}, "alarm_waf_blocked"),
        ({"cloudfront_additional_metrics": "yes"}, "cloudfront_additional_metrics"),
    ],
)
def test_operate_settings_are_validated(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(PropsError, match=f"'{key}'"):
        ImageEdgeProps(**overrides)


def test_operate_settings_parse_from_context() -> None:
    props = props_from_context(
        {
            "bucket_versioned": "null", "noncurrent_version_expiry_days": "7", "waf": "none",
            "cloudfront_additional_metrics": "false", "monitoring_regions": "eu-west-1,ap-south-1",
            "alarm_email": "ops@example.com", "alarm_server_error_percent": "0.5", "alarm_origin_errors": "3",
            "alarm_waf_blocked": "200",
        }
    )  # fmt: skip
    assert (props.bucket_versioned, props.noncurrent_version_expiry_days, props.waf) == (None, 7, "none")
    assert props.monitoring_regions == ("eu-west-1", "ap-south-1")
    assert (props.alarm_server_error_percent, props.alarm_origin_errors, props.alarm_waf_blocked) == (0.5, 3, 200)
    assert props.cloudfront_additional_metrics is False
    assert props_from_context({"bucket_versioned": "false"}).bucket_versioned is False


def test_a_watermark_rendition_the_viewer_would_refuse_fails_synthesis() -> None:
    with pytest.raises(PropsError, match="'watermark_rendition': w=1280 is not an allowed size"):
        ImageEdgeProps(
            image=Config.of(watermark="brand/logo.png", size_policy=SizePolicy.STRICT, sizes=(320, 640),
                            watermark_rendition="w=1280")
        ).to_config()  # fmt: skip
    props = ImageEdgeProps(image=Config.of(watermark="brand/logo.png", sizes=(320, 640, 1280)))
    assert props.to_config().watermarking.watermark == "brand/logo.png"


def test_url_dialects_parse_from_context_and_reach_the_config() -> None:
    props = props_from_context({"url_dialects": "thumbor,sih,query_aliases", "variant_prefix": "_v"})
    assert props.image.url.url_dialects == ("thumbor", "sih", "query_aliases")
    assert props.to_config().url.url_dialects == ("thumbor", "sih", "query_aliases")
    assert ImageEdgeProps().to_config().url.url_dialects == ()
    with pytest.raises(PropsError, match="url_dialects"):
        props_from_context({"url_dialects": "thumbor"})  # needs variant_prefix
    with pytest.raises(PropsError, match="unknown dialect 'imgix'"):
        props_from_context({"url_dialects": '["imgix"]'})


def test_warm_renditions_parse_from_context_and_are_checked_at_synthesis() -> None:
    props = props_from_context({"warm_renditions": '["w=320", "w=300&h=200&fit=cover&focus=0.3,0.7"]'})
    assert props.to_config().warming.warm_renditions == ("w=320", "w=300&h=200&fit=cover&focus=0.3,0.7")
    assert props_from_context({"warm_renditions": "w=320,w=640"}).image.warming.warm_renditions == ("w=320", "w=640")
    with pytest.raises(PropsError, match="'warm_renditions': 'w=320': w=320 is not an allowed size"):
        props_from_context({"warm_renditions": "w=320", "size_policy": "strict", "sizes": "300,640"})
    with pytest.raises(PropsError, match="'warm_renditions': gives up to 15 variants per original"):
        props_from_context({"warm_renditions": "w=320,w=640,w=1280,w=1920,w=2560"})
    with pytest.raises(PropsError, match="'warm_renditions': only applies to a created bucket"):
        props_from_context({"warm_renditions": "w=320", "bucket_name": "my-images"})
