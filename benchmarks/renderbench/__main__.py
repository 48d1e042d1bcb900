"""``python -m renderbench [options]`` with ``benchmarks/`` on the path: the same as ``benchmarks/render_bench.py``."""

import sys

from renderbench.cli import main

sys.exit(main(sys.argv[1:]))
