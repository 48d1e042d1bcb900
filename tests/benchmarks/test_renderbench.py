"""benchmarks/renderbench: the render benchmark's code path on one small synthetic image, untimed.

imgedge's engine renders through the worker protocol (its own process, JSON lines), the report prints that
engine's rows, and the probe programs run by path in fresh interpreters. No sharp, pyvips, corpus or network.
The quality metric's test needs numpy (the ``bench`` extra) and skips without it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from renderbench import edge_functions, quality, report
from renderbench.corpus import Photo
from renderbench.matrix import Job, run_matrix
from renderbench.processes import Worker, WorkerError, load_sources
from renderbench.settings import ROOT

CPUS = os.sched_getaffinity(0)


def _photo(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    """A small photo-like JPEG: a gradient with shapes, so every codec has some detail to keep."""
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for x in range(size[0]):
        draw.line([(x, 0), (x, size[1])], fill=(x * 255 // size[0], 120, 255 - x * 255 // size[0]))
    draw.ellipse((60, 40, 220, 200), fill=(250, 240, 30), outline=(0, 0, 0), width=4)
    draw.rectangle((250, 150, 380, 280), fill=(20, 90, 40))
    image.save(path, "JPEG", quality=90)
    return path


def test_the_imgedge_engine_renders_through_the_worker_protocol_and_the_report_prints_its_rows(
    tmp_path: Path,
) -> None:
    photo = Photo("synthetic.jpg", _photo(tmp_path / "synthetic.jpg"))
    worker = Worker("imgedge", cpus=CPUS, threads=1)
    try:
        versions = worker.call(op="hello")["versions"]
        load_sources({"imgedge": worker}, [photo])
        jobs: list[Job] = [("jpeg", 300, {}), ("webp", 300, {})]
        cells = run_matrix({"imgedge": worker}, [photo], jobs, 2, tmp_path / "out", "smoke")
        with pytest.raises(WorkerError, match="unknown op"):
            worker.call(op="nonsense")
    finally:
        rss = {"imgedge": worker.close()}
    assert versions["pillow"]
    assert versions["python"]
    assert set(cells) == {("imgedge", "synthetic.jpg", "jpeg", 300), ("imgedge", "synthetic.jpg", "webp", 300)}
    for (_, _, fmt, _), cell in cells.items():
        assert len(cell.times) == 2
        assert cell.bytes > 0
        assert cell.size == (300, 225)
        assert cell.output is not None
        assert cell.output.suffix == {"jpeg": ".jpg", "webp": ".webp"}[fmt]
        with Image.open(cell.output) as output:
            assert output.size == (300, 225)
        assert set(cell.stages[0]) >= {"decode", "transform", "encode"}

    tables = report.render_tables(cells, ["imgedge"], rss, ("jpeg", "webp"))
    lines = tables.splitlines()
    summary = next(line for line in lines if line.startswith("| imgedge | "))
    assert summary.endswith(" MiB |")
    assert summary.count("|") == 5
    assert [line.split(" | ")[:2] for line in lines if line.startswith("| imgedge | 300 |")] == [
        ["| imgedge", "300"],
        ["| imgedge", "300"],
    ]
    assert "**jpeg**" in tables
    assert "**webp**" in tables
    assert "**avif**" not in tables
    assert "| jpeg | 300 |" in report.stage_table(cells, "imgedge", ("jpeg", "webp"))
    assert report.contention_table(cells, ["imgedge"]).splitlines()[2].startswith("| imgedge | ")
    assert json.loads(json.dumps(report.cells_json(cells)))[0]["engine"] == "imgedge"


def test_a_worker_for_an_unknown_engine_exits() -> None:
    worker = Worker("no-such-engine", cpus=CPUS, threads=1)
    with pytest.raises(WorkerError, match="exited"):
        worker.call(op="hello")
    assert worker.process.stdin is not None
    assert worker.process.stdout is not None
    worker.process.stdin.close()
    worker.process.stdout.close()


def test_the_probe_programs_run_by_path_and_print_json(tmp_path: Path) -> None:
    imported = edge_functions.run_probe("import_cpu", argv=("json", "os"))
    assert imported["cpu_ms"] >= 0
    assert imported["wall_ms"] >= 0
    viewer = edge_functions.run_probe("viewer_timing", argv=("200",))
    assert viewer["silent"]["cpu_median_us"] > 0
    assert viewer["logging"]["p99_us"] > 0
    huge = edge_functions.run_probe("huge_render", argv=(str(_photo(tmp_path / "small.jpg")), "100"))
    assert huge["outcome"].startswith("rendered 100x75, ")
    assert huge["rss_mib"] > 0
    assert edge_functions.importtime_us("json", CPUS) > 0
    table = report.huge_table([{"file": "small.jpg", "width": 100, **huge}])
    assert table.splitlines()[2].startswith("| small.jpg | 100 | rendered 100x75, ")


def test_the_entry_point_keeps_its_options_and_names() -> None:
    help_text = subprocess.run(
        [sys.executable, "benchmarks/render_bench.py", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for option in ("--quick", "--rounds", "--avif-rounds", "--photos", "--corpus", "--engines", "--formats"):
        assert option in help_text
    for option in ("--clock", "--no-curve", "--no-plugin", "--no-edge", "--no-floor", "--events", "--json"):
        assert option in help_text
    import render_bench

    assert render_bench.Worker is Worker
    assert render_bench.dssim is quality.dssim


def test_dssim_is_zero_for_an_image_and_itself_and_grows_with_noise() -> None:
    np = pytest.importorskip("numpy", reason="numpy is not installed (the bench extra): DSSIM is not tested")
    rng = np.random.default_rng(13)
    y, x = np.mgrid[0:48, 0:64] / 64.0
    image = np.clip(np.stack([x, y, (x + y) / 2], axis=-1) + rng.normal(0, 0.02, (48, 64, 3)), 0, 1)
    image = image.astype(np.float32)
    assert quality.dssim(np, image, image) == pytest.approx(0.0, abs=1e-9)
    slightly = np.clip(image + rng.normal(0, 0.02, image.shape), 0, 1).astype(np.float32)
    strongly = np.clip(image + rng.normal(0, 0.1, image.shape), 0, 1).astype(np.float32)
    assert 0 < quality.dssim(np, slightly, image) < quality.dssim(np, strongly, image)
