"""Where the CLI gets the key to sign URLs with: a file, ``$IMGEDGE_SIGNING_KEY``, or the Secrets Manager secret
the edge uses (read with boto3 and your own AWS credentials, profiles included). The first key of the secret
signs (see ``edge.signing``)."""

import os
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from edge.signing import InvalidSecret, parse_secret

KEY_ENV_VAR = "IMGEDGE_SIGNING_KEY"


class SigningKeyError(Exception):
    """No key, or an unusable one; the message says what to do."""


def signing_key(key_file: Path | None, secret_id: str | None, region: str) -> bytes:
    """The key that signs: from ``key_file``, else ``secret_id`` (Secrets Manager in ``region``), else
    ``$IMGEDGE_SIGNING_KEY``. The value has the secret's format (one key, or ``{"keys": [...]}``).

    Raises ``SigningKeyError`` when none is given, the secret cannot be read, or the value is invalid.
    """
    if key_file is not None:
        value = key_file.read_text(encoding="utf-8").strip()
        origin = str(key_file)
    elif secret_id is not None:
        try:
            answer = boto3.session.Session().client("secretsmanager", region_name=region)
            value = str(answer.get_secret_value(SecretId=secret_id).get("SecretString", ""))
        except (ClientError, BotoCoreError) as err:
            raise SigningKeyError(f"cannot read secret {secret_id!r}: {err}") from None
        origin = f"secret {secret_id}"
    elif os.environ.get(KEY_ENV_VAR):
        value, origin = os.environ[KEY_ENV_VAR], f"${KEY_ENV_VAR}"
    else:
        raise SigningKeyError(f"give --key-file, --secret-id or ${KEY_ENV_VAR}")
    try:
        return parse_secret(value)[0]
    except InvalidSecret as err:
        raise SigningKeyError(f"{origin}: {err}") from None
