"""The origin-response role may call rekognition:DetectFaces only when gravity=face is enabled (the "lifecycle"
variant enables it)."""

import json
from collections.abc import Callable
from typing import Any

from edge.config import Config
from imgedge_cdk.bundling import ORIGIN_HANDLER
from tests.cdk.conftest import Synthesized

Variant = Callable[[str], Synthesized]


def _faces_statements(synth: Synthesized) -> list[dict[str, Any]]:
    return [
        statement
        for resource in synth.template_json["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        if "rekognition" in json.dumps(statement["Action"])
    ]


def test_origin_role_may_detect_faces_when_enabled(synth_variant: Variant) -> None:
    synth = synth_variant("lifecycle")
    (statement,) = _faces_statements(synth)
    assert statement == {"Sid": "DetectFaces", "Effect": "Allow", "Action": "rekognition:DetectFaces", "Resource": "*"}
    config = Config.from_mapping(json.loads((synth.asset_dir(ORIGIN_HANDLER) / "imgedge-config.json").read_text()))
    assert (config.faces.faces_enabled, config.faces.faces_region, config.faces.faces_min_confidence) == (
        True,
        "us-east-1",
        90,
    )


def test_no_rekognition_grant_by_default(default_app: Synthesized) -> None:
    assert _faces_statements(default_app) == []
