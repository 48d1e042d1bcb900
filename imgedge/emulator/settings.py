"""How an ``Emulator`` runs (``Settings``): its own module, so that the request flow, the demo page's API and the
process lifecycle import it without importing each other."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """How ``Emulator`` runs. ``port=0`` picks a free port. Without ``bucket`` S3 is an embedded moto server;
    with ``bucket`` (and ``s3_endpoint`` for an S3-compatible store) it is that bucket."""

    host: str = "127.0.0.1"
    port: int = 8080
    originals: Path | None = None
    bucket: str | None = None
    s3_endpoint: str | None = None
    region: str = "us-east-1"
    config_path: Path | None = None
    verbose: bool = False
