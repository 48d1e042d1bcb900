"""The buckets imgedge writes logs to (CloudFront standard logs and S3 access logs; WAF logs): one shape.

Private (all public access blocked, TLS only, S3-managed encryption), versioned with a one-day noncurrent
expiry (a deleted or overwritten log file stays recoverable for a day, which is what an incident review needs),
the logs themselves expired after ``expiry_days``, and retained when the stack is deleted.
"""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

#: Days a deleted or overwritten log file's old version is kept.
LOG_NONCURRENT_EXPIRY_DAYS = 1


def log_bucket(
    scope: Construct,
    construct_id: str,
    *,
    expiry_days: int,
    object_ownership: s3.ObjectOwnership,
    bucket_name: str | None = None,
) -> s3.Bucket:
    """A log bucket as described above. ``object_ownership`` is ``BUCKET_OWNER_PREFERRED`` where the writer
    delivers with ACLs (CloudFront standard logs), else ``BUCKET_OWNER_ENFORCED``."""
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=bucket_name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=object_ownership,
        versioned=True,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireLogs",
                expiration=Duration.days(expiry_days),
                noncurrent_version_expiration=Duration.days(LOG_NONCURRENT_EXPIRY_DAYS),
            )
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )
