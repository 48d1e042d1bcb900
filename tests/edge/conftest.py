"""Hypothesis strategies shared by the key codec and rewrite tests."""

from hypothesis import strategies as st

from edge.config import Config
from edge.errors import BadRequest
from edge.options import Fit, OutputFormat, RenderSpec
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


@st.composite
def render_specs(draw: st.DrawFn, config: Config | None = None) -> RenderSpec:
    """Any ``RenderSpec`` that keeps its invariants; with ``config``, only sizes and qualities the policy allows."""
    if config is None:
        dimension = st.integers(min_value=1, max_value=999_999)
        quality = st.integers(min_value=1, max_value=100)
    else:
        dimension = st.sampled_from(config.sizes)
        quality = st.sampled_from(config.qualities)
    width = draw(st.none() | dimension)
    height = draw(dimension if width is None else st.none() | dimension)
    fit = draw(st.sampled_from(Fit)) if width is not None and height is not None else Fit.INSIDE
    fmt = draw(st.sampled_from(OutputFormat))
    return RenderSpec(width, height, fit, fmt, draw(quality) if fmt.lossy else None)
