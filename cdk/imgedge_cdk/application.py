"""The CDK app: context -> ``ImageEdgeProps`` -> ``ImageEdgeStack``, checked by cdk-nag, synthesized to disk.

Context comes from, in increasing precedence: ``cdk.json`` at the repo root (read here too, so ``python3
cdk/app.py`` behaves like ``npx cdk synth``), ``context`` given to ``build_app`` (``-c key=value`` of ``app.py``),
and the CDK CLI's own context (``-c``, ``cdk.json``, ``cdk.context.json``), which CDK applies over the defaults.
Besides the ``ImageEdgeProps`` settings the app reads ``account``, ``stack_name`` and ``bundling``.
"""

import argparse
import difflib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from edge.config import SECTIONS, Setting, section_fields
from imgedge_cdk.bundling import REPO_ROOT, SOURCE_ROOT
from imgedge_cdk.construct import EDGE_REGION
from imgedge_cdk.props import CONSTRUCT_SET, SETTING_NAMES, ImageEdgeProps, PropsError, props_from_context
from imgedge_cdk.stack import ImageEdgeStack

CDK_JSON = REPO_ROOT / "cdk.json"
DEFAULT_OUTDIR = REPO_ROOT / "cdk.out"
DEFAULT_STACK_NAME = "ImgEdge"
APP_SETTINGS: dict[str, tuple[str, str]] = {
    "account": (
        "from credentials",
        "AWS account to deploy to (default: `CDK_DEFAULT_ACCOUNT`, set by the CLI from your credentials; "
        "unset synthesizes an account-agnostic template).",
    ),
    "stack_name": (f"`{DEFAULT_STACK_NAME}`", "CloudFormation stack name."),
    "bundling": (
        "`local`",
        "`local` (pip on this machine, no Docker) or `docker` (pip in the SAM Python 3.13 image).",
    ),
}
"""Context keys of the app itself (not construct settings): how the default reads in the settings table, and the
meaning."""


def settings_table() -> str:
    """The Markdown table of every context key: the app's, ``ImageEdgeProps``' own, then the image settings of
    ``edge.config`` the deployment chooses, each in declaration order: ``| Key | Default | Meaning |``, generated
    from ``APP_SETTINGS``, the props' field metadata and ``edge.config``'s declarations. docs/configuration.md holds
    exactly this table (``python3 cdk/app.py --settings-table`` prints it)."""
    rows = ["| Key | Default | Meaning |", "|---|---|---|"]
    rows += [f"| `{key}` | {default} | {doc} |" for key, (default, doc) in APP_SETTINGS.items()]
    rows += [
        f"| `{f.name}` | {f.metadata['default']} | {f.metadata['doc']} |"
        for f in fields(ImageEdgeProps)
        if f.name != "image"
    ]
    rows += [
        f"| `{f.name}` | {shown_default(f)} | {f.doc} |"
        for _, section in SECTIONS
        for f in section_fields(section)
        if f.name not in CONSTRUCT_SET
    ]
    return "\n".join(rows) + "\n"


def config_table() -> str:
    """The Markdown table of the edge configuration (``imgedge-config.json``): every setting of ``edge.config``
    by section, in declaration order, ``| Key | Section | Default | Meaning |``; a setting the construct writes
    itself says from what. docs/configuration.md holds exactly this table (``python3 cdk/app.py --config-table``)."""
    rows = ["| Key | Section | Default | Meaning |", "|---|---|---|---|"]
    for attribute, section in SECTIONS:
        for f in section_fields(section):
            set_by = f.set_by
            deployed = f" Deployed: set from {set_by}." if set_by else ""
            rows.append(f"| `{f.name}` | `{attribute}` | {shown_default(f)} | {f.doc}{deployed} |")
    return "\n".join(rows) + "\n"


def shown_default(declared: Setting) -> str:
    """How a setting's default reads in the tables: its declared ``shown`` text, else the value in the spelling
    of a context value (lists comma-separated, objects as ``key=value`` pairs)."""
    if declared.shown is not None:
        return declared.shown
    value = declared.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, tuple):
        return f"`{','.join(map(str, value))}`" if value else "`[]`"
    if isinstance(value, Mapping):
        return f"`{','.join(f'{k}={v}' for k, v in value.items())}`" if value else "none"
    return f"`{value}`"


@dataclass(frozen=True)
class BuiltApp:
    """The app and its single stack, before ``synth()``."""

    app: App
    stack: ImageEdgeStack


def read_cdk_json_context(path: Path = CDK_JSON) -> dict[str, object]:
    """The ``context`` object of ``cdk.json``; empty when the file is absent."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    context = data.get("context", {})
    if not isinstance(context, dict):
        raise PropsError(f"{path}: 'context' must be a JSON object")
    return context


def build_app(
    *,
    context: Mapping[str, object] | None = None,
    outdir: str | None = None,
    source_root: Path = SOURCE_ROOT,
    nag: bool = True,
) -> BuiltApp:
    """Create the app with ``cdk.json`` context overlaid by ``context``, the stack, and the AwsSolutions checks.

    Raises ``PropsError`` naming a bad setting. ``nag=False`` leaves cdk-nag out (for fast unit tests).
    """
    merged: dict[str, object] = {**read_cdk_json_context(), **(context or {})}
    app = App(outdir=outdir, context=merged)
    check_context_keys(app.node.get_all_context())

    def get(key: str) -> object:
        return app.node.try_get_context(key)

    settings = {key: get(key) for key in SETTING_NAMES if get(key) is not None}
    props = props_from_context(settings)
    bundling = str(get("bundling") or "local")
    if bundling not in ("local", "docker"):
        raise PropsError(f"app setting 'bundling': must be local or docker, not {bundling!r}")
    account = get("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    stack = ImageEdgeStack(
        app,
        str(get("stack_name") or DEFAULT_STACK_NAME),
        props=props,
        env=Environment(account=str(account) if account else None, region=EDGE_REGION),
        source_root=source_root,
        docker_bundling=bundling == "docker",
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return BuiltApp(app=app, stack=stack)


def check_context_keys(context: Mapping[str, object]) -> None:
    """Refuse a context key that is neither a setting nor an app key, naming the closest valid one: a typo such as
    ``-c bucket_nme=photos`` would otherwise synthesize the defaults (a new bucket) without a word. Keys with a
    ``:`` or starting with ``@`` belong to the CDK (feature flags, lookups, ``aws:cdk:*``) and are left alone.
    Raises ``PropsError``."""
    known = (*SETTING_NAMES, *APP_SETTINGS)
    for key in sorted(context):
        if ":" in key or key.startswith("@") or key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "; the settings are listed in docs/configuration.md"
        raise PropsError(f"unknown imgedge setting {key!r} in the CDK context{hint}")


def _parse_context_arguments(pairs: Sequence[str]) -> dict[str, object]:
    context: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PropsError(f"context argument {pair!r} must be key=value")
        # JSON arrays/objects become values (e.g. aws:cdk:bundling-stacks=[]); everything else stays a string,
        # as with the CDK CLI, and the settings' parsers read it.
        context[key.strip()] = json.loads(value) if value.strip()[:1] in ("[", "{") else value
    return context


def main(argv: Sequence[str]) -> int:
    """``python3 cdk/app.py [-c key=value ...] [--outdir DIR]``: synthesize; 0 on success (``--settings-table``
    prints ``settings_table()`` instead, ``--config-table`` ``config_table()``).

    The output directory is ``--outdir``, else ``$CDK_OUTDIR`` (set by the CDK CLI), else ``cdk.out`` at the repo
    root. Returns 2 for an invalid setting and 1 when synthesis or the cdk-nag validation fails.
    """
    parser = argparse.ArgumentParser(prog="cdk/app.py", description="Synthesize the imgedge CDK app.")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="context value, as with the CDK CLI (repeatable)")  # fmt: skip
    parser.add_argument("--outdir", help="cloud assembly directory (default: $CDK_OUTDIR or ./cdk.out)")
    parser.add_argument("--settings-table", action="store_true",
                        help="print the Markdown table of every setting (docs/configuration.md) and exit")  # fmt: skip
    parser.add_argument("--config-table", action="store_true",
                        help="print the table of imgedge-config.json keys (docs/configuration.md), exit")  # fmt: skip
    args = parser.parse_args(argv)
    if args.settings_table or args.config_table:
        sys.stdout.write(settings_table() if args.settings_table else config_table())
        return 0
    outdir = args.outdir or os.environ.get("CDK_OUTDIR") or str(DEFAULT_OUTDIR)
    try:
        built = build_app(context=_parse_context_arguments(args.context), outdir=outdir)
        assembly = built.app.synth()
    except PropsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # jsii surfaces synthesis and validation failures as RuntimeError
        print(f"error: synthesis failed: {exc}", file=sys.stderr)
        return 1
    for stack in assembly.stacks:
        print(f"synthesized {stack.stack_name} -> {Path(assembly.directory) / stack.template_file}", file=sys.stderr)
    return 0
