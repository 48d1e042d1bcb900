"""The framework recipes under docs/examples/, run as their users run them.

``imgedge-loader.mjs`` (next/image) is executed by Node for next/image's default widths; every URL it prints must
be accepted by the real viewer-request handler and map to the variant key ``imgedge url`` prints for the same
parameters, and each default width must reach the key unsnapped.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Handlers, viewer_event

ROOT = Path(__file__).resolve().parent.parent
LOADER = ROOT / "docs" / "examples" / "imgedge-loader.mjs"
#: next/image's default deviceSizes and imageSizes (next.config.js images defaults).
NEXT_WIDTHS = (640, 750, 828, 1080, 1200, 1920, 2048, 3840, 16, 32, 48, 64, 96, 128, 256, 384)
CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
IMGEDGE = Path(sys.executable).parent / "imgedge"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def _loader_urls(src: str, quality: int | None) -> list[str]:
    script = (
        f"const {{ default: loader }} = await import({json.dumps(LOADER.as_uri())});\n"
        f"for (const width of {json.dumps(NEXT_WIDTHS)}) "
        f"console.log(loader({{ src: {json.dumps(src)}, width, quality: {json.dumps(quality)} }}));\n"
    )
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True, text=True, check=True, timeout=60,
        env={**os.environ, "NEXT_PUBLIC_IMGEDGE_URL": "https://img.example.com/"},
    )  # fmt: skip
    return done.stdout.split()


def _cli_key(path: str, width: int, quality: int | None) -> str:
    args = [str(IMGEDGE), "url", path, "-w", str(width), "--accept", "browser"]
    if quality is not None:
        args += ["-q", str(quality)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    match = re.search(r"^variant key\s+(\S+)$", done.stdout, flags=re.MULTILINE)
    assert match is not None, done.stdout
    return match[1]


@pytest.mark.parametrize("quality", [None, 75])
def test_next_image_loader_urls_are_accepted_and_match_imgedge_url(handlers: Handlers, quality: int | None) -> None:
    viewer_handler = handlers.viewer()  # the defaults, as `imgedge url` below has them (no --config)
    urls = _loader_urls("/photos/cat.jpg", quality)
    assert len(urls) == len(NEXT_WIDTHS)
    for width, url in zip(NEXT_WIDTHS, urls, strict=True):
        assert url.startswith("https://img.example.com/photos/cat.jpg?")
        path, _, query = url.removeprefix("https://img.example.com").partition("?")
        request = viewer_handler(viewer_event(path, query, accept=CHROME_ACCEPT), None)
        assert "status" not in request, request  # accepted: rewritten, not answered
        key = request["uri"]
        assert key.startswith(f"/{width}/") or key.startswith(f"/{width}-"), (width, key)  # never snapped
        assert key.endswith(".avif")
        if width in (16, 640, 3840):  # the CLI is a process per call: a sample of widths
            assert key == _cli_key("photos/cat.jpg", width, quality)
