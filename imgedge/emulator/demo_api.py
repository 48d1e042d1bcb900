"""The demo page's JSON API (``/_imgedge/originals`` and ``/_imgedge/config``): the bucket's originals with their
sizes, and the configuration the page builds its form from.

``DemoApi`` is a part of ``Emulator``: the process lifecycle (``imgedge.emulator.lifecycle``) sets the attributes
it declares.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from PIL import Image

from edge.config import Config
from edge.options import BLUR_RADII, Fit, FormatChoice, Gravity
from edge.paths import encode_path
from imgedge import bucket as bucket_ops
from imgedge.emulator.flow import one_line

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

    from imgedge.emulator.settings import Settings


class DemoApi:
    """What the demo page reads, as JSON-ready values."""

    settings: Settings
    config: Config
    _client: S3Client | None
    _moto: Any
    _region: str
    _originals_info: dict[str, dict[str, Any]]

    @property
    def bucket(self) -> str:
        """The bucket behind the distribution (the lifecycle's)."""
        raise NotImplementedError

    def originals_info(self) -> list[dict[str, Any]]:
        """Every original (up to 60) with its bytes, content type and displayed (EXIF-oriented) size."""
        assert self._client is not None
        with bucket_ops.friendly_errors(self.bucket):
            originals = bucket_ops.list_originals(self._client, self.bucket, "", self.config)[:60]
        result = []
        for item in originals:
            cache_key = f"{item.key}\0{item.size}\0{item.last_modified}"
            info = self._originals_info.get(cache_key)
            if info is None:
                info = self._describe(item.key)
                self._originals_info[cache_key] = info
            result.append(info)
        return result

    def _describe(self, key: str) -> dict[str, Any]:
        assert self._client is not None
        answer = self._client.get_object(Bucket=self.bucket, Key=key)
        body = answer["Body"].read()
        info: dict[str, Any] = {
            "key": key,
            "url": encode_path(key),
            "bytes": len(body),
            "content_type": answer.get("ContentType", ""),
        }
        try:
            with Image.open(io.BytesIO(body)) as image:
                width, height = image.size
                if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                    width, height = height, width
                info.update(width=width, height=height, format=image.format)
        except Exception as err:  # any undecodable original is shown as such on the page
            info.update(width=None, height=None, format=None, error=one_line(err))
        return info

    def config_info(self) -> dict[str, Any]:
        config = self.config
        return {
            "size_policy": config.sizing.size_policy.value,
            "sizes": list(config.sizing.sizes),
            "max_dimension": config.sizing.max_dimension,
            "qualities": list(config.sizing.qualities),
            "default_quality": dict(config.sizing.default_quality),
            "fits": [fit.value for fit in Fit],
            "formats": [choice.value for choice in FormatChoice],
            "gravities": [g.value for g in Gravity if g is not Gravity.FOCUS],
            "backgrounds": list(config.url.backgrounds),
            "blur_radii": list(BLUR_RADII),
            "dprs": ["1", "1.5", "2", "3", "4"],
            "presets": sorted(config.url.presets),
            "presets_only": config.url.presets_only,
            "bucket": self.bucket,
            "s3": "embedded moto" if self._moto is not None else (self.settings.s3_endpoint or "AWS S3"),
            "region": self._region,
        }
