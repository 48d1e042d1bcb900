"""Render benchmark: imgedge's render path against sharp, pyvips and naive Pillow, side by side (issue 5).

One command (docs/performance.md calls it through ``./dev bench``)::

    python benchmarks/render_bench.py            # default run, about 10 minutes on 2 cores
    python benchmarks/render_bench.py --quick    # about 2 minutes: 3 photos, 1 round, a smaller AVIF curve
    python benchmarks/render_bench.py --rd ...   # quality sweeps and BD-rates instead (rd_bench.py, issue 19)

It prepares what it needs on first use: ``pyvips``, ``pyvips-binary`` and ``numpy`` (pinned, pip into the
running interpreter's environment; ``pillow-avif-plugin`` too, for the AVIF encoder curve) and sharp (pinned by
``benchmarks/package.json`` and ``package-lock.json``, ``npm ci`` into ``benchmarks/.bench/node/``). Outputs,
reference images and the raw JSON go to ``benchmarks/.bench/`` (git-ignored).

What it measures (every engine in its own process, pinned to one CPU, one thread; each decodes the original
from its bytes on every call; rounds interleave the engines, whose order rotates per job):

- per engine x format x width: median ms per photo, output bytes, quality distance (DSSIM on CIELAB against the
  source downscaled once in float linear light), peak RSS per engine process;
- the AVIF encoder curve on imgedge's pipeline: Pillow's aom at speeds 5-9, and pillow-avif-plugin's SVT-AV1
  and rav1e; thread scaling on both CPUs;
- the floor of the JPEG and WebP renders (`benchmarks/floor.py`): entropy decode, decode, transform and encode
  apart, against the same run's sharp and pyvips;
- the corpus's huge originals under the default limits (rendered within a memory bound, or refused);
- viewer-request time per event and cold imports, origin-response cold start, a warm miss through the emulator,
  and the Lambda@Edge cost per million misses.

Everything is printed as Markdown; ``benchmarks/RESULTS.md`` quotes a run.
"""
