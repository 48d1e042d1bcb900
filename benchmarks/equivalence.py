"""Old-vs-new equivalence: the same requests through two revisions' real handlers give the same keys and bodies
(issue 13's "done when": the refactor changes no behaviour).

    .venv/bin/python benchmarks/equivalence.py --old REV [--new REV] [--corpus DIR] [--urls 200] [--seed 0]
        [--config NAME ...] [--quick] [--synthetic]

``--old`` and ``--new`` are git revisions, each checked out into a temporary ``git worktree add --detach``
(removed afterwards, also on error); ``--new`` defaults to this working tree, uncommitted changes included.

Each side runs in ONE child process of this interpreter whose ``sys.path`` starts with that side's tree (the child
checks that ``edge.__file__`` lies in it and aborts otherwise). The child uploads the originals to a moto S3
bucket under ``photos/<file name>`` and drives the side's Lambda entry points, ``viewer_request.handler.handler``
and ``origin_response.handler.handler``, with each configuration written to a JSON file named by
``IMGEDGE_CONFIG`` (``edge.config.load_config``, in every revision). Per request: a viewer-request event built
from that side's ``tests/events/viewer-request.json`` (uri, query string, Accept, client-hint headers); when it
is rewritten (the marker header set), an origin-response event from that side's
``tests/events/origin-response-404.json`` (``-403`` for the ``variant_prefix`` configuration, S3 without
ListBucket) for the rewritten URI with the viewer's marker, as tests/conftest.py's ``origin_event`` builds it.
It records the viewer's result (generated status and body, or the rewritten uri, query and marker), the
origin-response status, headers (all but ``last-modified``, whose value is the time) and body sha256, and every
object it stored in S3 (key, sha256, content type, metadata), which it then deletes, so that every request
meets the bucket holding only the originals. An origin-response event equal to one already answered under
the same configuration is answered from that record (its handler's inputs, event and bucket, are the same).
The child prints one JSON line per request; the two sides run concurrently (one CPU each).

Requests, per configuration: every file of the corpus manifest (``../shared/corpus/MANIFEST.tsv`` from the
repository root, corrupt and edge files included) crossed with the configuration's fixed queries and three
Accept headers, then ``--urls`` query strings drawn by hypothesis (``edge.query.PARAMETERS`` of the new side
plus junk names, valid and invalid values, optional client-hint headers; ``derandomize`` with ``--seed``, drawn
once in this process and sent to both children), each applied to one of a few corpus photos in turn.
Without a corpus (or with ``--synthetic``) a handful of synthetic originals are generated with Pillow.

It prints, per configuration, the requests run and how many had identical viewer results, statuses, bodies,
stored objects and records, the classes of difference (the fields that differ, with a count and an example),
and the first 20 differences field by field. Exit status 0 when both sides agree on every request, 1 when
they do not (or a side cannot run a configuration), 2 when the harness cannot run.
"""

# Imports inside functions on purpose: the child imports a side's modules only once its tree is first on sys.path,
# and only the parent needs hypothesis.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import csv
import hashlib
import io
import json
import mimetypes
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path("..") / "shared" / "corpus"
BUCKET = "imgedge-equivalence"
ORIGINALS_PREFIX = "photos/"
MARKER_HEADER = "x-imgedge-original"

ACCEPTS = {
    "chrome": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "webp": "image/webp,image/apng,image/*,*/*;q=0.8",
    "jpeg": "image/jpeg",
}
#: The queries every corpus file is requested with (the empty one too), under every configuration but presets.
CORPUS_QUERIES = (
    "w=300",
    "w=640&format=webp",
    "w=200&h=200&fit=cover",
    "w=150&h=150&fit=contain&background=000000",
    "format=jpeg&q=70&w=500",
    "w=320&dpr=2",
    "w=300&rotate=90&flop=1",
    "w=100&blur=5",
    "w=400&q=95",
    "w=abc",
    "",
)
PRESETS = {
    "thumb": {"w": 150, "h": 150, "fit": "cover"},
    "card": {"w": 640, "h": 360, "fit": "cover", "q": 70},
}
PRESET_QUERIES = (
    "preset=thumb",
    "preset=thumb&format=jpeg",
    "preset=card&dpr=2",
    "preset=card&w=100",
    "preset=nope",
    "w=300",
)


@dataclass(frozen=True)
class Setup:
    """One configuration: its settings (the ``IMGEDGE_CONFIG`` file), the corpus queries and the S3 miss status."""

    settings: Mapping[str, Any]
    queries: tuple[str, ...] = CORPUS_QUERIES
    miss_status: int = 404


CONFIGS: dict[str, Setup] = {
    "default": Setup({}),
    "variant_prefix": Setup({"variant_prefix": "_v"}, miss_status=403),
    "presets": Setup({"presets": PRESETS}, queries=PRESET_QUERIES),
    "client_hints": Setup({"client_hints": True}, queries=("w=auto", "w=auto&dpr=auto", "w=300&dpr=auto", "w=300")),
}
DEFAULT_CONFIGS = ("default", "variant_prefix", "presets")
#: Photos the hypothesis URLs are applied to, in turn (those present in the corpus; else its first images).
URL_PHOTOS = (
    "edge-exif-orient6-600x450.jpg",
    "edge-png-palette-alpha.png",
    "edge-webp-alpha.webp",
    "edge-gif-static-800x533.gif",
    "photo-bythewater-2560x1600.jpg",
)
QUICK_PHOTOS = ("edge-exif-orient6-600x450.jpg", "edge-png-palette-alpha.png", "invalid-truncated.jpg")
QUICK_URLS = 20
FIRST_DIFFERENCES = 20


# --- the requests -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    """An original uploaded to both sides' buckets."""

    name: str
    path: Path
    category: str

    @property
    def key(self) -> str:
        return ORIGINALS_PREFIX + self.name

    @property
    def content_type(self) -> str:
        suffix = self.path.suffix.lower()
        special = {".heic": "image/heif", ".heif": "image/heif", ".avif": "image/avif", ".webp": "image/webp"}
        return special.get(suffix) or mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"


def corpus_originals(corpus: Path) -> list[Original]:
    """Every row of ``corpus/MANIFEST.tsv`` (columns ``file``, ``format``, ..., ``category``), in manifest order."""
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Original(row["file"], corpus / row["file"], row.get("category") or "") for row in rows]


def synthetic_originals(folder: Path) -> list[Original]:
    """A handful of deterministic originals drawn with Pillow: JPEG, PNG with alpha, grey PNG, palette GIF with
    transparency, WebP, and a truncated JPEG."""
    from PIL import Image, ImageDraw

    def picture(mode: str, size: tuple[int, int]) -> Image.Image:
        image = Image.new("RGBA", size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        width, height = size
        for x in range(0, width, 4):
            draw.line([(x, 0), (x, height)], fill=(x * 255 // width, 96, 255 - x * 255 // width, 255))
        draw.ellipse([width // 5, height // 5, width * 3 // 5, height * 4 // 5], fill=(250, 220, 40, 200))
        draw.rectangle([width * 3 // 5, height // 10, width * 9 // 10, height // 2], fill=(20, 20, 20, 0))
        if mode == "P":
            return image.convert("RGB").quantize(32)
        return image.convert(mode)

    folder.mkdir(parents=True, exist_ok=True)
    made: list[tuple[str, str]] = []

    def save(name: str, image: Image.Image, fmt: str, category: str, **params: Any) -> None:
        image.save(folder / name, fmt, **params)
        made.append((name, category))

    save("synthetic-rgb-640x427.jpg", picture("RGB", (640, 427)), "JPEG", "photo", quality=90)
    save("synthetic-rgba-400x300.png", picture("RGBA", (400, 300)), "PNG", "edge")
    save("synthetic-grey-300x300.png", picture("L", (300, 300)), "PNG", "edge")
    palette = picture("P", (240, 160))
    save("synthetic-palette-240x160.gif", palette, "GIF", "edge", transparency=0)
    save("synthetic-rgb-500x500.webp", picture("RGB", (500, 500)), "WEBP", "edge", quality=80)
    whole = io.BytesIO()
    picture("RGB", (320, 240)).save(whole, "JPEG", quality=85)
    (folder / "synthetic-truncated.jpg").write_bytes(whole.getvalue()[:700])
    made.append(("synthetic-truncated.jpg", "invalid"))
    return [Original(name, folder / name, category) for name, category in made]


def url_photos(originals: Sequence[Original], wanted: Sequence[str] = URL_PHOTOS, count: int = 3) -> list[Original]:
    """The originals named in ``wanted`` (in that order), else the first ``count`` that are not ``invalid``."""
    by_name = {original.name: original for original in originals}
    chosen = [by_name[name] for name in wanted if name in by_name]
    return chosen or [original for original in originals if original.category != "invalid"][:count]


def new_side_parameters(tree: Path) -> tuple[str, ...]:
    """``edge.query.PARAMETERS`` of ``tree``, read from its source (a tuple of string literals)."""
    source = (tree / "edge" / "query.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(target, ast.Name) and target.id == "PARAMETERS" for target in targets):
            assert isinstance(node, ast.Assign)
            value = ast.literal_eval(node.value)
            return tuple(str(name) for name in value)
    raise SystemExit(f"no PARAMETERS tuple in {tree / 'edge' / 'query.py'}")


_BOOLS = ("1", "0", "true", "false", "yes", "")
_COMPASS = ("north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest")
_VALUES: dict[str, tuple[str, ...]] = {
    "w": ("1", "16", "100", "150", "300", "301", "640", "1000", "1920", "3000", "4096", "4097", "auto", "0"),
    "fit": ("cover", "contain", "fill", "inside", "outside", "crop", "scale-down"),
    "q": ("1", "30", "45", "50", "70", "80", "95", "100", "101", "0"),
    "format": ("auto", "avif", "webp", "jpeg", "jpg", "png", "gif", "JPEG", "tiff"),
    "dpr": ("1", "1.5", "2", "2.5", "3", "4", "5", "0", "0.5", "auto", "2.0001"),
    "gravity": ("centre", "center", *_COMPASS, "entropy", "attention", "face", "focus", "middle"),
    "focus": ("0.5,0.5", "0,0", "1,1", "0.25,0.75", "0.333,0.9", "1.5,0.5", "x"),
    "background": ("ffffff", "000000", "FFFFFF", "#000000", "fff", "ff0000", "zzzzzz"),
    "grayscale": _BOOLS,
    "blur": ("0", "1", "5", "20", "100", "250", "251", "-1", "0.5"),
    "sharpen": _BOOLS,
    "rotate": ("0", "90", "180", "270", "45", "-90", "360"),
    "flip": _BOOLS,
    "flop": _BOOLS,
    "preset": ("thumb", "card", "nope", "THUMB", ""),
}
_VALUES["h"] = _VALUES["w"]
JUNK_NAMES = ("width", "x", "s", "exp", "utm_source", "W", "fm", "quality", "w%20", "")
HINT_HEADERS = ("Sec-CH-Width", "Sec-CH-Viewport-Width", "Sec-CH-DPR")


def draw_urls(parameters: Sequence[str], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` requests (query, accept, extra headers) drawn by hypothesis over the URL grammar: names from
    ``parameters`` and ``JUNK_NAMES``, values valid and invalid, optional client hints; the same list for the same
    arguments (seeded, no example database, generate phase only)."""
    if count <= 0:
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    junk_value = st.one_of(
        st.text(alphabet="abcxyz0129.,-_~", max_size=6),
        st.sampled_from(["%2C", "%ZZ", "%C3%A9", "%FF", "+", "1+1", "%20300", "300px", "1e3", "-0"]),
    )

    def values_of(name: str) -> st.SearchStrategy[str]:
        known = _VALUES.get(name)
        if known is None:
            return junk_value
        # An explicit draw picks valid or junk (one_of's branch choice leans on the junk's many shapes).
        return st.tuples(st.integers(0, 9), st.sampled_from(known), junk_value).map(
            lambda drawn: drawn[1] if drawn[0] < 8 else drawn[2]
        )

    named = st.sampled_from(tuple(parameters)).flatmap(lambda name: st.tuples(st.just(name), values_of(name)))
    junk = st.tuples(st.sampled_from(JUNK_NAMES), junk_value)
    # Mostly image parameters with an "=", each name once, and a size: most URLs render; the rest are refused.
    # (Explicit integer draws pick the branches: one_of's choice leans on the junk strategies' many shapes.)
    pair = st.tuples(st.integers(0, 9), named, junk).map(lambda drawn: drawn[1] if drawn[0] < 8 else drawn[2])

    @st.composite
    def query(draw: st.DrawFn) -> str:
        if draw(st.integers(0, 4)):
            pairs = draw(st.lists(pair, max_size=4, unique_by=lambda item: item[0]))
        else:
            pairs = draw(st.lists(pair, max_size=4))
        sizes = draw(st.integers(0, 9))
        if sizes < 8 and not any(name in ("w", "h", "preset") for name, _ in pairs):
            for name in ("w",) if sizes < 4 else ("h",) if sizes < 5 else ("w", "h"):
                pairs.insert(draw(st.integers(0, len(pairs))), (name, draw(values_of(name))))
        bare = draw(st.integers(0, 19)) - 10  # now and then a name without "=" (never when the draw is minimal)
        return "&".join(name if index == bare else f"{name}={value}" for index, (name, value) in enumerate(pairs))

    hints = st.fixed_dictionaries(
        {},
        optional={
            "Sec-CH-Width": st.sampled_from(["300", "828", "1000", "5000", "0", "abc"]),
            "Sec-CH-Viewport-Width": st.sampled_from(["375", "1280", "-1"]),
            "Sec-CH-DPR": st.sampled_from(["1", "2", "2.625", "3.5", "x"]),
        },
    )
    accept = st.sampled_from([*ACCEPTS.values(), "*/*", "image/avif", "image/png", ""])
    drawn: list[dict[str, Any]] = []
    seen: set[str] = set()

    @hypothesis_seed(seed)
    @settings(
        database=None,
        derandomize=True,
        max_examples=5 * count,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=query(), accept=accept, headers=hints)
    def collect(query: str, accept: str, headers: dict[str, str]) -> None:
        request = {"query": query, "accept": accept, "headers": headers}
        token = json.dumps(request, sort_keys=True)
        if token not in seen and len(drawn) < count:
            seen.add(token)
            drawn.append(request)

    collect()
    return drawn


@dataclass(frozen=True)
class Plan:
    """Everything both children get: originals, configurations, requests (``id`` is the index)."""

    originals: list[Original]
    configs: dict[str, Setup]
    requests: list[dict[str, Any]]


def build_plan(
    originals: Sequence[Original],
    configs: Sequence[str],
    urls: Sequence[Mapping[str, Any]],
    photos: Sequence[Original],
    corpus_subset: Sequence[Original] | None = None,
) -> Plan:
    """Per configuration: each corpus file x its queries x the three Accept headers, then each drawn URL on one
    of ``photos`` in turn."""
    requests: list[dict[str, Any]] = []

    def add(config: str, original: Original, query: str, accept: str, headers: Mapping[str, str], kind: str) -> None:
        requests.append(
            {
                "id": len(requests),
                "config": config,
                "uri": "/" + original.key,
                "query": query,
                "accept": accept,
                "headers": dict(headers),
                "kind": kind,
            }
        )

    for config in configs:
        for original in corpus_subset if corpus_subset is not None else originals:
            for query in CONFIGS[config].queries:
                for accept in ACCEPTS.values():
                    add(config, original, query, accept, {}, "corpus")
        for index, url in enumerate(urls):
            add(config, photos[index % len(photos)], url["query"], url["accept"], url["headers"], "hypothesis")
    return Plan(list(originals), {name: CONFIGS[name] for name in configs}, requests)


# --- the child: one side's real handlers --------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _body_bytes(response: Mapping[str, Any]) -> bytes:
    body = response.get("body", "")
    if response.get("bodyEncoding") == "base64":
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def _headers_of(response: Mapping[str, Any]) -> dict[str, str]:
    """Every header (lowercase name -> values joined by ``, ``), ``last-modified`` only as present."""
    result: dict[str, str] = {}
    for name, entries in sorted(response.get("headers", {}).items()):
        value = ", ".join(str(entry.get("value", "")) for entry in entries)
        result[name] = "<present>" if name == "last-modified" else value
    return result


def _short_text(data: bytes) -> str | None:
    """A text body (an error's reason) as text, at most 160 characters; ``None`` for binary."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[:160] if text.replace("\n", " ").isprintable() else None


def child_main(job_path: Path) -> int:
    """Run every request of the job on this side's tree (the job's ``root``), one JSON line each on stdout."""
    job = json.loads(job_path.read_text(encoding="utf-8"))
    root = Path(job["root"]).resolve()
    sys.path.insert(0, str(root))
    # Lambda logs go to stdout; the records need it: they get a copy of fd 1, the handlers fd 1 pointed at null.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "IMGEDGE_CONFIG"):
        os.environ.pop(name, None)

    import edge

    edge_file = Path(str(edge.__file__)).resolve()
    if not edge_file.is_relative_to(root):
        print(f"edge was imported from {edge_file}, not from the tree {root}: refusing to run", file=sys.stderr)
        return 3

    import boto3
    import PIL
    from moto import mock_aws

    from edge import config as edge_config

    meta: dict[str, Any] = {"kind": "meta", "edge_file": str(edge_file), "pillow": PIL.__version__}
    meta["python"] = sys.version.split()[0]
    try:
        import pillow_heif  # type: ignore[import-not-found,unused-ignore]

        meta["pillow_heif"] = str(pillow_heif.__version__)
    except ImportError:
        meta["pillow_heif"] = None
    templates = {}
    for name in ("viewer-request", "origin-response-404", "origin-response-403"):
        path = root / "tests" / "events" / f"{name}.json"
        if not path.is_file():
            print(f"{path} is missing on this side: cannot build its events", file=sys.stderr)
            return 4
        templates[name] = path.read_text(encoding="utf-8")
    out.write(json.dumps(meta) + "\n")
    out.flush()

    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        originals = set()
        for original in job["originals"]:
            body = Path(original["path"]).read_bytes()
            s3.put_object(Bucket=BUCKET, Key=original["key"], Body=body, ContentType=original["content_type"])
            originals.add(original["key"])

        try:
            from origin_response.handler import handler as origin_handler
            from viewer_request.handler import handler as viewer_handler
        except ImportError as exc:
            print(f"this side has no Lambda entry point to drive: {exc}", file=sys.stderr)
            return 5

        config_path = Path(tmp) / "imgedge-config.json"
        for config_name, setup in job["configs"].items():
            config_path.write_text(json.dumps(setup["settings"]), encoding="utf-8")
            os.environ["IMGEDGE_CONFIG"] = str(config_path)
            getattr(edge_config.load_config, "cache_clear", lambda: None)()  # load_config is read once: forget it
            try:
                edge_config.load_config()
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                out.write(json.dumps({"kind": "config", "config": config_name, "error": error}) + "\n")
                out.flush()
                continue
            out.write(json.dumps({"kind": "config", "config": config_name, "error": None}) + "\n")
            answered: dict[str, dict[str, Any]] = {}
            miss = f"origin-response-{setup['miss_status']}"
            for request in job["requests"]:
                if request["config"] != config_name:
                    continue
                started = time.perf_counter()
                viewer_event = _viewer_event(templates["viewer-request"], request)
                record: dict[str, Any] = {"viewer": None, "origin": None}
                reused = False
                try:
                    viewer_result = viewer_handler(viewer_event, None)
                except Exception as exc:
                    record["viewer"] = {"exception": f"{type(exc).__name__}: {exc}"[:300]}
                else:
                    record["viewer"] = _viewer_record(viewer_result)
                    marker = record["viewer"].get("marker")
                    if "status" not in viewer_result and marker is not None:
                        event = _origin_event(
                            templates[miss], viewer_result["uri"], viewer_result.get("querystring", ""), marker
                        )
                        token = json.dumps(event, sort_keys=True)
                        reused = token in answered
                        if not reused:
                            answered[token] = _origin_record(origin_handler, event, s3, originals)
                        record["origin"] = answered[token]
                line = {
                    "kind": "request",
                    "id": request["id"],
                    "record": record,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "reused": reused,
                }
                out.write(json.dumps(line) + "\n")
                out.flush()
    out.close()
    return 0


def _viewer_event(template: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """As tests/conftest.py's ``viewer_event``: the documented event with uri, query, Accept and extra headers."""
    event: dict[str, Any] = json.loads(template)
    cf_request = event["Records"][0]["cf"]["request"]
    cf_request["uri"] = request["uri"]
    cf_request["querystring"] = request["query"]
    if request["accept"]:
        cf_request["headers"]["accept"] = [{"key": "Accept", "value": request["accept"]}]
    else:
        cf_request["headers"].pop("accept", None)
    for name, value in request["headers"].items():
        cf_request["headers"][name.lower()] = [{"key": name, "value": value}]
    return event


def _viewer_record(result: Mapping[str, Any]) -> dict[str, Any]:
    if "status" in result:  # a generated response
        body = _body_bytes(result)
        return {
            "status": int(result["status"]),
            "headers": _headers_of(result),
            "body_sha256": _sha(body),
            "body": _short_text(body),
        }
    headers = result.get("headers", {})
    marker = headers.get(MARKER_HEADER)
    return {
        "uri": result.get("uri"),
        "querystring": result.get("querystring", ""),
        "marker": marker[0]["value"] if marker else None,
    }


def _origin_event(template: str, uri: str, querystring: str, marker: str) -> dict[str, Any]:
    """As tests/conftest.py's ``origin_event``: S3's miss for ``uri`` with the marker, the origin our bucket."""
    event: dict[str, Any] = json.loads(template)
    request = event["Records"][0]["cf"]["request"]
    request["uri"] = uri
    request["querystring"] = querystring
    request["headers"][MARKER_HEADER] = [{"key": MARKER_HEADER, "value": marker}]
    domain = f"{BUCKET}.s3.us-east-1.amazonaws.com"
    request["origin"]["s3"]["domainName"] = domain
    request["headers"]["host"] = [{"key": "Host", "value": domain}]
    return event


def _origin_record(handler: Any, event: dict[str, Any], s3: Any, originals: set[str]) -> dict[str, Any]:
    record: dict[str, Any]
    try:
        response = handler(event, None)
    except Exception as exc:
        record = {"exception": f"{type(exc).__name__}: {exc}"[:300]}
    else:
        body = _body_bytes(response)
        record = {
            "status": int(response["status"]),
            "headers": _headers_of(response),
            "body_sha256": _sha(body),
            "body_bytes": len(body),
            "body": _short_text(body) if int(response["status"]) >= 300 else None,
        }
    stored = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            if item["Key"] in originals:
                continue
            got = s3.get_object(Bucket=BUCKET, Key=item["Key"])
            stored.append(
                {
                    "key": item["Key"],
                    "sha256": _sha(got["Body"].read()),
                    "content_type": got.get("ContentType"),
                    "cache_control": got.get("CacheControl"),
                    "metadata": dict(sorted(got.get("Metadata", {}).items())),
                }
            )
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    record["stored"] = stored
    return record


# --- the two sides --------------------------------------------------------------------------------------------------


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@dataclass
class Side:
    """One side: its source tree and what to print about it."""

    label: str
    tree: Path
    description: str


@contextlib.contextmanager
def checked_out(label: str, rev: str | None, scratch: Path) -> Iterator[Side]:
    """The side for ``rev``: a detached worktree (removed on leaving, also on error), or this working tree."""
    if rev is None:
        head = _git("rev-parse", "HEAD")
        changed = len(_git("status", "--porcelain").splitlines())
        uncommitted = f" + {changed} uncommitted paths (git status)" if changed else " (clean)"
        yield Side(label, ROOT, f"working tree {ROOT} at {head}{uncommitted}")
        return
    try:
        commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"--{label}: {rev!r} is not a revision: {exc.stderr.strip()}") from None
    tree = scratch / label
    _git("worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        yield Side(label, tree, f"{rev} = {commit}")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True, check=False)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True, check=False)


@dataclass
class SideRun:
    """What one child printed: its meta line, per-configuration errors and per-request records."""

    meta: dict[str, Any] = field(default_factory=dict)
    config_errors: dict[str, str | None] = field(default_factory=dict)
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    millis: dict[int, float] = field(default_factory=dict)
    reused: int = 0
    seconds: float = 0.0


def run_sides(sides: Sequence[Side], plan: Plan, scratch: Path, progress: bool = True) -> dict[str, SideRun]:
    """Run one child per side, concurrently, and read back their lines."""
    job = {
        "originals": [
            {"key": o.key, "path": str(o.path.resolve()), "content_type": o.content_type} for o in plan.originals
        ],
        "configs": {
            name: {"settings": setup.settings, "miss_status": setup.miss_status} for name, setup in plan.configs.items()
        },
        "requests": plan.requests,
    }
    processes = {}
    started = time.monotonic()
    for side in sides:
        job_path = scratch / f"job-{side.label}.json"
        job_path.write_text(json.dumps({**job, "root": str(side.tree)}), encoding="utf-8")
        stdout = (scratch / f"out-{side.label}.jsonl").open("w", encoding="utf-8")
        stderr = (scratch / f"err-{side.label}.txt").open("w", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMGEDGE_CONFIG")}
        env["PYTHONPATH"] = str(side.tree)
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(job_path)]
        processes[side.label] = (
            subprocess.Popen(command, cwd=side.tree, env=env, stdout=stdout, stderr=stderr),
            stdout,
        )
    finished: dict[str, float] = {}
    total = len(plan.requests)
    last_report = started
    try:
        while len(finished) < len(processes):
            time.sleep(0.5)
            for label, (process, _) in processes.items():
                if label not in finished and process.poll() is not None:
                    finished[label] = time.monotonic() - started
            if progress and time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                done = {label: _count_lines(scratch / f"out-{label}.jsonl") for label in processes}
                status = ", ".join(f"{label} {count}/{total}" for label, count in done.items())
                print(f"[equivalence] {time.monotonic() - started:.0f} s: {status}", file=sys.stderr, flush=True)
    finally:
        for process, stdout in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            stdout.close()
    runs = {}
    for label, (process, _) in processes.items():
        if process.returncode != 0:
            errors = (scratch / f"err-{label}.txt").read_text(encoding="utf-8", errors="replace")
            raise SystemExit(f"the {label} side's child failed (exit {process.returncode}):\n{errors[-3000:]}")
        run = read_side(scratch / f"out-{label}.jsonl")
        run.seconds = finished[label]
        runs[label] = run
    return runs


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.startswith(b'{"kind": "request"'))


def read_side(path: Path) -> SideRun:
    run = SideRun()
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["kind"] == "meta":
            run.meta = item
        elif item["kind"] == "config":
            run.config_errors[item["config"]] = item["error"]
        else:
            run.records[item["id"]] = item["record"]
            run.millis[item["id"]] = item["ms"]
            run.reused += bool(item["reused"])
    return run


# --- the comparison -----------------------------------------------------------------------------------------------


def final_status(record: Mapping[str, Any]) -> object:
    """What the viewer finally gets: origin-response's status, else viewer-request's, else ``pass``."""
    origin, viewer = record.get("origin"), record.get("viewer") or {}
    if origin is not None:
        return origin.get("status", origin.get("exception"))
    return viewer.get("status", viewer.get("exception", "pass"))


def final_body(record: Mapping[str, Any]) -> object:
    origin, viewer = record.get("origin"), record.get("viewer") or {}
    return (origin or viewer).get("body_sha256")


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}, "c": [x]}`` -> ``{"a.b": 1, "c[0]...": x}``."""
    if isinstance(value, Mapping):
        flat: dict[str, object] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat or {prefix: {}}
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
        return flat or {prefix: []}
    return {prefix: value}


def differing_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, object, object]]:
    """The fields (flattened paths) whose values differ, with both values (``<absent>`` when missing)."""
    flat_old, flat_new = flatten(old), flatten(new)
    return [
        (name, flat_old.get(name, "<absent>"), flat_new.get(name, "<absent>"))
        for name in sorted(set(flat_old) | set(flat_new))
        if flat_old.get(name, "<absent>") != flat_new.get(name, "<absent>")
    ]


@dataclass
class Tally:
    """Per configuration: requests run and how many agree at each level."""

    requests: int = 0
    viewer: int = 0
    status: int = 0
    body: int = 0
    stored: int = 0
    identical: int = 0
    rendered: int = 0
    stored_objects: int = 0


@dataclass
class Comparison:
    tallies: dict[str, Tally]
    differences: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]
    missing: list[int]
    config_errors: dict[str, dict[str, str]]

    @property
    def identical(self) -> bool:
        return not self.differences and not self.missing and not self.config_errors


def compare(
    requests: Sequence[Mapping[str, Any]],
    old: Mapping[int, Mapping[str, Any]],
    new: Mapping[int, Mapping[str, Any]],
    config_errors: Mapping[str, Mapping[str, str | None]] | None = None,
) -> Comparison:
    """Compare the two sides' records request by request."""
    tallies: dict[str, Tally] = {}
    differences: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    missing: list[int] = []
    errors: dict[str, dict[str, str]] = {}
    for label, per_config in (config_errors or {}).items():
        for config, error in per_config.items():
            if error is not None:
                errors.setdefault(config, {})[label] = error
    for request in requests:
        config = str(request["config"])
        tally = tallies.setdefault(config, Tally())
        if config in errors:
            continue
        a, b = old.get(request["id"]), new.get(request["id"])
        if a is None or b is None:
            missing.append(int(request["id"]))
            continue
        tally.requests += 1
        tally.viewer += a.get("viewer") == b.get("viewer")
        tally.status += final_status(a) == final_status(b)
        tally.body += final_body(a) == final_body(b)
        stored_a, stored_b = (a.get("origin") or {}).get("stored", []), (b.get("origin") or {}).get("stored", [])
        tally.stored += stored_a == stored_b
        tally.rendered += (b.get("origin") or {}).get("status") == 200
        tally.stored_objects += len(stored_b)
        if a == b:
            tally.identical += 1
        else:
            differences.append((dict(request), dict(a), dict(b)))
    return Comparison(tallies, differences, missing, errors)


def _short(value: object, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _request_line(request: Mapping[str, Any]) -> str:
    query = f"?{request['query']}" if request["query"] else ""
    accept = next((name for name, value in ACCEPTS.items() if value == request["accept"]), request["accept"])
    hints = "".join(f" {name}: {value}" for name, value in request["headers"].items())
    return f"#{request['id']} [{request['config']}] {request['uri']}{query}  Accept: {_short(accept, 40)}{hints}"


def _content_type(record: Mapping[str, Any]) -> str:
    origin = record.get("origin") or {}
    return str(origin.get("headers", {}).get("content-type", "-")) if origin else "-"


def difference_classes(comparison: Comparison) -> list[tuple[str, int, dict[str, Any]]]:
    """Differences grouped by which fields differ (list indices and header values folded), most frequent first."""
    classes: Counter[str] = Counter()
    examples: dict[str, dict[str, Any]] = {}
    for request, a, b in comparison.differences:
        found: set[str] = set()
        for section in ("viewer", "origin"):
            part_a, part_b = a.get(section), b.get(section)
            if part_a == part_b:
                continue
            if part_a is None or part_b is None:
                found.add(f"{section} (only {'new' if part_a is None else 'old'})")
                continue
            shape_a, shape_b = ("response" if "status" in part else "rewrite" for part in (part_a, part_b))
            if section == "viewer" and shape_a != shape_b:  # a generated response on one side, a rewrite on the other
                found.add(f"viewer ({shape_a} -> {shape_b})")
                continue
            for name, _, _ in differing_fields(part_a, part_b):
                found.add(f"{section}.{name.split('[')[0]}" + ("[]" if "[" in name else ""))
        names = sorted(found)
        status = f"status {final_status(a)} -> {final_status(b)}"
        types = f"type {_content_type(a)} -> {_content_type(b)}"
        key = f"{status}; {types}; fields: {', '.join(names)}"
        classes[key] += 1
        examples.setdefault(key, request)
    return [(key, count, examples[key]) for key, count in classes.most_common()]


def report(comparison: Comparison, first: int = FIRST_DIFFERENCES) -> str:
    lines = []
    header = f"{'config':<16}{'requests':>9}{'viewer =':>10}{'status =':>10}{'body =':>9}{'stored =':>10}"
    header += f"{'record =':>10}{'(renders':>10}{'stored)':>9}"
    lines += [header]
    for config, tally in comparison.tallies.items():
        if config in comparison.config_errors:
            why = "; ".join(f"{label}: {error}" for label, error in comparison.config_errors[config].items())
            lines.append(f"{config:<16} not compared: a side cannot load this configuration ({_short(why, 200)})")
            continue
        lines.append(
            f"{config:<16}{tally.requests:>9}{tally.viewer:>10}{tally.status:>10}{tally.body:>9}{tally.stored:>10}"
            f"{tally.identical:>10}{tally.rendered:>10}{tally.stored_objects:>9}"
        )
    total = sum(t.requests for t in comparison.tallies.values())
    same = sum(t.identical for t in comparison.tallies.values())
    lines.append(f"{'all':<16}{total:>9}{'':>39}{same:>10}")
    if comparison.missing:
        lines.append(f"{len(comparison.missing)} requests have no record on one side (first: {comparison.missing[:5]})")
    if comparison.differences:
        lines += ["", f"{len(comparison.differences)} requests differ; classes (old -> new):"]
        for key, count, example in difference_classes(comparison):
            lines.append(f"  {count:>5}  {key}")
            lines.append(f"         e.g. {_request_line(example)}")
        lines += ["", f"First {min(first, len(comparison.differences))} differences (field: old | new):"]
        for request, a, b in comparison.differences[:first]:
            lines.append(_request_line(request))
            for name, value_a, value_b in differing_fields(a, b)[:8]:
                lines.append(f"    {name}: {_short(value_a)} | {_short(value_b)}")
    return "\n".join(lines)


# --- the command --------------------------------------------------------------------------------------------------


def find_corpus(explicit: Path | None) -> Path | None:
    """``--corpus``, else ``../shared/corpus`` beside this tree or beside the main checkout (for a worktree)."""
    if explicit is not None:
        return explicit if (explicit / "MANIFEST.tsv").is_file() else None
    candidates = [ROOT / DEFAULT_CORPUS]
    with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
        common = Path(_git("rev-parse", "--path-format=absolute", "--git-common-dir"))
        candidates.append(common.parent / DEFAULT_CORPUS)
    return next((path.resolve() for path in candidates if (path / "MANIFEST.tsv").is_file()), None)


@dataclass
class Outcome:
    """A harness run: the plan, both sides and their comparison."""

    plan: Plan
    sides: dict[str, Side]
    runs: dict[str, SideRun]
    comparison: Comparison
    corpus_note: str
    seconds: float


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--old", required=True, help="git revision of the old side")
    parser.add_argument("--new", default=None, help="git revision of the new side (default: this working tree)")
    parser.add_argument("--corpus", type=Path, default=None, help="folder holding MANIFEST.tsv (../shared/corpus)")
    parser.add_argument("--synthetic", action="store_true", help="synthetic originals, even with a corpus")
    parser.add_argument("--urls", type=int, default=None, help="hypothesis URLs per configuration (200; quick 20)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (0)")
    parser.add_argument("--config", nargs="+", choices=sorted(CONFIGS), default=None, help="configurations")
    parser.add_argument(
        "--quick", action="store_true", help=f"only {len(QUICK_PHOTOS)} corpus files, {QUICK_URLS} URLs"
    )
    parser.add_argument("--photos", nargs="+", default=None, help="only these corpus files (names in the manifest)")
    parser.add_argument("--save", type=Path, default=None, help="write every request and both records (JSON lines)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, progress: bool = True) -> Outcome:
    started = time.monotonic()
    configs = tuple(dict.fromkeys(args.config or DEFAULT_CONFIGS))
    url_count = args.urls if args.urls is not None else (QUICK_URLS if args.quick else 200)
    with tempfile.TemporaryDirectory(prefix="imgedge-equivalence-") as tmp:
        scratch = Path(tmp)
        corpus = None if args.synthetic else find_corpus(args.corpus)
        if corpus is None:
            originals = synthetic_originals(scratch / "synthetic")
            why = "--synthetic" if args.synthetic else f"no corpus at {args.corpus or DEFAULT_CORPUS}"
            note = f"synthetic originals ({len(originals)}, drawn with Pillow; {why})"
        else:
            originals = corpus_originals(corpus)
            note = f"corpus {corpus} ({len(originals)} files)"
        subset = None
        if args.photos:
            subset = [original for original in originals if original.name in set(args.photos)]
            if not subset:
                raise SystemExit(f"--photos: none of {args.photos} is in the originals")
            note += f"; --photos: {len(subset)} of them"
        elif args.quick:
            subset = url_photos(originals, QUICK_PHOTOS, count=3)
            note += f"; --quick: {len(subset)} of them ({', '.join(o.name for o in subset)})"
        with contextlib.ExitStack() as stack:
            old = stack.enter_context(checked_out("old", args.old, scratch))
            new = stack.enter_context(checked_out("new", args.new, scratch))
            parameters = new_side_parameters(new.tree)
            urls = draw_urls(parameters, url_count, args.seed)
            photos = url_photos(originals)
            plan = build_plan(originals, configs, urls, photos, subset)
            runs = run_sides([old, new], plan, scratch, progress)
        errors = {label: side_run.config_errors for label, side_run in runs.items()}
        comparison = compare(plan.requests, runs["old"].records, runs["new"].records, errors)
    return Outcome(plan, {"old": old, "new": new}, runs, comparison, note, time.monotonic() - started)


def summary(outcome: Outcome) -> str:
    lines = []
    for label, side in outcome.sides.items():
        meta = outcome.runs[label].meta
        lines.append(f"{label}: {side.description}")
        lines.append(
            f"     edge from {meta.get('edge_file')}; Python {meta.get('python')}, Pillow {meta.get('pillow')}, "
            f"pillow-heif {meta.get('pillow_heif')}"
        )
    lines.append(f"originals: {outcome.corpus_note}")
    kinds = Counter(str(request["kind"]) for request in outcome.plan.requests)
    lines.append(
        f"requests: {len(outcome.plan.requests)} ({kinds['corpus']} corpus x query x Accept, "
        f"{kinds['hypothesis']} hypothesis URLs) over configurations {', '.join(outcome.plan.configs)}"
    )
    for label, side_run in outcome.runs.items():
        millis = sorted(side_run.millis.values())
        slowest = millis[-1] if millis else 0.0
        lines.append(
            f"{label} side: {side_run.seconds:.0f} s wall, {sum(millis) / 1000:.0f} s in requests "
            f"(slowest {slowest:.0f} ms); {side_run.reused} origin answers reused"
        )
    lines += ["", report(outcome.comparison), ""]
    verdict = "IDENTICAL" if outcome.comparison.identical else "DIFFERENT"
    lines.append(f"{verdict} (harness {outcome.seconds:.0f} s)")
    return "\n".join(lines)


def exit_status(comparison: Comparison) -> int:
    """0 when both sides agree on every request of every configuration, else 1."""
    return 0 if comparison.identical else 1


def save(outcome: Outcome, path: Path) -> None:
    """One JSON line per request: the request and both sides' records."""
    with path.open("w", encoding="utf-8") as handle:
        for request in outcome.plan.requests:
            old = outcome.runs["old"].records.get(request["id"])
            new = outcome.runs["new"].records.get(request["id"])
            handle.write(json.dumps({"request": request, "old": old, "new": new}) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["--child"]:
        return child_main(Path(arguments[1]))
    args = parse_args(arguments)
    try:
        outcome = run(args)
    except subprocess.CalledProcessError as exc:
        print(f"equivalence: {' '.join(map(str, exc.cmd))} failed: {exc.stderr}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        print(f"equivalence: {exc}", file=sys.stderr)
        return 2
    if args.save is not None:
        save(outcome, args.save)
    print(summary(outcome))
    return exit_status(outcome.comparison)


if __name__ == "__main__":
    sys.exit(main())
