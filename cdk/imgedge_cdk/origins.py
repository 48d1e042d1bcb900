"""``ExtraOrigins``: one bucket, origin, cache behavior and least-privilege grant per ``extra_origins`` entry.

For each entry (``imgedge_cdk.origin_props.ExtraOrigin``):

- the bucket: created (named ``bucket_name``, hardened like the main bucket: no public access, TLS only,
  S3-managed encryption, bucket-owner-enforced, the same lifecycle rules, versioning and access logs) or imported
  by name from any region or account;
- read access for the distribution's Origin Access Identity: a bucket policy on a created bucket (added by
  ``S3BucketOrigin``), and for an imported one the exact policy its owner must add (``bucket_policies``, a stack
  output), which also grants the origin-response role, since a bucket of another account needs both sides;
- an S3 origin and a cache behavior ``/<prefix>*`` with the default behavior's cache policy, origin request
  policy and *both* edge functions. CloudFront picks the behavior from the viewer path (``/avatars/ann.jpg``)
  before viewer-request rewrites the URI to the variant key, so the rewritten ``/300/avatars/ann.avif`` is fetched
  from this origin, and origin-response routes the stem to the same bucket from the bundled ``origins``;
- the origin-response role: ``s3:GetObject`` on ``<prefix>*`` (originals; plus the watermark key when one is
  configured, since every bucket carries its own copy) and ``s3:PutObject`` only with ``If-None-Match`` on the
  prefix's variant keys (``variant_key_patterns``: ``1*/<prefix>*`` ... ``x*/<prefix>*``); with
  purge-on-change, a created bucket also notifies the purge function, which may list it and delete its objects
  (variants only, by code), and, when it warms, read the prefix's originals and create their variants as
  origin-response may.
"""

from typing import Any, Protocol

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as cf_origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from edge.config import Config
from imgedge_cdk.grants import nag_resource, variant_objects, write_statements
from imgedge_cdk.origin_props import ExtraOrigin
from imgedge_cdk.props import ImageEdgeProps
from imgedge_cdk.purge import PurgeOnChange


class EdgeParts(Protocol):
    """What ``ExtraOrigins`` uses of the ``ImageEdge`` it extends (a protocol, so that this module and
    ``imgedge_cdk.construct``, which creates it, never import each other)."""

    @property
    def props(self) -> ImageEdgeProps: ...

    @property
    def config(self) -> Config: ...

    @property
    def logs_bucket(self) -> s3.IBucket | None: ...

    @property
    def origin_access_identity(self) -> cloudfront.IOriginAccessIdentity: ...

    @property
    def origin_role(self) -> iam.IRole: ...

    @property
    def distribution(self) -> cloudfront.Distribution: ...

    @property
    def purge_on_change(self) -> PurgeOnChange | None: ...

    def hardened_bucket(
        self, scope: Construct, construct_id: str, *, bucket_name: str | None, logs_prefix: str
    ) -> s3.Bucket: ...

    def behavior_settings(self) -> dict[str, Any]: ...


#: The first character of every variant key's spec (``300``, ``x200``...: a width 1-9 or ``x``). IAM ARN patterns
#: have no character classes, so one pattern per character is the tightest way to say "{spec}/{prefix}...".
SPEC_FIRST_CHARACTERS = "123456789x"


def variant_key_patterns(prefix: str) -> list[str]:
    """Object key patterns (IAM wildcards) covering the variants of a prefix's originals, ``{spec}/{prefix}...``:
    ``1*/avatars/*`` ... ``9*/avatars/*`` and ``x*/avatars/*``; never a key under the prefix itself."""
    return [f"{first}*/{prefix}*" for first in SPEC_FIRST_CHARACTERS]


def path_pattern(prefix: str) -> str:
    """The cache behavior's path pattern for a prefix: ``avatars/`` -> ``/avatars/*``."""
    return f"/{prefix}*"


class ExtraOrigins(Construct):
    """The extra buckets of an ``ImageEdge`` (``edge``), wired into its distribution, role and purge function.

    ``buckets`` maps each prefix to its bucket; ``bucket_policies`` maps the prefix of each imported bucket to the
    bucket policy (JSON, with tokens) its owner must add.
    """

    def __init__(self, scope: Construct, construct_id: str, *, edge: EdgeParts) -> None:
        super().__init__(scope, construct_id)
        self.edge = edge
        self.buckets: dict[str, s3.IBucket] = {}
        self.bucket_policies: dict[str, str] = {}
        entries = edge.props.extra_origins
        for index, entry in enumerate(entries):
            bucket = self._bucket(index, entry)
            self.buckets[entry.prefix] = bucket
            origin = cf_origins.S3BucketOrigin.with_origin_access_identity(
                bucket, origin_access_identity=edge.origin_access_identity
            )
            add_behavior(edge, path_pattern(entry.prefix), origin)
            if not entry.create:
                self.bucket_policies[entry.prefix] = self._imported_bucket_policy(entry, bucket)
        if entries:
            self.role_policy = iam.Policy(
                self,
                "OriginResponseBuckets",
                roles=[edge.origin_role],
                statements=[s for i, e in enumerate(entries) for s in self._role_statements(i, e)],
            )
            self._acknowledge_role_findings()
        if edge.purge_on_change is not None:
            self._notify_purge()

    # --- buckets ------------------------------------------------------------------------------------------

    def _bucket(self, index: int, entry: ExtraOrigin) -> s3.IBucket:
        if not entry.create:
            return s3.Bucket.from_bucket_attributes(
                self, f"Bucket{index}", bucket_name=entry.bucket_name, region=entry.region
            )
        logs_bucket = self.edge.logs_bucket
        bucket = self.edge.hardened_bucket(
            self, f"Bucket{index}", bucket_name=entry.bucket_name, logs_prefix=f"s3/{entry.bucket_name}/"
        )
        if logs_bucket is None:
            Validations.of(bucket).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-S1",
                    reason="Access logging is an opt-in setting (access_logging=true), as for the main bucket: a "
                    "log line per image request costs more than the service itself at high volume.",
                )
            )
        return bucket

    def _imported_bucket_policy(self, entry: ExtraOrigin, bucket: s3.IBucket) -> str:
        """The statements the owner of an imported bucket adds: the OAI reads the prefix's originals and their
        variants; the origin-response role (needed when the bucket is in another account) reads the originals and
        creates variants only with If-None-Match. Nothing else of the bucket is granted."""
        edge = self.edge
        oai_id = edge.origin_access_identity.origin_access_identity_id
        variants = [bucket.arn_for_objects(pattern) for pattern in variant_key_patterns(entry.prefix)]
        statements: list[dict[str, object]] = [
            {
                "Sid": "ImgEdgeCloudFrontRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {oai_id}"},
                "Action": "s3:GetObject",
                "Resource": [bucket.arn_for_objects(f"{entry.prefix}*"), *variants],
            },
            {
                "Sid": "ImgEdgeOriginResponseRead",
                "Effect": "Allow",
                "Principal": {"AWS": edge.origin_role.role_arn},
                "Action": "s3:GetObject",
                "Resource": self._read_resources(entry, bucket),
            },
            {
                "Sid": "ImgEdgeOriginResponseCreate",
                "Effect": "Allow",
                "Principal": {"AWS": edge.origin_role.role_arn},
                "Action": ["s3:PutObject", "s3:PutObjectTagging"] if edge.props.tag_variants else "s3:PutObject",
                "Resource": variants,
                "Condition": {"Null": {"s3:if-none-match": "false"}},
            },
        ]
        return Stack.of(self).to_json_string({"Version": "2012-10-17", "Statement": statements})

    # --- the origin-response role ---------------------------------------------------------------------------

    def _read_resources(self, entry: ExtraOrigin, bucket: s3.IBucket) -> list[str]:
        resources = [bucket.arn_for_objects(f"{entry.prefix}*")]
        watermark = self.edge.config.watermarking.watermark
        if watermark is not None and not watermark.startswith(entry.prefix):
            resources.append(bucket.arn_for_objects(watermark))
        return resources

    def _variant_objects(self, prefix: str) -> list[str]:
        """Object ARN patterns covering the variants of ``prefix``'s originals in its bucket: everything under
        ``{variant_prefix}/{prefix}`` when variant_prefix is set, else ``variant_key_patterns(prefix)``."""
        bucket = self.buckets[prefix]
        variant_prefix = self.edge.props.image.storage.variant_prefix
        if variant_prefix:
            return [bucket.arn_for_objects(f"{variant_prefix}/{prefix}*")]
        return [bucket.arn_for_objects(pattern) for pattern in variant_key_patterns(prefix)]

    def _role_statements(self, index: int, entry: ExtraOrigin) -> list[iam.PolicyStatement]:
        bucket = self.buckets[entry.prefix]
        # Variant keys are {spec}/{full key} (300/avatars/ann.avif), or {variant_prefix}/{key stem}/{spec}.{ext}:
        # creating objects is granted on this prefix's variant keys only (_variant_objects), and If-None-Match keeps
        # it a create: nothing (an original or a variant) is ever overwritten.
        objects = self._variant_objects(entry.prefix)
        return [
            iam.PolicyStatement(
                sid=f"ReadOriginals{index}", actions=["s3:GetObject"], resources=self._read_resources(entry, bucket)
            ),
            *write_statements(objects, tag_variants=self.edge.props.tag_variants, sid_suffix=str(index)),
        ]

    def _acknowledge_role_findings(self) -> None:
        resources: set[str] = set()
        for entry in self.edge.props.extra_origins:
            bucket = self.buckets[entry.prefix]
            for objects in [bucket.arn_for_objects(f"{entry.prefix}*"), *self._variant_objects(entry.prefix)]:
                resources.add(nag_resource(self, objects))
        for resource in sorted(resources):
            Validations.of(self.role_policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::{resource}]",
                    reason="Originals are any key under the origin's prefix (GetObject only); variants are any key "
                    "{spec}/{prefix}... (a pattern per first character of a spec) or under {variant_prefix}/{prefix}, "
                    "PutObject conditioned on "
                    "If-None-Match (create, never overwrite).",
                )
            )

    # --- purge on change ------------------------------------------------------------------------------------

    def _notify_purge(self) -> None:
        purge = self.edge.purge_on_change
        assert purge is not None
        created = [(e, b) for e, b in ((e, self.buckets[e.prefix]) for e in self.edge.props.extra_origins)
                   if isinstance(b, s3.Bucket)]  # fmt: skip
        if not created:
            return
        destination = s3n.LambdaDestination(purge.function)
        statements = []
        variant_prefix = self.edge.props.image.storage.variant_prefix
        for index, (entry, bucket) in enumerate(created):
            bucket.add_event_notification(s3.EventType.OBJECT_CREATED, destination)
            bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, destination)
            statements += [
                iam.PolicyStatement(sid=f"FindVariants{index}", actions=["s3:ListBucket"],
                                    resources=[bucket.bucket_arn]),
                iam.PolicyStatement(sid=f"ProveAndDeleteVariants{index}", actions=["s3:GetObject", "s3:DeleteObject"],
                                    resources=[variant_objects(bucket, variant_prefix)]),
            ]  # fmt: skip
            if purge.warming:
                # Warming in this bucket: origin-response's grants on it (read the prefix's originals, create its
                # variants only).
                statements += [
                    iam.PolicyStatement(sid=f"ReadOriginals{index}", actions=["s3:GetObject"],
                                        resources=self._read_resources(entry, bucket)),
                    *write_statements(self._variant_objects(entry.prefix), tag_variants=self.edge.props.tag_variants,
                                      sid_suffix=f"Warm{index}"),
                ]  # fmt: skip
        policy = iam.Policy(self, "PurgeBuckets", roles=[purge.role], statements=statements)
        acknowledged: set[str] = set()
        for entry, bucket in created:
            resource = nag_resource(self, variant_objects(bucket, variant_prefix))
            acknowledged.add(resource)
            Validations.of(policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::{resource}]",
                    reason="The purge function deletes the variants of a changed original in that original's own "
                    "bucket; variants are any key under variant_prefix or, without it, under a spec folder, which "
                    "IAM cannot express, and the code deletes only keys whose variant metadata names that original "
                    "(edge.purge.prove_variants; tested).",
                )
            )
            if not purge.warming:
                continue
            for objects in [bucket.arn_for_objects(f"{entry.prefix}*"), *self._variant_objects(entry.prefix)]:
                warm_resource = nag_resource(self, objects)
                if warm_resource in acknowledged:
                    continue
                acknowledged.add(warm_resource)
                Validations.of(policy).acknowledge(
                    Acknowledgment(
                        id=f"AwsSolutions-IAM5[Resource::{warm_resource}]",
                        reason="Warming reads the prefix's originals (GetObject only) and creates their variants "
                        "({spec}/{prefix}... or under {variant_prefix}/{prefix}) with PutObject conditioned on "
                        "If-None-Match (create, never overwrite), as origin-response does.",
                    )
                )


def add_behavior(edge: EdgeParts, pattern: str, origin: cloudfront.IOrigin) -> None:
    """A behavior with the default behavior's settings: same cache and origin request policies, the same
    viewer-request and origin-response function versions (``ImageEdge._distribution``)."""
    edge.distribution.add_behavior(pattern, origin, **edge.behavior_settings())
