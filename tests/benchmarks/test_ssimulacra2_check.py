"""benchmarks/ssimulacra2_check.py on what needs no network and no third-party files: the generated pairs are
the bytes the published C++ scores were taken on, the wrapper reproduces those scores, and the report prints
what the file pairs' rows say. numpy, scipy and ssimulacra2 are the ``bench`` extra; without them these skip.
"""

import hashlib
import io
import sys
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import ssimulacra2_check as check


def test_the_generated_pairs_are_the_bytes_the_reference_scores_were_taken_on() -> None:
    np = pytest.importorskip("numpy", reason="the bench extra (numpy) generates the synthetic pairs")
    rows = list(check.synthetic_pairs(np))
    assert [name for name, _, _ in rows] == [name for name, *_ in check.SYNTHETIC]
    for (name, source, distorted), (_, _, source_hash, distorted_hash) in zip(rows, check.SYNTHETIC, strict=True):
        assert hashlib.sha256(source.tobytes()).hexdigest()[:16] == source_hash, name
        assert hashlib.sha256(distorted.tobytes()).hexdigest()[:16] == distorted_hash, name


def test_the_wrapper_reproduces_the_cpp_scores_of_the_robust_synthetic_pairs() -> None:
    np = pytest.importorskip("numpy", reason="the bench extra (numpy) generates the synthetic pairs")
    pytest.importorskip("scipy", reason="the bench extra (scipy) blurs")
    pytest.importorskip("ssimulacra2", reason="the bench extra (ssimulacra2==0.3.0) is what is checked")
    rows = [row for row in check.synthetic_rows(np, "_vs_") if row.kind == "robust"]
    assert len(rows) == 5
    for row in rows:
        assert row.note == ""
        assert row.wrapper == pytest.approx(row.reference, abs=0.3), row.name
    out = io.StringIO()
    check.report(rows, out)
    text = out.getvalue()
    assert "| noise_vs_uniform_64x64 | robust | -47.336 |" in text
    assert "- robust (5 pairs): max |port - ref|" in text
    assert "imazen-synthetic: github.com/imazen/ssimulacra2" in text
    assert check.SOURCES["imazen-synthetic"].commit in text


def test_file_pairs_are_scored_from_the_directory_and_missing_or_other_bytes_are_noted(tmp_path: Path) -> None:
    pytest.importorskip("numpy", reason="the bench extra (numpy) reads the pairs")
    pytest.importorskip("scipy", reason="the bench extra (scipy) blurs")
    pytest.importorskip("ssimulacra2", reason="the bench extra (ssimulacra2==0.3.0) is what is checked")
    source = Image.radial_gradient("L").resize((64, 64)).convert("RGB")
    source.save(tmp_path / "source.png")
    source.save(tmp_path / "q20.jpg", quality=20)
    out = io.StringIO()
    assert check.main(["--no-synthetic", "--pairs", str(tmp_path), "--only", "jpeg_q"], out) == 0
    lines = {line.split(" | ")[0].lstrip("| "): line for line in out.getvalue().splitlines() if line.startswith("| ")}
    assert "not the upstream bytes: source.png, q20.jpg" in lines["jpeg_q20_256x256"]
    assert "| robust | 57.146 |" in lines["jpeg_q20_256x256"]
    assert "missing q45.jpg" in lines["jpeg_q45_256x256"]
    assert "| - | 68.627 | - | - | - | - |" in lines["jpeg_q45_256x256"]
    assert "imazen-jpeg: github.com/imazen/ssimulacra2" in out.getvalue()


def test_a_pairs_path_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    assert check.main(["--pairs", str(tmp_path / "absent")], io.StringIO()) == 2
