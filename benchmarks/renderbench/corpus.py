"""The photos the benchmark renders: the ``photo`` rows of the corpus manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Photo:
    name: str
    path: Path


def read_photos(corpus: Path, limit: int | None) -> list[Photo]:
    """The ``photo`` rows of the manifest, as ``floor.read_photos`` reads them (one reading for both scripts)."""
    import floor  # noqa: PLC0415 (benchmarks/floor.py, beside this package)

    return [Photo(path.name, path) for path in floor.read_photos(corpus, limit)]
