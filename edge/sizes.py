"""The size and quality policy: the guard that keeps the number of variants per original bounded (pure)."""

from bisect import bisect_left

from edge.config import Config, SizePolicy
from edge.errors import BadRequest
from edge.options import Fit, RenderSpec


def apply_size_policy(name: str, value: int, config: Config) -> int:
    """The width or height (``name`` is ``w`` or ``h``, for the message) to render for a requested ``value``.

    Every policy refuses values above ``config.max_dimension`` (400). ``snap`` rounds up to the next allowed
    size, capped at the largest; ``strict`` refuses sizes not in ``config.sizes``; ``any`` keeps the value.
    """
    if value > config.max_dimension:
        raise BadRequest(f"{name} must be at most {config.max_dimension}")
    sizes = config.sizes
    if config.size_policy is SizePolicy.ANY:
        return value
    if config.size_policy is SizePolicy.STRICT:
        if value not in sizes:
            raise BadRequest(f"{name}={value} is not an allowed size")
        return value
    index = bisect_left(sizes, value)
    return sizes[min(index, len(sizes) - 1)]


def snap_quality(value: int, config: Config) -> int:
    """The allowed quality for a requested ``q``: the next allowed value up, capped at the largest."""
    qualities = config.qualities
    return qualities[min(bisect_left(qualities, value), len(qualities) - 1)]


def is_allowed_size(value: int, config: Config) -> bool:
    """Whether a width or height may appear in a variant key under the policy (what origin-response re-checks)."""
    if config.size_policy is SizePolicy.ANY:
        return 1 <= value <= config.max_dimension
    return value in config.sizes


def variant_bound(config: Config) -> int:
    """The most distinct variants one original can have under ``config``.

    Per output format: ``n`` width-only keys, ``n`` height-only keys and ``n*n`` boxes for each of the five fits,
    where ``n`` is the number of allowed sizes (``max_dimension`` under ``any``); lossy formats multiply that by
    the number of qualities. Four output formats: AVIF, WebP, JPEG (lossy) and PNG.
    """
    n = config.max_dimension if config.size_policy is SizePolicy.ANY else len(config.sizes)
    shapes = 2 * n + len(Fit) * n * n
    return shapes * (3 * len(config.qualities) + 1)


def check_spec(spec: RenderSpec, config: Config) -> None:
    """Re-check a decoded variant against the policy: every dimension allowed, the quality an allowed one.

    Raises ``BadRequest``; origin-response renders nothing the viewer-request function would not have produced.
    """
    for name, value in (("w", spec.width), ("h", spec.height)):
        if value is not None and not is_allowed_size(value, config):
            raise BadRequest(f"{name}={value} is not an allowed size")
    if spec.quality is not None and spec.quality not in config.qualities:
        raise BadRequest(f"q={spec.quality} is not an allowed quality")
