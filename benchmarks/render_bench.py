"""The render benchmark's entry point: ``python benchmarks/render_bench.py [options]`` (``./dev bench``).

The benchmark is the package ``renderbench`` beside this file (its docstring, ``--help`` and
``benchmarks/README.md`` say what it measures and how it is laid out); this script only runs its command line.
The names below stay importable from here (``import render_bench as bench``) for scripts written against the
single-file benchmark.
"""

from __future__ import annotations

import sys

from renderbench.cli import main, parse_args
from renderbench.corpus import Photo, read_photos
from renderbench.environment import ensure_python_packages, ensure_sharp, machine
from renderbench.matrix import Cell, Key, Summary, run_matrix, score, summarise
from renderbench.processes import Worker, WorkerError, load_sources
from renderbench.quality import Quality, dssim
from renderbench.settings import BENCH_DIR, DEFAULT_CORPUS, ENGINES, FORMATS, NODE_DIR, ROOT, WIDTHS, WORK, log

__all__ = [
    "BENCH_DIR",
    "DEFAULT_CORPUS",
    "ENGINES",
    "FORMATS",
    "NODE_DIR",
    "ROOT",
    "WIDTHS",
    "WORK",
    "Cell",
    "Key",
    "Photo",
    "Quality",
    "Summary",
    "Worker",
    "WorkerError",
    "dssim",
    "ensure_python_packages",
    "ensure_sharp",
    "load_sources",
    "log",
    "machine",
    "main",
    "parse_args",
    "read_photos",
    "run_matrix",
    "score",
    "summarise",
]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
