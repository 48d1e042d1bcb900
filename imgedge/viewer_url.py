"""Viewer URLs of originals, built the way the edge reads them: ``imgedge.url`` for server-rendered templates, and
the query helpers the ``imgedge url``/``sign``/``srcset``/``render`` commands share (pure: no click, rich or moto).

``url(path, w=300)`` is what ``imgedge url PATH -w 300`` prints as its viewer URL: the canonical query of the
variant the edge's viewer-request function rewrites the request to (``edge.rewrite.rewrite``, then
``edge.keys.viewer_query``), with the format spelled out. With ``signing_key`` it is that URL signed for the edge's
signature check (``edge.signing.signed_query``), which is what ``imgedge sign`` prints for that URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from edge.config import Config, load_config
from edge.keys import viewer_query
from edge.paths import encode_path
from edge.rewrite import rewrite
from edge.signing import signed_query

#: The URL parameters beyond w, h, fit, q and format, in the order the CLI's options and ``url`` add them.
IMAGE_PARAMETERS = (
    "dpr", "gravity", "focus", "background", "grayscale", "blur", "sharpen", "rotate", "flip", "flop", "anim", "preset",
)  # fmt: skip

ParameterValue = str | int | float | bool | None


def spec_query(width: int | None, height: int | None, fit: str | None, quality: int | None, fmt: str) -> str:
    """The ``w``, ``h``, ``fit``, ``q`` and ``format`` parameters that are given (``fmt="auto"`` adds none)."""
    params: list[tuple[str, str]] = []
    for name, value in (("w", width), ("h", height), ("fit", fit), ("q", quality)):
        if value is not None:
            params.append((name, str(value)))
    if fmt != "auto":
        params.append(("format", fmt))
    return urlencode(params)


def image_query(image: Mapping[str, ParameterValue]) -> str:
    """The ``IMAGE_PARAMETERS`` of ``image`` that are not ``None``, in that order; ``True`` is ``1``."""
    params: list[tuple[str, str]] = []
    for name in IMAGE_PARAMETERS:
        value = image.get(name)
        if value is None:
            continue
        params.append((name, "1" if value is True else str(value)))
    return urlencode(params)


def joined(*queries: str) -> str:
    """The non-empty query strings joined with ``&``."""
    return "&".join(query for query in queries if query)


def split_path(path: str) -> tuple[str, str]:
    """``(uri, query)`` of a PATH: an S3 key (``photos/my cat.jpg``), or a percent-encoded URI or URL
    (``/photos/my%20cat.jpg?w=300``, ``https://d1.cloudfront.net/photos/cat.jpg``)."""
    if "://" in path or path.startswith("/"):
        parts = urlsplit(path)
        return parts.path or "/", parts.query
    return encode_path(path), ""


def url(
    path: str,
    *,
    w: int | None = None,
    h: int | None = None,
    fit: str | None = None,
    q: int | None = None,
    format: str | None = None,
    dpr: str | float | None = None,
    gravity: str | None = None,
    focus: str | None = None,
    background: str | None = None,
    grayscale: bool | None = None,
    blur: int | None = None,
    sharpen: bool | None = None,
    rotate: int | None = None,
    flip: bool | None = None,
    flop: bool | None = None,
    anim: bool | None = None,
    preset: str | None = None,
    accept: str = "*/*",
    base_url: str = "",
    signing_key: bytes | str | None = None,
    expires: int | None = None,
    config: Config | None = None,
) -> str:
    """The canonical viewer URL of ``path`` (an original's S3 key, or a viewer path or URL whose query parameters
    are kept and added to) rendered with these parameters.

    Every parameter is validated exactly as the viewer-request function validates it, against ``config``
    (default: ``load_config()``, the configuration the functions load). ``format=None`` is ``auto``: the URL
    spells out the format the edge negotiates for ``accept`` (default ``*/*``, as ``imgedge url``), so that it
    maps to one variant key whatever the browser sends. ``False`` for a flag is the same as ``None``, except
    ``anim=False``: an animated original's first frame only (``anim=0``).

    Returns ``{base_url}{path}?{query}``; without any image parameter, ``{base_url}{path}`` (the original, served
    as it is). With ``signing_key`` (a key of the signing secret), the query ends in ``s=...`` (after
    ``exp={expires}`` when ``expires``, Unix seconds, is given).

    Raises ``edge.errors.BadRequest`` for what the edge would answer 400 (its ``reason`` says why), and
    ``ValueError`` for ``signing_key`` without image parameters (nothing to sign).
    """
    config = load_config() if config is None else config
    uri, given = split_path(path)
    image: dict[str, ParameterValue] = {
        "dpr": dpr, "gravity": gravity, "focus": focus, "background": background,
        "grayscale": grayscale or None, "blur": blur, "sharpen": sharpen or None, "rotate": rotate,
        "flip": flip or None, "flop": flop or None, "anim": None if anim is None else int(anim), "preset": preset,
    }  # fmt: skip
    query = joined(given, spec_query(w, h, fit, q, format or "auto"), image_query(image))
    target = rewrite(uri, query, accept, config)
    prefix = base_url.rstrip("/")
    if target is None:
        if signing_key is not None:
            raise ValueError("nothing to sign: give image parameters (w, h, ...)")
        return f"{prefix}{uri}"
    canonical = viewer_query(target.variant.spec, config)
    if signing_key is not None:
        key = signing_key.encode() if isinstance(signing_key, str) else signing_key
        canonical = signed_query(target.original, canonical, key, config, expires=expires)
    return f"{prefix}{target.original}?{canonical}"
