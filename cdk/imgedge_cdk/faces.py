"""The origin-response role's permission to call Amazon Rekognition ``DetectFaces`` (``faces_enabled`` only).

origin-response sends the image bytes (never an S3 object), so the single action needed is
``rekognition:DetectFaces``, which supports no resource-level permissions: its resource must be ``*``
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html). The cdk-nag
IAM5 finding for that wildcard is acknowledged with this reason.
"""

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from edge.config import Config


def grant_detect_faces(scope: Construct, role: iam.IRole, config: Config) -> iam.Policy | None:
    """Attach ``OriginResponseFacesPolicy`` (DetectFaces on ``*``) to ``role`` when faces are enabled."""
    if not config.faces.faces_enabled:
        return None
    policy = iam.Policy(
        scope,
        "OriginResponseFacesPolicy",
        roles=[role],
        statements=[iam.PolicyStatement(sid="DetectFaces", actions=["rekognition:DetectFaces"], resources=["*"])],
    )
    Validations.of(policy).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="rekognition:DetectFaces supports no resource-level permissions (its resource is always *); "
            "it is the only action granted, analyses bytes sent in the request and reads no stored data.",
        )
    )
    return policy
