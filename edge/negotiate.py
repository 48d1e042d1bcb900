"""Output format negotiation from the ``Accept`` header (pure)."""

from functools import lru_cache

from edge.options import FormatChoice, OutputFormat

# Sources whose family keeps transparency: they fall back to PNG, everything else to JPEG.
_PNG_FAMILY = frozenset({"png", "gif"})
# Browsers send a handful of distinct Accept headers, so their parse is remembered per container (bounded, and
# only for headers of ordinary length, so odd or hostile ones cannot fill the 128 MB viewer function).
_CACHED_ACCEPT_LENGTH = 512


def accepted_types(accept: str) -> dict[str, float]:
    """Media types of an ``Accept`` header with their q-values (1.0 when absent), lowercased.

    Entries with a malformed q-value are ignored; ``q=0`` entries are kept with 0.0 (explicitly refused).
    """
    result: dict[str, float] = {}
    for entry in accept.split(","):
        media, *params = (piece.strip() for piece in entry.split(";"))
        if not media:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = -1.0
        if 0.0 <= weight <= 1.0:
            result[media.lower()] = max(weight, result.get(media.lower(), 0.0))
    return result


def choose_format(choice: FormatChoice, accept: str, source_extension: str) -> OutputFormat:
    """The output format for a request.

    An explicit ``choice`` wins. ``auto`` picks AVIF when ``Accept`` lists ``image/avif`` with q > 0, else WebP
    when it lists ``image/webp`` with q > 0 (wildcards such as ``image/*`` do not count: browsers send them for
    formats they cannot decode), else the original's own family: PNG for png/gif sources, so transparency
    survives, JPEG otherwise.
    """
    if choice is not FormatChoice.AUTO:
        return OutputFormat(choice.value)
    preferred = _modern_format(accept) if len(accept) <= _CACHED_ACCEPT_LENGTH else _modern_format.__wrapped__(accept)
    if preferred is not None:
        return preferred
    return OutputFormat.PNG if source_extension.lower() in _PNG_FAMILY else OutputFormat.JPEG


@lru_cache(maxsize=256)
def _modern_format(accept: str) -> OutputFormat | None:
    """AVIF or WebP when ``accept`` lists it with q > 0 (AVIF first), else ``None``."""
    types = accepted_types(accept)
    if types.get("image/avif", 0.0) > 0.0:
        return OutputFormat.AVIF
    if types.get("image/webp", 0.0) > 0.0:
        return OutputFormat.WEBP
    return None
