"""The viewer-request role may read the signing secret only when signed URLs are on (the "purge" variant)."""

import json
from collections.abc import Callable
from typing import Any

from edge.config import Config
from imgedge_cdk.bundling import VIEWER_HANDLER
from imgedge_cdk.signing import secret_arn
from tests.cdk.conftest import Synthesized

Variant = Callable[[str], Synthesized]


def _viewer_inline_statements(synth: Synthesized) -> list[dict[str, Any]]:
    _, function = synth.function(VIEWER_HANDLER)
    role = synth.template_json["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
    return [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def test_viewer_role_reads_exactly_the_signing_secret(synth_variant: Variant) -> None:
    synth = synth_variant("purge")
    (statement,) = _viewer_inline_statements(synth)
    assert statement["Sid"] == "ReadSigningSecret"
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    rendered = json.dumps(statement["Resource"])
    assert ":secretsmanager:us-east-1:" in rendered
    assert ":secret:imgedge/signing-??????" in rendered
    config = Config.from_mapping(json.loads((synth.asset_dir(VIEWER_HANDLER) / "imgedge-config.json").read_text()))
    assert (config.signing.signature_mode, config.signing.signature_secret_id) == ("required", "imgedge/signing")


def test_viewer_role_has_no_secret_access_without_signing(default_app: Synthesized) -> None:
    assert _viewer_inline_statements(default_app) == []


def test_an_arn_is_used_as_given() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:imgedge/signing-AbCdEf"
    assert secret_arn(arn, "us-east-1") == arn
