"""A tiny AWS Secrets Manager client for one call, ``GetSecretValue``, in the standard library only (pure).

The viewer-request bundle must stay pure Python and far under Lambda@Edge's 1 MB limit, so it cannot carry boto3;
this module signs the one request it needs with AWS Signature Version 4 and sends it with ``urllib``.

Credentials are Lambda's reserved environment variables ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and
``AWS_SESSION_TOKEN`` (present at the edge too: Lambda@Edge forbids only *user* environment variables). The
endpoint is ``https://secretsmanager.<region>.amazonaws.com/``, unless ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` or
``AWS_ENDPOINT_URL`` names another (tests and local runs; never set at the edge).

SigV4 reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

SERVICE = "secretsmanager"
TARGET = "secretsmanager.GetSecretValue"
CONTENT_TYPE = "application/x-amz-json-1.1"
ENDPOINT_ENV_VARS = ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL")
ALGORITHM = "AWS4-HMAC-SHA256"


class SecretsError(Exception):
    """GetSecretValue failed: no credentials, a network error or an error answer (the message says which)."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """AWS credentials; ``token`` is the session token of temporary credentials (always set in Lambda)."""

    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:  # never print the secret key
        return f"Credentials(access_key={self.access_key!r}, secret_key='***', token={'***' if self.token else None})"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Credentials":
        """Lambda's reserved variables. Raises ``SecretsError`` when the key id or secret key is missing."""
        env = os.environ if environ is None else environ
        access_key, secret_key = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key:
            raise SecretsError("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
        return cls(access_key, secret_key, env.get("AWS_SESSION_TOKEN") or None)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 signing key: HMAC chain over date (``YYYYMMDD``), region, service and ``aws4_request``."""
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def canonical_request(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> str:
    """The SigV4 canonical request for a request whose ``path`` is already URI-encoded and ``query`` already
    canonical (sorted, encoded). Header names are lowercased and sorted, values trimmed; every header given is
    signed."""
    canonical = {name.lower(): " ".join(value.strip().split()) for name, value in headers.items()}
    names = sorted(canonical)
    lines = "".join(f"{name}:{canonical[name]}\n" for name in names)
    return "\n".join([method, path or "/", query, lines, ";".join(names), hashlib.sha256(body).hexdigest()])


def sign_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """``headers`` plus ``Host``, ``X-Amz-Date``, ``X-Amz-Security-Token`` (temporary credentials) and the SigV4
    ``Authorization`` for this request."""
    parts = urlsplit(url)
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    signed = {**headers, "Host": parts.netloc, "X-Amz-Date": amz_date}
    if credentials.token:
        signed["X-Amz-Security-Token"] = credentials.token
    request = canonical_request(method, parts.path or "/", parts.query, signed, body)
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(credentials.secret_key, date, region, service), to_sign.encode(), "sha256")
    names = ";".join(sorted(name.lower() for name in signed))
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, SignedHeaders={names}, "
        f"Signature={signature.hexdigest()}"
    )
    return signed


def endpoint(region: str, environ: Mapping[str, str] | None = None) -> str:
    """The Secrets Manager endpoint URL for ``region`` (or the override of ``ENDPOINT_ENV_VARS``)."""
    env = os.environ if environ is None else environ
    for name in ENDPOINT_ENV_VARS:
        if env.get(name):
            return env[name].rstrip("/") + "/"
    return f"https://{SERVICE}.{region}.amazonaws.com/"


def get_secret_string(
    secret_id: str,
    region: str,
    *,
    version_stage: str = "AWSCURRENT",
    credentials: Credentials | None = None,
    url: str | None = None,
    timeout: float = 2.0,
) -> str:
    """The ``SecretString`` of a secret's version (``AWSCURRENT`` by default).

    Raises ``SecretsError`` for missing credentials, a network failure or timeout, an error answer (its
    ``__type``, e.g. ``ResourceNotFoundException``, ``AccessDeniedException``), or a binary-only secret.
    """
    # Imported here: urllib.request pulls in http.client and email (~25 ms of cold start), which a container
    # with signing off never needs.
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    creds = credentials or Credentials.from_environ()
    target = url or endpoint(region)
    body = json.dumps({"SecretId": secret_id, "VersionStage": version_stage}).encode("utf-8")
    headers = sign_headers(
        "POST", target, {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}, body, creds, region, SERVICE,
        datetime.now(UTC),
    )  # fmt: skip
    headers.pop("Host")  # urllib sends the same Host itself
    request = urllib.request.Request(target, data=body, headers=headers, method="POST")  # noqa: S310 (https or a test endpoint)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            payload = json.loads(answer.read())
    except urllib.error.HTTPError as err:
        try:
            kind = str(json.loads(err.read()).get("__type", "")).rsplit("#", 1)[-1]
        except ValueError:
            kind = ""
        raise SecretsError(f"GetSecretValue {secret_id}: HTTP {err.code} {kind}".strip()) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as err:
        raise SecretsError(f"GetSecretValue {secret_id}: {err}") from None
    value = payload.get("SecretString") if isinstance(payload, dict) else None
    if not isinstance(value, str):
        raise SecretsError(f"GetSecretValue {secret_id}: the secret has no SecretString")
    return value
