"""The ports of the origin-response flow (``edge.origin_flow``): the original it reads (``Original``), where
originals are read and variants written (``Store``, ``StoreFactory``) and what renders (``Renderer``). S3 and Pillow
implement them in ``edge.store`` and ``edge.render``; the flow imports neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from edge.options import RenderSpec
from edge.watermarks import Watermark

if TYPE_CHECKING:
    from edge.render import Rendered


@dataclass(frozen=True, slots=True)
class Original:
    """An original read from the store: its S3 key, bytes and ETag; ``watermark_etag`` is set on the copy passed
    to ``Store.put_variant`` when a watermark was overlaid (stored in the variant's metadata); ``variant_source``
    is the object's ``edge.keys.SOURCE_METADATA`` when it has one, i.e. when it is a stored variant, not an
    original (``_serve_miss`` refuses to render from it)."""

    key: str
    body: bytes
    etag: str
    watermark_etag: str | None = None
    variant_source: str | None = None


class Store(Protocol):
    """Where originals are read and variants written (``edge.store.S3Store`` in production)."""

    def get_original(self, key: str) -> Original | None:
        """The original at ``key``, or ``None`` when there is none. Raises ``StorageUnavailable`` after bounded
        retries, ``ImageTooLarge`` when the object exceeds the byte limit (before reading it)."""
        ...

    def put_variant(self, key: str, body: bytes, content_type: str, cache_control: str, source: Original) -> bool:
        """Store a variant only if nothing exists at ``key``: ``True`` when written, ``False`` when an object was
        already there (a concurrent render won). Raises ``StorageUnavailable``."""
        ...


class Renderer(Protocol):
    """Renders original bytes as a spec (``edge.render.render`` with its limits bound); ``watermark`` is passed
    only when the configuration names one."""

    def __call__(self, data: bytes, spec: RenderSpec, /, watermark: Watermark | None = None) -> Rendered: ...


# (bucket, region) of the event's S3 origin -> the store; configuration overrides are the factory's business.
StoreFactory = Callable[[str | None, str | None], Store]
