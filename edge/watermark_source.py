"""The configured watermark as origin-response reads it: fetched from the bucket once per container.

``watermark_for`` turns the configuration's ``watermark`` key into the ``edge.watermarks.Watermark`` the renderer
overlays (``edge.render.overlay``).
"""

from __future__ import annotations

from edge.config import Config
from edge.errors import StorageUnavailable
from edge.origins import store_target
from edge.ports import Original, Store
from edge.watermarks import Watermark

# The watermark of each (bucket, key), fetched once per container: changing it means purging (see "Watermark" in
# docs/url-api.md).
_WATERMARKS: dict[tuple[str, str], Original] = {}


def watermark_for(store: Store, config: Config, bucket: str | None) -> Watermark | None:
    """The configured watermark, read from ``store`` once per container and bucket; ``None`` when none is
    configured. Raises ``StorageUnavailable`` (503, never cached) when it is configured but missing, so no
    variant is ever stored without it."""
    if config.watermarking.watermark is None:
        return None
    cache_key = (
        store_target(config.sources.origins, config.sources.bucket, None, bucket, None)[0] or "",
        config.watermarking.watermark,
    )
    original = _WATERMARKS.get(cache_key)
    if original is None:
        original = store.get_original(config.watermarking.watermark)
        if original is None:
            raise StorageUnavailable(detail=f"watermark {config.watermarking.watermark} not found")
        _WATERMARKS[cache_key] = original
    return Watermark(
        image=original.body,
        etag=original.etag,
        position=config.watermarking.watermark_position,
        margin=config.watermarking.watermark_margin,
        opacity=config.watermarking.watermark_opacity,
        width_percent=config.watermarking.watermark_width,
        min_width=config.watermarking.watermark_min_width,
    )
