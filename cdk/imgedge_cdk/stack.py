"""``ImageEdgeStack``: one us-east-1 stack with the WAF web ACL, the ``ImageEdge`` construct and the outputs."""

from pathlib import Path

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from imgedge_cdk.bundling import SOURCE_ROOT
from imgedge_cdk.construct import EDGE_REGION, ImageEdge
from imgedge_cdk.monitoring import Monitoring
from imgedge_cdk.props import ImageEdgeProps, PropsError
from imgedge_cdk.waf import ImageEdgeWebAcl

SAMPLE_PATH = "example.jpg?w=300"


class ImageEdgeStack(Stack):
    """The deployable unit: ``ImageEdgeWebAcl`` (``waf=create``) + ``ImageEdge`` + ``Monitoring`` + outputs, in
    us-east-1.

    ``env`` must have region us-east-1 (Lambda@Edge functions and a CLOUDFRONT web ACL live there; the image
    bucket may be elsewhere, see ``ImageEdgeProps.bucket_region``); any other region raises ``PropsError``.
    Outputs: ``DistributionDomainName``, ``DistributionId``, ``BucketName``, ``SampleUrl``, the two function
    names, and for an imported bucket ``ImportedBucketPolicy`` (and ``VariantLifecycleRule`` with expiry).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ImageEdgeProps,
        env: Environment,
        source_root: Path = SOURCE_ROOT,
        docker_bundling: bool = False,
        description: str = "imgedge: on-the-fly image resizing at the CloudFront edge",
    ) -> None:
        if env.region != EDGE_REGION:
            raise PropsError(
                f"the imgedge stack must be deployed to {EDGE_REGION} (got {env.region!r}): Lambda@Edge and "
                "CLOUDFRONT web ACLs live there; put the bucket anywhere with bucket_name/bucket_region"
            )
        super().__init__(scope, construct_id, env=env, description=description)
        # waf: create (this stack's ACL), none, or an existing CLOUDFRONT ACL's ARN; nothing else differs.
        self.web_acl: ImageEdgeWebAcl | None = None
        web_acl_arn: str | None = None
        if props.waf == "create":
            self.web_acl = ImageEdgeWebAcl(
                self, "WebAcl", rate_limit=props.waf_rate_limit, logging=props.waf_logging,
                log_retention_days=props.log_retention_days,
            )  # fmt: skip
            web_acl_arn = self.web_acl.arn
        elif props.waf != "none":
            web_acl_arn = props.waf
        self.image_edge = ImageEdge(
            self,
            "ImageEdge",
            props=props,
            web_acl_arn=web_acl_arn,
            source_root=source_root,
            docker_bundling=docker_bundling,
        )
        edge = self.image_edge
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            props=props,
            distribution=edge.distribution,
            viewer_function_name=edge.viewer_function.function_name,
            origin_function_name=edge.origin_function.function_name,
            web_acl_metric_name=self.web_acl.metric_name if self.web_acl is not None else None,
            purge_failures=edge.purge_on_change.failures if edge.purge_on_change is not None else None,
        )
        outputs: list[tuple[str, str | None, str]] = [
            ("DistributionDomainName", edge.distribution.distribution_domain_name,
             "CloudFront domain name (point your CNAMEs here)"),
            ("DistributionId", edge.distribution.distribution_id,
             "For invalidations: aws cloudfront create-invalidation --distribution-id <id> --paths '/*'"),
            ("BucketName", edge.bucket.bucket_name,
             "Upload originals here; variants are stored in the same bucket under /<size>/"),
            ("DashboardName", self.monitoring.dashboard.dashboard_name,
             "CloudWatch dashboard (us-east-1): requests, errors, cache hit rate, renders per region, WAF"),
            ("SampleUrl", f"https://{edge.domain_name}/{SAMPLE_PATH}",
             "Upload example.jpg to the bucket root, then open this URL"),
            ("ViewerRequestFunctionName", edge.viewer_function.function_name,
             "Logs: /aws/lambda/us-east-1.<name> in the region of each edge location"),
            ("OriginResponseFunctionName", edge.origin_function.function_name,
             "Logs: /aws/lambda/us-east-1.<name> in the region of each edge location"),
            ("ImportedBucketPolicy", edge.imported_bucket_policy,
             "Imported bucket: add this statement to its bucket policy so CloudFront (the OAI) can read it"),
            ("VariantLifecycleRule", edge.variant_lifecycle_rule,
             "Imported bucket: merge this rule into its lifecycle configuration to expire variants"),
            ("ImportedBucketVersioning", edge.imported_bucket_versioning,
             "Imported bucket: turn versioning on so an overwritten or deleted original can be recovered"),
            ("PurgeFunctionName",
             edge.purge_on_change.function.function_name if edge.purge_on_change is not None else None,
             "purge_on_change: the function that purges a changed original's variants (logs: /aws/lambda/<name>)"),
            ("PurgeFailuresQueueUrl",
             edge.purge_on_change.failures.queue_url if edge.purge_on_change is not None else None,
             "Purges that failed after retries: imgedge purge --replay-failed <url> --distribution-id <id>"),
        ]  # fmt: skip
        for output_id, value, output_description in outputs:
            if value is not None:
                CfnOutput(self, output_id, value=value, description=output_description)
        for index, (prefix, policy) in enumerate(edge.extra_origins.bucket_policies.items()):
            description = f"Imported bucket of /{prefix}*: add these statements to its bucket policy"
            CfnOutput(self, f"ExtraOriginBucketPolicy{index}", value=policy, description=description)
