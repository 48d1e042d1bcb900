"""``edge.secrets``: the stdlib SigV4 GetSecretValue client, against AWS's test vector, botocore and moto server."""

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from edge.secrets import (
    CONTENT_TYPE,
    TARGET,
    Credentials,
    SecretsError,
    canonical_request,
    endpoint,
    get_secret_string,
    sign_headers,
)
from tests.moto_server import free_port, moto_server

# AWS Signature Version 4 test suite, "get-vanilla" (aws-sig-v4-test-suite, also in botocore's tests).
VECTOR_CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
VECTOR_TIME = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def test_get_vanilla_test_vector() -> None:
    headers = sign_headers(
        "GET", "https://example.amazonaws.com/", {}, b"", VECTOR_CREDENTIALS, "us-east-1", "service", VECTOR_TIME
    )
    assert headers["X-Amz-Date"] == "20150830T123600Z"
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_canonical_request_of_the_vector() -> None:
    request = canonical_request(
        "GET", "/", "", {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}, b""
    )
    assert request == (
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_get_secret_value_request_is_signed_as_botocore_signs_it() -> None:
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
    url = "https://secretsmanager.us-east-1.amazonaws.com/"
    body = b'{"SecretId": "imgedge/signing", "VersionStage": "AWSCURRENT"}'
    headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    signer = SigV4Auth(BotoCredentials("AKIDEXAMPLE", creds.secret_key, "session-token"), "secretsmanager", "us-east-1")
    signer.add_auth(request)
    now = datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    ours = sign_headers("POST", url, headers, body, creds, "us-east-1", "secretsmanager", now)
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["X-Amz-Security-Token"] == "session-token"


def test_credentials_come_from_lambdas_reserved_variables() -> None:
    creds = Credentials.from_environ({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_SESSION_TOKEN": "c"})
    assert creds == Credentials("a", "b", "c")
    assert "b" not in repr(creds)
    with pytest.raises(SecretsError, match="no AWS credentials"):
        Credentials.from_environ({})


def test_endpoint_is_regional_unless_overridden() -> None:
    assert endpoint("eu-west-1", {}) == "https://secretsmanager.eu-west-1.amazonaws.com/"
    assert endpoint("eu-west-1", {"AWS_ENDPOINT_URL": "http://localhost:5000"}) == "http://localhost:5000/"
    specific = {"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://b"}
    assert endpoint("eu-west-1", specific) == "http://b/"


# --- real HTTP against moto server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def secrets_endpoint(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": server,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return server


def test_get_secret_string_over_http(secrets_endpoint: str) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=secrets_endpoint)
    client.create_secret(Name="imgedge/test-http", SecretString='{"keys": ["k1"]}')
    assert get_secret_string("imgedge/test-http", "us-east-1") == '{"keys": ["k1"]}'
    client.put_secret_value(SecretId="imgedge/test-http", SecretString="second")
    assert get_secret_string("imgedge/test-http", "us-east-1") == "second"
    assert get_secret_string("imgedge/test-http", "us-east-1", version_stage="AWSPREVIOUS") == '{"keys": ["k1"]}'


def test_missing_secret_names_the_error(secrets_endpoint: str) -> None:
    with pytest.raises(SecretsError, match="ResourceNotFoundException"):
        get_secret_string("imgedge/none", "us-east-1")


def test_unreachable_endpoint_is_a_secrets_error_quickly() -> None:
    creds = Credentials("a", "b")
    with pytest.raises(SecretsError, match="GetSecretValue"):
        get_secret_string("x", "us-east-1", credentials=creds, url=f"http://127.0.0.1:{free_port()}/", timeout=1)
