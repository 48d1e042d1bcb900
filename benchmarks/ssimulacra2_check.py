"""Check the ``ssimulacra2`` package the benchmarks use against published scores of the reference C++ tool.

    python benchmarks/ssimulacra2_check.py                  # the synthetic pairs (generated here, no files)
    python benchmarks/ssimulacra2_check.py --pairs DIR      # and the image pairs whose files are in DIR
    python benchmarks/ssimulacra2_check.py --ladder PHOTO   # no reference: the package against the wrapper below
                                                            # on Pillow JPEGs of PHOTO at benchmark widths

Needs the ``bench`` extra (numpy, scipy, ``ssimulacra2==0.3.0``: PyPI, github.com/Pacidus/py-ssimulacra2, a
NumPy/SciPy port of libjxl's ``tools/ssimulacra2``). For each pair it prints the package's score (``port``: its
``compute_ssimulacra2`` on PNG/JPEG bytes), the reference score, their difference, and the same for ``wrapper``:
``renderbench.ssimulacra2.score``, which the benchmarks score with: the package's own colour conversion, SSIM and
edge maps and weights, with the two things changed that make it differ from the C++ tool.

Reference scores (SSIMULACRA 2.1, the C++ tool's 8-decimal output):

- [imazen-synthetic] 66 synthetic pairs (uniform, gradients, checkerboards, LCG noise, edges, and box blur,
  sharpen and YUV round-trip distortions, 32 to 256 px), scored by libjxl's ``tools/ssimulacra2`` and recorded
  with the SHA-256 of each image's raw RGB bytes. ``synthetic_pairs`` regenerates them byte for byte (the
  hashes are checked on every run), so no image file is needed.
- [imazen-jpeg] a 256x256 crop of a photo (``source.png``) and JPEGs of it at quality 20, 45, 70 and 90,
  scored by libjxl's ``tools/ssimulacra2``. The files (116 KB) are not in this repository: imazen/ssimulacra2 is
  BSD-2-Clause, but nothing says where the photo comes from or under which licence. Put them in ``--pairs DIR``
  under their own names; the script checks their git blob ids. For example::

      c=d40c624bac264a033eecdbd725ab2e03322503a5
      for f in source.png q20.jpg q45.jpg q70.jpg q90.jpg; do
        curl -fsSLO https://raw.githubusercontent.com/imazen/ssimulacra2/$c/ssimulacra2/test_data/jpeg_quality/$f
      done

- [rust-av-tank] not the C++ tool's score: the expected value of the Rust port rust-av/ssimulacra2's own test
  (imazen's REFERENCE_TESTING.md: "Value not verified against C++ (self-generated)"), for its 1448x1080
  ``tank_source.png`` (1.5 MB) and ``tank_distorted.png`` (4 MB or more). It is here as a second implementation
  with libjxl's recursive Gaussian, at a size nearer the benchmark's. Files:
  ``https://raw.githubusercontent.com/rust-av/ssimulacra2/eb581708108b9cf745b2d0990dda7eb9878b043f/ssimulacra2/
  test_data/tank_{source,distorted}.png``. (The README's figure used a decode of ``tank_distorted.jxl``, beside
  the PNG there, which the note column flags as other bytes.)

Kinds: ``identical`` pairs score 100 by construction. ``fp-sensitive`` pairs are flat or near-identical, where
the C++ score itself hangs on float rounding: emulating libjxl's blur in float64 and in float32 moved their
scores by up to 3.2 points (the other pairs by at most 0.6), so a difference of 1-2 points on them says little.
``robust`` pairs are the check. What was measured is in benchmarks/README.md ("SSIMULACRA2 against the
reference").
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from renderbench.ssimulacra2 import score as libjxl_score


@dataclass(frozen=True)
class Source:
    """Where reference scores were published: a file in a public repository at a commit."""

    key: str
    repo: str
    path: str
    commit: str
    what: str


SOURCES = {
    s.key: s
    for s in (
        Source(
            "imazen-synthetic",
            "imazen/ssimulacra2",
            "ssimulacra2/src/reference_data.rs (generator: ssimulacra2/examples/capture_cpp_reference.rs)",
            "3581dd88220c9fc1b4c6c780ce1149333cb41903",
            "C++ scores from libjxl's tools/ssimulacra2, captured 2026-01-04 (libjxl commit not recorded)",
        ),
        Source(
            "imazen-jpeg",
            "imazen/ssimulacra2",
            "ssimulacra2/tests/jpeg_quality_reference.rs (files: ssimulacra2/test_data/jpeg_quality/)",
            "d40c624bac264a033eecdbd725ab2e03322503a5",
            "C++ scores from libjxl's tools/ssimulacra2, captured 2026-01-04 (libjxl commit not recorded)",
        ),
        Source(
            "rust-av-tank",
            "rust-av/ssimulacra2",
            "ssimulacra2/src/lib.rs test_ssimulacra2 (files: ssimulacra2/test_data/)",
            "eb581708108b9cf745b2d0990dda7eb9878b043f",
            "NOT the C++ tool: the Rust port's own expected value (set in b1515ff, 2023-04-20, SSIMULACRA 2.1)",
        ),
    )
}

#: (name, C++ score, first 16 hex digits of the SHA-256 of the source's and of the distorted image's raw RGB).
SYNTHETIC: tuple[tuple[str, float, str, str], ...] = (
    ("perfect_match_32x32", 100.00000000, "753412db29fc2970", "753412db29fc2970"),
    ("uniform_shift_1_32x32", 97.74921430, "753412db29fc2970", "9bfd6cf255ab3483"),
    ("uniform_shift_5_32x32", 98.80827382, "753412db29fc2970", "51b9f0ae4323fb70"),
    ("uniform_shift_10_32x32", 96.53114090, "753412db29fc2970", "264e5cfb60a64f9b"),
    ("uniform_shift_20_32x32", 93.79823220, "753412db29fc2970", "2fcac1467f36ff01"),
    ("uniform_shift_50_32x32", 85.01409588, "753412db29fc2970", "1cfe56369e044182"),
    ("gradient_h_32x32", 100.00000000, "aa3a9df9ba5613cf", "aa3a9df9ba5613cf"),
    ("gradient_v_32x32", 100.00000000, "79d8bf5f927cbc65", "79d8bf5f927cbc65"),
    ("checkerboard_4_32x32", 100.00000000, "25f517c98598e097", "25f517c98598e097"),
    ("checkerboard_8_32x32", 100.00000000, "8056e450889b52ea", "8056e450889b52ea"),
    ("checkerboard_16_32x32", 100.00000000, "dbbfae08d980ce56", "dbbfae08d980ce56"),
    ("noise_seed_42_32x32", 100.00000000, "83625644653a659e", "83625644653a659e"),
    ("noise_seed_123_32x32", 100.00000000, "adafa287c32421dd", "adafa287c32421dd"),
    ("noise_seed_999_32x32", 100.00000000, "c26efb740e095c58", "c26efb740e095c58"),
    ("edge_vertical_32x32", 100.00000000, "44d5b24ab392f2e2", "44d5b24ab392f2e2"),
    ("perfect_match_64x64", 100.00000000, "2203a98fd84adfbd", "2203a98fd84adfbd"),
    ("uniform_shift_1_64x64", 97.98672126, "2203a98fd84adfbd", "ba72ca16b1a20d73"),
    ("uniform_shift_5_64x64", 91.52357693, "2203a98fd84adfbd", "5b0e43ac49bd5fb3"),
    ("uniform_shift_10_64x64", 80.24289393, "2203a98fd84adfbd", "e802fe3a49ace0c2"),
    ("uniform_shift_20_64x64", 56.05855584, "2203a98fd84adfbd", "fe8a663ebc8cead5"),
    ("uniform_shift_50_64x64", -8.75942256, "2203a98fd84adfbd", "e67286008fa164d1"),
    ("gradient_h_64x64", 100.00000000, "bfcfaa0618d28284", "bfcfaa0618d28284"),
    ("gradient_v_64x64", 100.00000000, "ace6ea6f0fc42ad4", "ace6ea6f0fc42ad4"),
    ("checkerboard_4_64x64", 100.00000000, "dbdb01e8d49e11b3", "dbdb01e8d49e11b3"),
    ("checkerboard_8_64x64", 100.00000000, "ce810a56212fd98b", "ce810a56212fd98b"),
    ("checkerboard_16_64x64", 100.00000000, "f05a28b4adf321fa", "f05a28b4adf321fa"),
    ("noise_seed_42_64x64", 100.00000000, "7f6be7f433ccb0a0", "7f6be7f433ccb0a0"),
    ("noise_seed_123_64x64", 100.00000000, "0d3841c663576a75", "0d3841c663576a75"),
    ("noise_seed_999_64x64", 100.00000000, "53f592ab5678b4f4", "53f592ab5678b4f4"),
    ("edge_vertical_64x64", 100.00000000, "f0d003b6007c958d", "f0d003b6007c958d"),
    ("perfect_match_128x128", 100.00000000, "2af5ead05032faaf", "2af5ead05032faaf"),
    ("uniform_shift_1_128x128", 96.78920738, "2af5ead05032faaf", "43ebfa035c41a640"),
    ("uniform_shift_5_128x128", 88.54070876, "2af5ead05032faaf", "bc6f35e8fbe58efe"),
    ("uniform_shift_10_128x128", 77.84296299, "2af5ead05032faaf", "8a688a547f7bb470"),
    ("uniform_shift_20_128x128", 54.27883917, "2af5ead05032faaf", "22a45cbe1683df60"),
    ("uniform_shift_50_128x128", -9.82383315, "2af5ead05032faaf", "768e019eb1e7b74a"),
    ("gradient_h_128x128", 100.00000000, "c347790d8be33cc6", "c347790d8be33cc6"),
    ("gradient_v_128x128", 100.00000000, "e1ee5fe1c7d98cf8", "e1ee5fe1c7d98cf8"),
    ("checkerboard_4_128x128", 100.00000000, "85793f4827775001", "85793f4827775001"),
    ("checkerboard_8_128x128", 100.00000000, "de56bd98607690ac", "de56bd98607690ac"),
    ("checkerboard_16_128x128", 100.00000000, "fe2d0e09d366f7f0", "fe2d0e09d366f7f0"),
    ("noise_seed_42_128x128", 100.00000000, "3ee3716412569ff9", "3ee3716412569ff9"),
    ("noise_seed_123_128x128", 100.00000000, "c53c205f69af5eb4", "c53c205f69af5eb4"),
    ("noise_seed_999_128x128", 100.00000000, "ace3ad6e4cb8d279", "ace3ad6e4cb8d279"),
    ("edge_vertical_128x128", 100.00000000, "4906bcc6a0cd7340", "4906bcc6a0cd7340"),
    ("perfect_match_256x256", 100.00000000, "83ab53863cf746ef", "83ab53863cf746ef"),
    ("uniform_shift_1_256x256", 96.15027098, "83ab53863cf746ef", "1c0cfab02575aaff"),
    ("uniform_shift_5_256x256", 89.73209436, "83ab53863cf746ef", "90526676d3846e7e"),
    ("uniform_shift_10_256x256", 80.29149136, "83ab53863cf746ef", "2019b05026c860a3"),
    ("uniform_shift_20_256x256", 59.77892918, "83ab53863cf746ef", "2aebb5647caa208a"),
    ("uniform_shift_50_256x256", -0.39085784, "83ab53863cf746ef", "ebf9afb21c244788"),
    ("gradient_h_256x256", 100.00000000, "fb5f204ed84efa48", "fb5f204ed84efa48"),
    ("gradient_v_256x256", 100.00000000, "2961137ded750813", "2961137ded750813"),
    ("checkerboard_4_256x256", 100.00000000, "c206c2b7a185cff1", "c206c2b7a185cff1"),
    ("checkerboard_8_256x256", 100.00000000, "e3e45ad46a0f85cb", "e3e45ad46a0f85cb"),
    ("checkerboard_16_256x256", 100.00000000, "9771669cebae5d46", "9771669cebae5d46"),
    ("noise_seed_42_256x256", 100.00000000, "6742146af148c546", "6742146af148c546"),
    ("noise_seed_123_256x256", 100.00000000, "c518fc76e482f1f6", "c518fc76e482f1f6"),
    ("noise_seed_999_256x256", 100.00000000, "965e88bccae4a9bd", "965e88bccae4a9bd"),
    ("edge_vertical_256x256", 100.00000000, "ef6a7a3a6dd6460c", "ef6a7a3a6dd6460c"),
    ("gradient_vs_uniform_64x64", -64.56872148, "bfcfaa0618d28284", "2203a98fd84adfbd"),
    ("noise_vs_uniform_64x64", -47.33572558, "7f6be7f433ccb0a0", "2203a98fd84adfbd"),
    ("gradient_vs_boxblur8x8_64x64", 94.34090315, "bfcfaa0618d28284", "cceefcd9fb78f029"),
    ("noise_vs_sharpen_64x64", -5.81017556, "53f592ab5678b4f4", "4ad3cfe3e5b8138c"),
    ("gradient_vs_yuv_roundtrip_64x64", 97.26010964, "e7644fe3f111f9ea", "08f6523635ec5e8f"),
    ("edge_vs_boxblur8x8_64x64", 24.27333552, "f0d003b6007c958d", "cbe40f4a1c43e661"),
)


@dataclass(frozen=True)
class FilePair:
    """A published pair of image files: names in ``--pairs DIR``, their upstream git blob ids, the score."""

    name: str
    source: str
    distorted: str
    score: float
    key: str
    blobs: tuple[str, str]


FILE_PAIRS = (
    *(
        FilePair(f"jpeg_q{q}_256x256", "source.png", f"q{q}.jpg", score, "imazen-jpeg", ("ad1c007a5aa2", blob))
        for q, score, blob in (
            (20, 57.14559032, "ad0b9e5101b3"),
            (45, 68.62747595, "8dde0e4d574d"),
            (70, 79.38805044, "b832d9608dee"),
            (90, 90.85152474, "201f92b30390"),
        )
    ),
    FilePair(
        "tank_1448x1080",
        "tank_source.png",
        "tank_distorted.png",
        17.398505,
        "rust-av-tank",
        ("4184055e7c4b", "06fc0a77344c"),
    ),
)


def git_blob_id(data: bytes) -> str:
    """The id git gives a file with these bytes (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def kind(name: str, source: Any, distorted: Any) -> str:
    """``identical``, ``fp-sensitive`` (flat or near-identical: see the module docstring) or ``robust``."""
    if source.shape == distorted.shape and (source == distorted).all():
        return "identical"
    if name.startswith("uniform_shift") or "yuv_roundtrip" in name:
        return "fp-sensitive"
    return "robust"


# Synthetic pairs: the patterns of imazen/ssimulacra2's capture_cpp_reference, as RGB uint8 arrays.


def _grey(np: Any, values: Any) -> Any:
    return np.repeat(np.asarray(values, dtype=np.uint8)[..., None], 3, axis=-1)


def _uniform(np: Any, n: int, value: int) -> Any:
    return np.full((n, n, 3), value, dtype=np.uint8)


def _gradient_h(np: Any, n: int) -> Any:
    return _grey(np, np.broadcast_to(np.arange(n) * 255 // (n - 1), (n, n)))


def _gradient_v(np: Any, n: int) -> Any:
    return _grey(np, np.broadcast_to((np.arange(n) * 255 // (n - 1))[:, None], (n, n)))


def _gradient_diag(np: Any, n: int) -> Any:
    y, x = np.mgrid[0:n, 0:n]
    return _grey(np, (x + y) * 255 // (2 * n - 2))


def _checkerboard(np: Any, n: int, cell: int) -> Any:
    y, x = np.mgrid[0:n, 0:n]
    return _grey(np, np.where((x // cell + y // cell) % 2 == 0, 255, 0))


def _noise(np: Any, n: int, seed: int) -> Any:
    """Bits 33-40 of a 64-bit LCG (Knuth's MMIX constants), one byte per channel."""
    state, out = seed, bytearray()
    for _ in range(n * n * 3):
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out.append((state >> 33) & 0xFF)
    return np.frombuffer(bytes(out), dtype=np.uint8).reshape(n, n, 3)


def _edge(np: Any, n: int) -> Any:
    return _grey(np, np.broadcast_to(np.where(np.arange(n) < n // 2, 0, 255), (n, n)))


def _box_blur_8x8(np: Any, image: Any) -> Any:
    """Mean of the 8x8 window from -4 to +3 around each pixel, edges clamped, truncated to an integer."""
    h, w, _ = image.shape
    total = np.zeros(image.shape, dtype=np.uint32)
    for dy in range(-4, 4):
        for dx in range(-4, 4):
            total += image[np.clip(np.arange(h) + dy, 0, h - 1)][:, np.clip(np.arange(w) + dx, 0, w - 1)]
    return (total // 64).astype(np.uint8)


def _sharpen(np: Any, image: Any) -> Any:
    """[0 -1 0; -1 5 -1; 0 -1 0], edges clamped, clipped to 0-255."""
    p = np.pad(image.astype(np.int32), ((1, 1), (1, 1), (0, 0)), mode="edge")
    out = 5 * p[1:-1, 1:-1] - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:]
    return np.clip(out, 0, 255).astype(np.uint8)


def _yuv_roundtrip(np: Any, image: Any) -> Any:
    """RGB to BT.601 YUV and back in float32, clipped and truncated to 8 bits."""
    f = np.float32
    r, g, b = (image[..., c].astype(f) for c in range(3))
    y = f(0.299) * r + f(0.587) * g + f(0.114) * b
    u = f(-0.14713) * r - f(0.28886) * g + f(0.436) * b + f(128.0)
    v = f(0.615) * r - f(0.51499) * g - f(0.10001) * b + f(128.0)
    out = (
        y + f(1.13983) * (v - f(128.0)),
        y - f(0.39465) * (u - f(128.0)) - f(0.58060) * (v - f(128.0)),
        y + f(2.03211) * (u - f(128.0)),
    )
    return np.stack([np.clip(c, f(0.0), f(255.0)) for c in out], axis=-1).astype(np.uint8)


def synthetic_pairs(np: Any) -> Iterator[tuple[str, Any, Any]]:
    """(name, source, distorted) for every row of ``SYNTHETIC``, in its order."""
    for n in (32, 64, 128, 256):
        grey = _uniform(np, n, 128)
        yield f"perfect_match_{n}x{n}", grey, grey
        for shift in (1, 5, 10, 20, 50):
            yield f"uniform_shift_{shift}_{n}x{n}", grey, _uniform(np, n, 128 + shift)
        for name, image in (("gradient_h", _gradient_h(np, n)), ("gradient_v", _gradient_v(np, n))):
            yield f"{name}_{n}x{n}", image, image
        for cell in (4, 8, 16):
            image = _checkerboard(np, n, cell)
            yield f"checkerboard_{cell}_{n}x{n}", image, image
        for seed in (42, 123, 999):
            image = _noise(np, n, seed)
            yield f"noise_seed_{seed}_{n}x{n}", image, image
        yield f"edge_vertical_{n}x{n}", _edge(np, n), _edge(np, n)
    grey, gradient, edge = _uniform(np, 64, 128), _gradient_h(np, 64), _edge(np, 64)
    yield "gradient_vs_uniform_64x64", gradient, grey
    yield "noise_vs_uniform_64x64", _noise(np, 64, 42), grey
    yield "gradient_vs_boxblur8x8_64x64", gradient, _box_blur_8x8(np, gradient)
    noise = _noise(np, 64, 999)
    yield "noise_vs_sharpen_64x64", noise, _sharpen(np, noise)
    diagonal = _gradient_diag(np, 64)
    yield "gradient_vs_yuv_roundtrip_64x64", diagonal, _yuv_roundtrip(np, diagonal)
    yield "edge_vs_boxblur8x8_64x64", edge, _box_blur_8x8(np, edge)


# Scores.


def _png(image: Any) -> io.BytesIO:
    data = io.BytesIO()
    Image.fromarray(image).save(data, format="PNG", compress_level=1)
    data.seek(0)
    return data


def port_score(source: Any, distorted: Any) -> float:
    """The package's score of two RGB uint8 arrays, through PNG bytes as the benchmarks pass it files."""
    from ssimulacra2 import compute_ssimulacra2  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415

    return float(compute_ssimulacra2(_png(source), _png(distorted)))


# Rows and the report.


@dataclass
class Row:
    """One pair: its reference and, unless its files are missing, both scores."""

    name: str
    key: str
    reference: float
    kind: str = ""
    port: float | None = None
    wrapper: float | None = None
    note: str = ""


def synthetic_rows(np: Any, only: str = "") -> Iterator[Row]:
    """Score every synthetic pair whose name contains ``only``; a generated image that hashes differently from
    the one the reference was captured on is noted (its scores would not be comparable)."""
    expected = {name: (score, a, b) for name, score, a, b in SYNTHETIC}
    for name, source, distorted in synthetic_pairs(np):
        if only not in name:
            continue
        score, hash1, hash2 = expected[name]
        row = Row(name, "imazen-synthetic", score, kind(name, source, distorted))
        got = (hashlib.sha256(source.tobytes()).hexdigest()[:16], hashlib.sha256(distorted.tobytes()).hexdigest()[:16])
        if got != (hash1, hash2):
            row.note = f"generated images differ from the reference's (sha256 {got[0]}/{got[1]})"
        row.port, row.wrapper = port_score(source, distorted), libjxl_score(source, distorted)
        yield row


def file_rows(np: Any, directory: Path, only: str = "") -> Iterator[Row]:
    """Score each of ``FILE_PAIRS`` whose files are in ``directory``; note missing files and changed bytes."""
    from ssimulacra2 import compute_ssimulacra2  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: PLC0415

    for pair in FILE_PAIRS:
        if only not in pair.name:
            continue
        row = Row(pair.name, pair.key, pair.score)
        paths = (directory / pair.source, directory / pair.distorted)
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            row.note = f"missing {', '.join(missing)}"
            yield row
            continue
        changed = [
            p.name
            for p, blob in zip(paths, pair.blobs, strict=True)
            if not git_blob_id(p.read_bytes()).startswith(blob)
        ]
        if changed:
            row.note = f"not the upstream bytes: {', '.join(changed)}"
        with Image.open(paths[0]) as s, Image.open(paths[1]) as d:
            source, distorted = np.asarray(s.convert("RGB")), np.asarray(d.convert("RGB"))
        row.kind = "port-vs-port" if pair.key == "rust-av-tank" else kind(pair.name, source, distorted)
        row.port = float(compute_ssimulacra2(str(paths[0]), str(paths[1])))
        row.wrapper = libjxl_score(source, distorted)
        yield row


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def report(rows: list[Row], out: Any = sys.stdout) -> None:
    """A Markdown table of ``rows``, the worst differences per kind, and the sources of the references."""
    print("| pair | kind | reference | port | port - ref | wrapper | wrapper - ref | source | note |", file=out)
    print("|---|---|---:|---:|---:|---:|---:|---|---|", file=out)
    for r in rows:
        port_diff = None if r.port is None else r.port - r.reference
        wrapper_diff = None if r.wrapper is None else r.wrapper - r.reference
        print(
            f"| {r.name} | {r.kind or '-'} | {r.reference:.3f} | {_num(r.port)} | {_num(port_diff, True)} "
            f"| {_num(r.wrapper)} | {_num(wrapper_diff, True)} | {r.key} | {r.note} |",
            file=out,
        )
    print(file=out)
    for k in ("robust", "fp-sensitive", "identical", "port-vs-port"):
        scored = [r for r in rows if r.kind == k and r.port is not None and r.wrapper is not None]
        if scored:
            port = max((abs((r.port or 0.0) - r.reference), r.name) for r in scored)
            wrapper = max((abs((r.wrapper or 0.0) - r.reference), r.name) for r in scored)
            print(
                f"- {k} ({len(scored)} pairs): max |port - ref| {port[0]:.3f} ({port[1]}), "
                f"max |wrapper - ref| {wrapper[0]:.3f} ({wrapper[1]})",
                file=out,
            )
    print(file=out)
    for key in dict.fromkeys(r.key for r in rows):
        s = SOURCES[key]
        print(f"- {key}: github.com/{s.repo} {s.path} @ {s.commit}: {s.what}", file=out)


def ladder(np: Any, photo: Path, widths: list[int], qualities: list[int], out: Any = sys.stdout) -> None:
    """No reference: the package against the wrapper on Pillow JPEGs (4:2:0) of ``photo`` resized to ``widths``."""
    with Image.open(photo) as image:
        original = ImageOps.exif_transpose(image).convert("RGB")
    print(f"{photo.name}: Pillow JPEG (4:2:0) of a Lanczos resize, scored against that resize\n", file=out)
    print("| size | q | port | wrapper | port - wrapper |", file=out)
    print("|---|---:|---:|---:|---:|", file=out)
    for width in widths:
        size = (width, round(original.height * width / original.width))
        source = np.asarray(original.resize(size, Image.Resampling.LANCZOS))
        for q in qualities:
            data = io.BytesIO()
            Image.fromarray(source).save(data, format="JPEG", quality=q)
            data.seek(0)
            distorted = np.asarray(_rgb_bytes(data))
            port, wrapper = port_score(source, distorted), libjxl_score(source, distorted)
            print(f"| {size[0]}x{size[1]} | {q} | {port:.3f} | {wrapper:.3f} | {port - wrapper:+.3f} |", file=out)


def _rgb_bytes(data: io.BytesIO) -> Image.Image:
    with Image.open(data) as image:
        return image.convert("RGB")


def main(argv: list[str], out: Any = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=Path, help="a directory with the published pairs' files (module docstring)")
    parser.add_argument("--only", default="", help="only the pairs whose name contains this")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the generated pairs")
    parser.add_argument("--ladder", type=Path, help="a photo: port against wrapper on JPEGs of it, no reference")
    parser.add_argument("--widths", default="300,640,1280", help="--ladder's widths")
    parser.add_argument("--qualities", default="30,50,70,90", help="--ladder's JPEG qualities")
    args = parser.parse_args(argv)
    if args.pairs is not None and not args.pairs.is_dir():
        print(f"--pairs {args.pairs}: not a directory", file=sys.stderr)
        return 2
    try:
        import numpy as np  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    except ImportError:
        print("needs the bench extra: numpy, scipy, ssimulacra2==0.3.0", file=sys.stderr)
        return 2
    if args.ladder:
        widths = [int(w) for w in args.widths.split(",")]
        ladder(np, args.ladder, widths, [int(q) for q in args.qualities.split(",")], out)
        return 0
    rows = [] if args.no_synthetic else list(synthetic_rows(np, args.only))
    if args.pairs is not None:
        rows += file_rows(np, args.pairs, args.only)
    report(rows, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
