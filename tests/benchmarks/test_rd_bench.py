"""benchmarks/rd_bench.py: the rate-distortion sweep's code path on two small synthetic photos, imgedge only.

The sweep renders through imgedge's worker (its own process), scores every output with DSSIM and SSIMULACRA2 and
prints the tables. No sharp, pyvips, corpus or network. The scoring needs numpy, scipy and ssimulacra2 (the
``bench`` extra, which ``dev`` installs): the sweep's test skips without them, the others do not need them.
"""

import io
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import rd_bench

QUALITIES = (30, 60, 90)
WIDTH = 256


def _photo(path: Path, seed: int) -> None:
    """A small photo-like JPEG: a gradient, shapes and some grain, so every quality keeps a different amount."""
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240))
    draw = ImageDraw.Draw(image)
    for x in range(320):
        draw.line([(x, 0), (x, 240)], fill=(x * 255 // 320, 90 + seed * 60, 255 - x * 255 // 320))
    for _ in range(12):
        x, y = rng.randrange(280), rng.randrange(200)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + rng.randrange(10, 60), y + rng.randrange(10, 60)), fill=colour, outline=(0, 0, 0))
    for _ in range(3000):
        image.putpixel((rng.randrange(320), rng.randrange(240)), (rng.randrange(256),) * 3)
    image.save(path, "JPEG", quality=95)


def _corpus(root: Path) -> list[str]:
    """Two photos and a non-photo row in a MANIFEST.tsv as ``renderbench.corpus.read_photos`` reads it."""
    root.mkdir()
    names = ["photo-one-320x240.jpg", "photo-two-320x240.jpg"]
    for seed, name in enumerate(names):
        _photo(root / name, seed)
    rows = ["file\tformat\tcategory", *(f"{name}\tJPEG\tphoto" for name in names), "edge-case.png\tPNG\tedge-case"]
    (root / "MANIFEST.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return names


def test_an_imgedge_only_sweep_gives_rising_curves_zero_self_bd_rates_and_a_row_per_photo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for module in ("numpy", "scipy", "ssimulacra2"):
        pytest.importorskip(module, reason=f"{module} is not installed (the bench extra): the sweep is not scored")
    names = _corpus(tmp_path / "corpus")
    json_path = tmp_path / "rd.json"
    argv = ["--corpus", str(tmp_path / "corpus"), "--photos", "2", "--engines", "imgedge", "--formats", "webp,avif"]
    argv += ["--widths", str(WIDTH), "--qualities", ",".join(map(str, QUALITIES)), "--variants", "shipping,iq-s5"]
    argv += ["--out", str(tmp_path / "out"), "--json", str(json_path)]

    assert rd_bench.main(argv) == 0

    printed = capsys.readouterr().out
    points = [rd_bench.Point(**record) for record in json.loads(json_path.read_text())]
    assert {(p.engine, p.fmt) for p in points} == {
        ("imgedge:shipping", "webp"),
        ("imgedge:shipping", "avif"),
        ("imgedge:iq-s5", "avif"),
    }
    assert len(points) == 3 * len(names) * len(QUALITIES)
    curves: dict[tuple[str, str, str], list[rd_bench.Point]] = {}
    for point in sorted(points, key=lambda p: p.quality):
        curves.setdefault((point.engine, point.fmt, point.photo), []).append(point)
    for key, curve in curves.items():
        assert [p.quality for p in curve] == list(QUALITIES), key
        assert all(p.width == WIDTH and p.cpu_ms > 0 for p in curve), key
        for low, high in itertools.pairwise(curve):
            assert high.bytes > low.bytes, key
            assert high.ssimulacra2 > low.ssimulacra2, key
            assert 0 < high.dssim < low.dssim, key

    for fmt in ("webp", "avif"):
        for metric in ("ssimulacra2", "dssim"):
            rates = rd_bench.bd_rates(points, fmt, WIDTH, "imgedge:shipping", metric)
            assert rates["imgedge:shipping"] == pytest.approx(dict.fromkeys(names, 0.0), abs=1e-9)
            if fmt == "avif":
                assert set(rates["imgedge:iq-s5"]) == set(names)

    # No sharp in the sweep: both formats fall back to imgedge's shipping configuration as the anchor.
    assert printed.count("per photo: BD-rate SSIMULACRA2 / DSSIM (%) against imgedge:shipping") == 2
    for name in names:
        rows = [line for line in printed.splitlines() if line.startswith(f"| {Path(name).stem} |")]
        assert len(rows) == 2  # one per format's per-photo table
        assert all(row.strip("|").split("|")[1].strip() == "+0.0 / +0.0" for row in rows)  # the anchor's column
    assert "| imgedge:iq-s5 |" in printed  # the BD-rate table's row
    assert printed.count("sign flips:") == 2

    # The saved sweep printed again against another AVIF anchor, rendering nothing: the anchor's own BD-rates are 0.
    assert rd_bench.main(["--tables-from", str(json_path), "--anchor", "imgedge:iq-s5"]) == 0
    again = capsys.readouterr().out
    assert "AVIF 256 px per photo: BD-rate SSIMULACRA2 / DSSIM (%) against imgedge:iq-s5" in again
    assert "WEBP 256 px per photo: BD-rate SSIMULACRA2 / DSSIM (%) against imgedge:shipping" in again
    assert "| imgedge:iq-s5 | +0.0 % (+0.0..+0.0) | +0.0 % (+0.0..+0.0) | 1.00x |" in again
    assert [rd_bench.Point(**record) for record in json.loads(json_path.read_text())] == points  # left as it was


def test_sign_flips_name_the_photos_on_the_other_side_of_the_mean() -> None:
    metrics = {
        "SSIMULACRA2": {
            "sharp": {"a.jpg": 0.0, "b.jpg": 0.0},
            "better": {"a.jpg": -8.0, "b.jpg": 3.1},
            "worse": {"a.jpg": 5.0, "b.jpg": -1.5},
            "steady": {"a.jpg": -1.0, "b.jpg": -2.0},
        },
        "DSSIM": {"sharp": {"a.jpg": 0.0}, "better": {"a.jpg": -1.0}, "worse": {"a.jpg": 2.0}, "steady": {}},
    }
    assert rd_bench.sign_flips(metrics, "sharp") == [
        "SSIMULACRA2: better is worse than sharp on b (+3.1 %) though better on the mean (-2.5 %)",
        "SSIMULACRA2: worse is better than or even with sharp on b (-1.5 %) though worse on the mean (+1.8 %)",
    ]


def test_an_engine_that_cannot_start_is_left_out_and_said_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def not_installable(names: list[str]) -> None:
        raise subprocess.CalledProcessError(1, ["pip", "install", *names])

    monkeypatch.setattr(rd_bench, "ensure_python_packages", not_installable)
    assert rd_bench.start_workers(["pyvips"]) == {}
    assert "the sweep goes on without pyvips" in capsys.readouterr().err

    # Installed but not importable: its worker exits before answering (here, an engine the worker does not know).
    monkeypatch.setattr(rd_bench, "ensure_python_packages", lambda names: None)
    monkeypatch.setitem(rd_bench.ENGINES, "pyvips", "no-such-engine")
    assert rd_bench.start_workers(["pyvips"]) == {}
    assert "the pyvips worker does not start" in capsys.readouterr().err


def test_the_configurations_of_each_format() -> None:
    running = ["imgedge", "sharp", "pyvips"]
    avif = rd_bench.configurations("avif", running, ["shipping"], ["sharp-e4", "sharp-e3"], ["pyvips-e4"])
    assert [(name, engine) for name, engine, _ in avif] == [
        ("imgedge:shipping", "imgedge"),
        ("sharp-e4", "sharp"),
        ("sharp-e3", "sharp"),
        ("pyvips-e4", "pyvips"),
    ]
    assert [extra.get("effort") for _, _, extra in avif[1:]] == [4, 3, 4]
    webp = rd_bench.configurations("webp", ["imgedge", "pyvips"], ["shipping"], ["sharp-e4"], ["pyvips-e4"])
    assert webp == [("imgedge:shipping", "imgedge", {}), ("pyvips", "pyvips", {})]


def test_pyvips_takes_the_quality_of_the_job_and_keeps_its_defaults_without_one() -> None:
    pytest.importorskip("pyvips", reason="pyvips is not installed (the render benchmark installs it)")
    from renderbench.engines import pyvips_renderer

    run = pyvips_renderer()
    source = Image.new("RGB", (64, 48))
    ImageDraw.Draw(source).ellipse((8, 8, 56, 40), fill=(200, 40, 90))
    for x in range(0, 64, 3):
        source.putpixel((x, x % 48), (255, 255, 255))
    buffer = io.BytesIO()
    source.save(buffer, "PNG")
    original = buffer.getvalue()
    for fmt, default in (("jpeg", 80), ("webp", 80), ("avif", 50)):
        sizes = {q: len(run(original, fmt, 64, {"quality": q})[0]) for q in (20, default, 95)}
        assert sizes[20] < sizes[default] < sizes[95], fmt
        assert len(run(original, fmt, 64, {})[0]) == sizes[default], fmt
