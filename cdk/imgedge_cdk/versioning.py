"""Versioning of the image bucket: an overwritten or deleted original stays recoverable for a while.

A bucket the construct creates is versioned unless ``bucket_versioned=false``; its lifecycle keeps an old version
``noncurrent_version_expiry_days`` (default 30), except a variant's, which is re-creatable from its original and
kept 1 day (variants are tagged ``imgedge=variant`` whenever the bucket is versioned, so a rule can tell them
apart). An imported bucket is the owner's to configure: ``imported_versioning_advice`` is the stack output that
says how.
"""

import json

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3

from edge.config import VARIANT_TAG_KEY, VARIANT_TAG_VALUE

# A purged variant's old version: re-creatable from its original, so kept only S3's minimum of one day.
VARIANT_NONCURRENT_DAYS = 1


def versioning_rules(noncurrent_days: int) -> list[s3.LifecycleRule]:
    """Lifecycle rules of a versioned image bucket.

    ``ExpireOldVersions``: every old version is deleted ``noncurrent_days`` after it stopped being current, and a
    delete marker whose versions are all gone is removed. ``ExpireOldVariantVersions``: old versions tagged
    ``imgedge=variant`` go after ``VARIANT_NONCURRENT_DAYS``. When several rules match an object S3 applies the
    shortest expiry, so a purged variant costs one day of storage, an original ``noncurrent_days``.
    """
    return [
        s3.LifecycleRule(
            id="ExpireOldVersions",
            noncurrent_version_expiration=Duration.days(noncurrent_days),
            expired_object_delete_marker=True,
        ),
        s3.LifecycleRule(
            id="ExpireOldVariantVersions",
            tag_filters={VARIANT_TAG_KEY: VARIANT_TAG_VALUE},
            noncurrent_version_expiration=Duration.days(VARIANT_NONCURRENT_DAYS),
        ),
    ]


def imported_lifecycle_configuration(noncurrent_days: int) -> dict[str, object]:
    """The same two rules as ``versioning_rules``, as the JSON ``aws s3api put-bucket-lifecycle-configuration``
    takes (merge them with the bucket's existing rules: that call replaces the whole configuration)."""
    return {
        "Rules": [
            {
                "ID": "imgedge-expire-old-versions",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
                "Expiration": {"ExpiredObjectDeleteMarker": True},
            },
            {
                "ID": "imgedge-expire-old-variant-versions",
                "Status": "Enabled",
                "Filter": {"Tag": {"Key": VARIANT_TAG_KEY, "Value": VARIANT_TAG_VALUE}},
                "NoncurrentVersionExpiration": {"NoncurrentDays": VARIANT_NONCURRENT_DAYS},
            },
        ]
    }


def imported_versioning_advice(bucket_name: str, noncurrent_days: int) -> str:
    """The stack output for an imported bucket: the commands that turn versioning on and add the expiry rules."""
    rules = json.dumps(imported_lifecycle_configuration(noncurrent_days), separators=(",", ":"))
    return (
        f"aws s3api put-bucket-versioning --bucket {bucket_name} --versioning-configuration Status=Enabled; "
        f"then merge into its lifecycle configuration: {rules}"
    )
