"""The viewer-request role's permission to read the signing secret (``signature_mode`` other than ``off``).

viewer-request fetches the secret itself (``edge.secrets``, a stdlib SigV4 ``GetSecretValue``) with its execution
role, from every edge location, so the role may ``secretsmanager:GetSecretValue`` on that one secret and nothing
else. A secret named rather than given by ARN is matched with Secrets Manager's six-character suffix
(``name-??????``), which names exactly that secret. Secrets encrypted with a customer managed KMS key also need
``kms:Decrypt`` on that key (add it yourself; the default ``aws/secretsmanager`` key needs nothing).
"""

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from edge.config import Config, SignatureMode


def secret_arn(secret_id: str, region: str) -> str:
    """The ARN pattern of the secret: ``secret_id`` when it is an ARN, else the name with its random suffix."""
    if secret_id.startswith("arn:"):
        return secret_id
    return f"arn:{Aws.PARTITION}:secretsmanager:{region}:{Aws.ACCOUNT_ID}:secret:{secret_id}-??????"


def signing_policies(config: Config) -> dict[str, iam.PolicyDocument] | None:
    """The viewer role's inline policy for reading the signing secret, or ``None`` when signing is off."""
    if config.signing.signature_mode is SignatureMode.OFF or config.signing.signature_secret_id is None:
        return None
    statement = iam.PolicyStatement(
        sid="ReadSigningSecret",
        actions=["secretsmanager:GetSecretValue"],
        resources=[secret_arn(config.signing.signature_secret_id, config.signing.signature_secret_region)],
    )
    return {"SigningSecret": iam.PolicyDocument(statements=[statement])}
