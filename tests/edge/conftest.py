"""Hypothesis strategies shared by the key codec and rewrite tests."""

from hypothesis import strategies as st

from edge.config import Config
from edge.errors import BadRequest
from edge.options import BLUR_RADII, COMPASS_FOCUS, FOCUS_STEP, ROTATIONS, Fit, Gravity, OutputFormat, RenderSpec
from edge.paths import validate_key


def _valid_key(key: str) -> bool:
    try:
        validate_key(key)
    except BadRequest:
        return False
    return True


SEGMENT_CHARS = st.one_of(
    st.sampled_from("abcxyzABC019-_.~ %+&=?#;:@!$'()*,éü中😀"),
    st.characters(codec="utf-8"),
)
SEGMENTS = st.text(SEGMENT_CHARS, min_size=1, max_size=12)
STEMS = st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join).filter(_valid_key)
#: Stems of originals viewer-request resizes: none whose first folder could be a spec (starts with 1-9 or x), which
#: the default layout refuses as a variant path (issue 12).
ORIGINAL_STEMS = STEMS.filter(lambda stem: "/" not in stem or stem[0] not in "123456789x")


@st.composite
def render_specs(draw: st.DrawFn, config: Config | None = None) -> RenderSpec:
    """Any ``RenderSpec`` that keeps its invariants; with ``config``, only sizes and qualities the policy allows."""
    if config is None:
        dimension = st.integers(min_value=1, max_value=999_999)
        quality = st.integers(min_value=1, max_value=100)
    else:
        dimension = st.sampled_from(config.sizing.sizes)
        quality = st.sampled_from(config.sizing.qualities)
    width = draw(st.none() | dimension)
    height = draw(dimension if width is None else st.none() | dimension)
    fit = draw(st.sampled_from(Fit)) if width is not None and height is not None else Fit.INSIDE
    fmt = draw(st.sampled_from(OutputFormat))
    return RenderSpec(width, height, fit, fmt, draw(quality) if fmt.lossy else None)


_FOCUS_POINTS = [
    (x, y)
    for x in range(0, 101, FOCUS_STEP)
    for y in range(0, 101, FOCUS_STEP)
    if (x, y) not in set(COMPASS_FOCUS.values())
]


@st.composite
def extended_render_specs(draw: st.DrawFn, config: Config | None = None) -> RenderSpec:
    """Any canonical ``RenderSpec`` of the whole grammar (crop position, background, filters, orientation);
    with ``config``, only sizes, qualities and backgrounds it allows."""
    base = draw(render_specs(config))
    crop = st.sampled_from([g for g in Gravity if g is not Gravity.FOCUS]).map(lambda g: (g, None))
    focus = st.sampled_from(_FOCUS_POINTS).map(lambda point: (Gravity.FOCUS, point))
    gravity, point = draw(crop | focus) if base.crops else (Gravity.CENTRE, None)
    colours = config.url.backgrounds if config is not None else ("ffffff", "000000", "12abef")
    background = draw(st.none() | st.sampled_from(colours))
    if base.format is OutputFormat.JPEG and background == "ffffff":
        background = None
    return RenderSpec(
        base.width,
        base.height,
        base.fit,
        base.format,
        base.quality,
        gravity=gravity,
        focus=point,
        background=background,
        grayscale=draw(st.booleans()),
        blur=draw(st.sampled_from((0, *BLUR_RADII))),
        sharpen=draw(st.booleans()),
        rotate=draw(st.sampled_from(ROTATIONS)),
        flop=draw(st.booleans()),
        # anim=0 only splits the keys of the formats that animate (WebP, AVIF), written out here by hand.
        still=draw(st.booleans()) if base.format in (OutputFormat.WEBP, OutputFormat.AVIF) else False,
    )
