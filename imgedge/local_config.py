"""The configuration the local tools (the CLI and the emulator) work with, checked as a deployment's is."""

from __future__ import annotations

import json
from pathlib import Path

from edge.config import Config, load_config
from edge.errors import ConfigError
from edge.rewrite import check_rendition, check_warm_renditions


def load_local_config(path: Path | None) -> Config:
    """The configuration in the JSON file ``path``, else the one the functions load (``load_config``, read
    afresh), checked as the CDK props check it (``check_rendition``: the watermark's default rendition is a URL
    the edge accepts; ``check_warm_renditions``: so is each warm rendition, and they stay within
    ``warm_max_renditions``). Raises ``ConfigError`` (a missing file or a bad key), ``ValueError`` (not JSON) or
    ``OSError``."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"configuration file {path} does not exist")
        config = Config.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    else:
        config = load_config.__wrapped__()  # read afresh, leaving the functions' per-container cache alone
    check_rendition(config)
    check_warm_renditions(config)
    return config
