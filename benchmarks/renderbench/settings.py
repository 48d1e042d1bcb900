"""What the render benchmark runs and where: its paths, widths, formats, engines and prices, and ``log``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "benchmarks"
#: This package's folder; ``probes/`` in it holds the programs run in fresh interpreters (``edge_functions``).
PACKAGE_DIR = Path(__file__).resolve().parent
WORK = BENCH_DIR / ".bench"
NODE_DIR = WORK / "node"
DEFAULT_CORPUS = Path("..") / "shared" / "corpus"

PY_REQUIREMENTS = {
    "numpy": "numpy==2.4.6",
    "pyvips": "pyvips==3.2.0",
    "pyvips-binary": "pyvips-binary==8.18.7",
    "pillow-avif-plugin": "pillow-avif-plugin==1.6.0",
    # The rate-distortion sweep (--rd, rd_bench.py); pyproject's ``bench`` extra pins the same.
    "scipy": "scipy==1.17.1",
    "ssimulacra2": "ssimulacra2==0.3.0",
}
WIDTHS = (300, 640, 1280)
#: Every format of the main matrix; ``--formats`` picks some of them (passed on as ``formats`` arguments).
FORMATS = ("jpeg", "webp", "avif")
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}
# Engines of the main tables, in the order they are printed. imgedge-issue is imgedge's render path with the
# encoders set to the settings (baseline JPEG, AVIF speed 5); imgedge is the shipping defaults.
ENGINES = ("sharp", "pyvips", "pillow-naive", "imgedge-issue", "imgedge")
PYTHON_ENGINES = frozenset({"pyvips", "pillow-naive", "imgedge-issue", "imgedge", "imgedge-avif"})
# Lambda@Edge price (CloudFront pricing page): per GB-second of duration, billed in 1 ms steps, and per request.
PRICE_GB_SECOND = 0.00005001
PRICE_REQUEST = 0.60 / 1_000_000
ONE_VCPU_MB = 1769
# The corpus's huge originals (file name -> what the default limits should do with them).
HUGE = ("edge-huge-9643x10328.jpg", "edge-huge-20000x14000-grey.jpg", "edge-huge-65536x65536.png")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
