"""Fixtures of the CDK tests: synthesized variants of the app, with asset bundling off (fast).

``imgedge_cdk`` lives in ``cdk/``, which is not an installed package, so it is put on ``sys.path`` here (the same
thing ``cdk/app.py`` does). Each variant is synthesized once per session, with the AwsSolutions checks on: a
synthesis that returns at all has passed cdk-nag (an unacknowledged error makes ``synth()`` raise).
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT / "cdk") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "cdk"))

from aws_cdk.assertions import Template  # noqa: E402

from imgedge_cdk.application import build_app  # noqa: E402
from imgedge_cdk.bundling import PROJECT_PACKAGES  # noqa: E402
from imgedge_cdk.stack import ImageEdgeStack  # noqa: E402

NO_BUNDLING: dict[str, object] = {"aws:cdk:bundling-stacks": []}
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shared/a1b2c3d4-5678-90ab-cdef-0123456789ab"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ops-alarms"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"

# Deployment variants covering every optional branch of the construct.
VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "lifecycle": {"variant_expiry_days": "30", "bucket_versioned": "true", "faces_enabled": "true"},
    "imported": {
        "bucket_name": "my-images",
        "bucket_region": "eu-west-1",
        "variant_expiry_days": "7",
        "waf": WEB_ACL_ARN,
    },
    "purge": {
        "purge_on_change": "true",
        "signature_mode": "required",
        "signature_secret_id": "imgedge/signing",
        "alarm_topic_arn": TOPIC_ARN,
    },
    "warm": {
        # Purge and warm (warm_renditions deploys the function without purge_on_change), with faces.
        "warm_renditions": '["w=320", "w=640", "w=1280"]',
        "origin_response_memory_mb": "2048",
        "faces_enabled": "true",
    },
    "warm_prefixed": {
        # Warming with variant_prefix, untagged variants, and a created extra bucket that notifies the function.
        "warm_renditions": "w=320",
        "variant_prefix": "_v",
        "bucket_versioned": "false",
        "extra_origins": '[{"prefix": "avatars/", "bucket_name": "acme-profile-images", "create": true}]',
    },
    "waf_none": {"waf": "none", "cloudfront_additional_metrics": "false"},
    "waf_s3": {"waf_logging": "s3", "bucket_versioned": "false"},
    "prefixed": {"variant_prefix": "_v", "purge_on_change": "true", "variant_expiry_days": "30"},
    "origins": {
        # Two extra buckets: one created here (with purge on change), one imported from another region/account.
        "extra_origins": '[{"prefix": "avatars/", "bucket_name": "acme-profile-images", "create": true}, '
        '{"prefix": "orgs/logos/", "bucket_name": "acme-org-logos", "bucket_region": "eu-west-1"}]',
        "purge_on_change": "true",
        "variant_expiry_days": "30",
    },
    "full": {
        "access_logging": "true",
        "domain_names": "img.example.com,images.example.com",
        "certificate_arn": CERT_ARN,
        "price_class": "PriceClass_All",
        "waf_rate_limit": "500",
        "origin_response_memory_mb": "3008",
        "log_retention_days": "90",
        "missing_max_age": "120",
        "cdn_default_ttl": "3600",
        "waf_logging": "cloudwatch",
        "alarm_email": "ops@example.com",
        "monitoring_regions": "eu-west-1,us-east-1,ap-southeast-2",
        "alarm_server_error_percent": "2.5",
        "alarm_origin_errors": "20",
        "alarm_waf_blocked": "5000",
        "noncurrent_version_expiry_days": "90",
    },
}


@dataclass(frozen=True)
class Synthesized:
    """One synthesized app: its stack, the stack's template, and the cloud assembly directory."""

    stack: ImageEdgeStack
    template: Template
    outdir: Path

    @property
    def template_json(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation type, by logical id."""
        return {
            logical_id: dict(resource) for logical_id, resource in self.template.find_resources(resource_type).items()
        }

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        """The single resource of a type: (logical id, resource)."""
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def function(self, handler: str) -> tuple[str, dict[str, Any]]:
        """The Lambda function with this handler: (logical id, resource)."""
        matches = [
            (logical_id, resource)
            for logical_id, resource in self.resources("AWS::Lambda::Function").items()
            if resource["Properties"].get("Handler") == handler
        ]
        assert len(matches) == 1, f"expected one function with handler {handler}"
        return matches[0]

    def asset_dir(self, handler: str) -> Path:
        """The staged or bundled asset directory of the function with this handler."""
        _, function = self.function(handler)
        key = function["Properties"]["Code"]["S3Key"]
        assert key.endswith(".zip")
        manifest = json.loads((self.outdir / f"{self.stack.artifact_id}.assets.json").read_text())
        source = manifest["files"][key.removesuffix(".zip")]["source"]["path"]
        path = Path(source)
        return path if path.is_absolute() else self.outdir / path


def synthesize(context: Mapping[str, object], outdir: Path, *, bundling: bool = False) -> Synthesized:
    """Build the app as ``cdk/app.py`` does (cdk.json context + ``context``, cdk-nag on) and synthesize it."""
    merged = {**context} if bundling else {**NO_BUNDLING, **context}
    built = build_app(context=merged, outdir=str(outdir))
    built.app.synth()
    return Synthesized(stack=built.stack, template=Template.from_stack(built.stack), outdir=outdir)


@pytest.fixture(scope="session")
def synth_variant(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesized]:
    """``synth_variant(name)``: the variant of ``VARIANTS`` synthesized once per session (bundling off)."""
    cache: dict[str, Synthesized] = {}

    def get(name: str) -> Synthesized:
        if name not in cache:
            cache[name] = synthesize(VARIANTS[name], tmp_path_factory.mktemp(f"cdk-{name}"))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def default_app(synth_variant: Callable[[str], Synthesized]) -> Synthesized:
    return synth_variant("default")


# What a process that imports a handler from its asset alone loads of the project: {module: file}. The asset is
# the only project path; ``extra_paths`` may add third-party packages (never an imgedge package: the check below
# also proves every project module came from the asset). ``then`` runs after the imports (e.g. the handler).
_LOADED_SCRIPT = """
import importlib, json, sys
sys.path[:0] = json.loads(sys.argv[1])
for name in json.loads(sys.argv[2]):
    importlib.import_module(name)
exec(sys.argv[3])
roots = set(json.loads(sys.argv[4]))
print("LOADED=" + json.dumps({m: getattr(sys.modules[m], "__file__", None)
                              for m in sorted(sys.modules) if m.split(".")[0] in roots}))
"""


def loaded_project_modules(
    asset: Path,
    imports: list[str],
    *,
    python: str = sys.executable,
    extra_paths: tuple[str, ...] = (),
    then: str = "",
    env: dict[str, str] | None = None,
) -> dict[str, str | None]:
    """Import ``imports`` under ``python -I -S`` (no site-packages, no user paths) with only ``asset`` (and
    ``extra_paths``) on ``sys.path``; return the project modules loaded, by name, with their files."""
    command = [
        python, "-I", "-S", "-c", _LOADED_SCRIPT, json.dumps([str(asset), *extra_paths]), json.dumps(imports), then,
        json.dumps(PROJECT_PACKAGES),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("LOADED=")]
    loaded: dict[str, str | None] = json.loads(line.removeprefix("LOADED="))
    return loaded


def asset_project_modules(asset: Path) -> set[str]:
    """The project modules an asset carries, from its files; asserts it carries no other project file (data
    files other than the config and byte code in ``__pycache__``)."""
    modules: set[str] = set()
    for package in PROJECT_PACKAGES:
        for path in (asset / package).rglob("*") if (asset / package).is_dir() else ():
            relative = path.relative_to(asset)
            if path.is_dir() or "__pycache__" in relative.parts:
                continue
            assert path.suffix == ".py", f"unexpected file {relative} in the asset"
            parts = relative.with_suffix("").parts
            modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def assert_closure_matches(asset: Path, handler: str, loaded: dict[str, str | None]) -> None:
    """The asset's project modules are exactly the loaded ones, and each was loaded from the asset."""
    assert set(loaded) == asset_project_modules(asset), (
        f"missing from the asset or never loaded: {sorted(set(loaded) ^ asset_project_modules(asset))}"
    )
    outside = [name for name, file in loaded.items() if file is None or not file.startswith(str(asset) + os.sep)]
    assert outside == [], f"{handler}: project modules loaded from elsewhere: {outside}"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root`` and return ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
