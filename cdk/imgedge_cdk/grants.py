"""IAM pieces shared by the constructs that grant S3 access (``construct``, ``origins``, ``purge``): the variant
object patterns, origin-response's create-only write statements, and how cdk-nag names a resource in a finding.

Its own module so that those constructs import it, never each other.
"""

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from edge.config import VARIANT_TAG_KEY, VARIANT_TAG_VALUE


def variant_objects(bucket: s3.IBucket, variant_prefix: str) -> str:
    """The object ARN pattern variants are written to: ``{prefix}/*`` with ``variant_prefix`` (IAM then says
    "variants only"), else the whole bucket (a variant's first folder is any spec token)."""
    return bucket.arn_for_objects(f"{variant_prefix}/*" if variant_prefix else "*")


def write_statements(
    objects: str | list[str], *, tag_variants: bool, sid_suffix: str = ""
) -> list[iam.PolicyStatement]:
    """What origin-response may write to ``objects`` (object ARN patterns): create only, and, when variants
    are tagged, set only the variant tag. Shared by the main bucket and every extra origin's bucket."""
    resources = [objects] if isinstance(objects, str) else objects
    statements = [
        # If-None-Match: * makes every write a create: an existing key (an original, or a variant a
        # concurrent render stored first) answers 412 and is never overwritten.
        iam.PolicyStatement(
            sid=f"CreateObjectsOnly{sid_suffix}",
            actions=["s3:PutObject"],
            resources=resources,
            conditions={"Null": {"s3:if-none-match": "false"}},
        ),
    ]
    if tag_variants:
        statements.append(
            iam.PolicyStatement(
                sid=f"TagVariantsOnly{sid_suffix}",
                actions=["s3:PutObjectTagging"],
                resources=resources,
                conditions={
                    "StringEquals": {f"s3:RequestObjectTag/{VARIANT_TAG_KEY}": VARIANT_TAG_VALUE},
                    "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": [VARIANT_TAG_KEY]},
                },
            )
        )
    return statements


def nag_resource(scope: Construct, value: str) -> str:
    """Render a (token) resource string the way cdk-nag names it in IAM5 findings.

    ``Ref`` becomes ``<LogicalId>`` (pseudo parameters ``<AWS::Partition>``), ``Fn::GetAtt`` becomes
    ``<LogicalId.Attribute>``, ``Fn::Join`` is concatenated.
    """
    return _render(Stack.of(scope).resolve(value))


def _render(node: object) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((function, argument),) = node.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt" and isinstance(argument, list):
            return f"<{'.'.join(map(str, argument))}>"
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {node!r} as a cdk-nag finding")
