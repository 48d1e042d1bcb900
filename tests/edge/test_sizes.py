"""edge.sizes: the size and quality policy keeps the number of variants per original bounded."""

import itertools
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.config import DEFAULT_SIZES, Config, SizePolicy
from edge.errors import BadRequest
from edge.options import Fit, FormatChoice, Gravity, OutputFormat, RenderSpec
from edge.query import PARAMETERS
from edge.rewrite import rewrite
from edge.sizes import (
    CROP_POSITIONS,
    FILTER_COMBINATIONS,
    apply_size_policy,
    base_variant_bound,
    check_spec,
    is_allowed_size,
    scale_dimension,
    snap_blur,
    snap_dpr,
    snap_quality,
    variant_bound,
)

SNAP = Config()
STRICT = Config.of(size_policy=SizePolicy.STRICT)
ANY = Config.of(size_policy=SizePolicy.ANY)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 16),
        (16, 16),
        (17, 32),
        (299, 300),
        (300, 300),
        (301, 320),
        (1201, 1280),
        (3840, 3840),
        (3841, 3840),
        (4096, 3840),
    ],
)
def test_snap_rounds_up_to_the_next_allowed_size_capped_at_the_largest(value: int, expected: int) -> None:
    assert apply_size_policy("w", value, SNAP) == expected


def test_snap_keeps_every_allowed_size_exact() -> None:
    for size in DEFAULT_SIZES:
        assert apply_size_policy("h", size, SNAP) == size


def test_strict_accepts_only_the_allowed_sizes() -> None:
    assert apply_size_policy("w", 300, STRICT) == 300
    with pytest.raises(BadRequest, match=r"^w=301 is not an allowed size$"):
        apply_size_policy("w", 301, STRICT)
    with pytest.raises(BadRequest, match=r"^h=1 is not an allowed size$"):
        apply_size_policy("h", 1, STRICT)


def test_any_keeps_the_value_up_to_the_maximum() -> None:
    assert apply_size_policy("w", 1, ANY) == 1
    assert apply_size_policy("w", 301, ANY) == 301
    assert apply_size_policy("w", 4096, ANY) == 4096


@pytest.mark.parametrize("config", [SNAP, STRICT, ANY], ids=["snap", "strict", "any"])
def test_every_policy_refuses_values_above_max_dimension(config: Config) -> None:
    with pytest.raises(BadRequest, match=r"^w must be at most 4096$"):
        apply_size_policy("w", 4097, config)
    with pytest.raises(BadRequest, match="h must be at most"):
        apply_size_policy("h", 10**9, config)


def test_max_dimension_is_configurable() -> None:
    config = Config.of(size_policy=SizePolicy.ANY, sizes=(10,), max_dimension=100)
    assert apply_size_policy("w", 100, config) == 100
    with pytest.raises(BadRequest):
        apply_size_policy("w", 101, config)


@given(st.integers(min_value=1, max_value=4096))
def test_snap_result_is_allowed_and_never_smaller_unless_capped(value: int) -> None:
    snapped = apply_size_policy("w", value, SNAP)
    assert snapped in SNAP.sizing.sizes
    assert snapped >= value or snapped == SNAP.sizing.sizes[-1]
    assert is_allowed_size(snapped, SNAP)


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 30), (30, 30), (31, 40), (59, 60), (60, 60), (61, 70), (91, 100), (100, 100)]
)
def test_quality_snaps_up_to_the_next_allowed_value(value: int, expected: int) -> None:
    assert snap_quality(value, SNAP) == expected


def test_quality_snap_caps_at_the_largest_allowed() -> None:
    config = Config.of(qualities=(40, 50, 80), default_quality={"avif": 50, "webp": 80, "jpeg": 80})
    assert snap_quality(95, config) == 80
    assert snap_quality(1, config) == 40


def test_is_allowed_size_per_policy() -> None:
    assert is_allowed_size(300, SNAP)
    assert not is_allowed_size(301, SNAP)
    assert not is_allowed_size(301, STRICT)
    assert is_allowed_size(301, ANY)
    assert is_allowed_size(4096, ANY)
    assert not is_allowed_size(4097, ANY)
    assert not is_allowed_size(0, ANY)


def test_variant_bound_formula() -> None:
    n = len(DEFAULT_SIZES)
    shapes = 2 * n + 5 * n * n
    # The original grammar (size, fit, quality, format) keeps its bound...
    assert base_variant_bound(SNAP) == shapes * (3 * len(SNAP.sizing.qualities) + 1)
    assert base_variant_bound(SNAP) == base_variant_bound(STRICT) == 163_800
    assert base_variant_bound(ANY) == (2 * 4096 + 5 * 4096 * 4096) * 25
    # ...and the extended grammar multiplies it out: crop positions, filters and backgrounds.
    assert CROP_POSITIONS == 11 + 21 * 21 - 9 == 443
    assert FILTER_COMBINATIONS == 2 * 6 * 2 * 8 == 192
    extended_shapes = 2 * n + (4 + 443) * n * n
    # Per format, 8 qualities x (no background + 2): AVIF and WebP each animating or not (anim=0), JPEG without
    # its default white, PNG without qualities.
    colours = 8 * 3 * 2 + 8 * 3 * 2 + 8 * 2 + 3
    assert colours == 115
    assert variant_bound(SNAP) == variant_bound(STRICT) == extended_shapes * 192 * colours == 12_792_798_720
    assert variant_bound(ANY) == (2 * 4096 + 447 * 4096 * 4096) * 192 * colours


def _keys_reachable(config: Config, values: list[int | None], qualities: list[int | None]) -> set[str]:
    keys: set[str] = set()
    accepts = ["image/avif", "image/webp", ""]
    formats: list[str | None] = [None, *(f.value for f in FormatChoice)]
    for w, h, fit, q, fmt, accept, source in itertools.product(
        values, values, [None, *Fit], qualities, formats, accepts, ["a.jpg", "a.png"]
    ):
        params = [
            f"{name}={value}" for name, value in (("w", w), ("h", h), ("fit", fit), ("q", q), ("format", fmt)) if value
        ]
        try:
            result = rewrite("/" + source, "&".join(params), accept, config)
        except BadRequest:
            continue
        if result is not None:
            keys.add(result.uri)
    return keys


def test_variant_bound_is_exactly_the_number_of_reachable_keys_of_a_small_config() -> None:
    config = Config.of(
        sizes=(10, 20), max_dimension=30, qualities=(50, 80), default_quality={"avif": 50, "webp": 80, "jpeg": 80}
    )
    keys = _keys_reachable(config, [None, 5, 10, 15, 20, 25], [None, 1, 50, 51, 80, 100])
    assert len(keys) == base_variant_bound(config) == (2 * 2 + 5 * 2 * 2) * (3 * 2 + 1)


def test_variant_bound_holds_under_any() -> None:
    config = Config.of(
        size_policy=SizePolicy.ANY,
        sizes=(1,),
        max_dimension=2,
        qualities=(50, 80),
        default_quality={"avif": 50, "webp": 80, "jpeg": 80},
    )
    keys = _keys_reachable(config, [None, 1, 2, 3], [None, 1, 80])
    assert len(keys) == base_variant_bound(config)


def _spec(
    width: int | None = 300,
    height: int | None = None,
    fit: Fit = Fit.INSIDE,
    fmt: OutputFormat = OutputFormat.AVIF,
    quality: int | None = 50,
) -> RenderSpec:
    return RenderSpec(width, height, fit, fmt, quality)


def test_check_spec_accepts_what_the_policy_allows() -> None:
    check_spec(_spec(), SNAP)
    check_spec(_spec(300, 200, Fit.CONTAIN, OutputFormat.JPEG, 60), SNAP)
    check_spec(_spec(None, 3840, fmt=OutputFormat.PNG, quality=None), SNAP)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (_spec(301), "w=301 is not an allowed size"),
        (_spec(None, 5000), "h=5000 is not an allowed size"),
        (_spec(300, 7, Fit.COVER), "h=7 is not an allowed size"),
        (_spec(quality=55), "q=55 is not an allowed quality"),
    ],
)
def test_check_spec_refuses_what_the_policy_would_not_produce(spec: RenderSpec, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_spec(spec, SNAP)
    assert caught.value.reason == reason


def test_check_spec_under_any_accepts_odd_sizes_but_not_odd_qualities() -> None:
    check_spec(_spec(301, 17, Fit.FILL), ANY)
    with pytest.raises(BadRequest):
        check_spec(_spec(5000), ANY)
    with pytest.raises(BadRequest):
        check_spec(_spec(quality=51), ANY)


# --- the extended grammar: each token group counted exhaustively, then shown to combine freely -----------------

SMALL = Config.of(
    sizes=(10, 20),
    max_dimension=30,
    qualities=(50, 80),
    default_quality={"avif": 50, "webp": 80, "jpeg": 80},
    backgrounds=("ffffff",),
)
_CROPS = [
    *(f"gravity={g.value}" for g in Gravity if g is not Gravity.FOCUS),
    "gravity=center",
    *(f"focus={x / 20:g},{y / 20:g}" for x in range(21) for y in range(21)),
]


def _spec_tokens(config: Config, queries: list[str], uri: str = "/a.png", accept: str = "") -> set[str]:
    keys: set[str] = set()
    for query in queries:
        try:
            result = rewrite(uri, query, accept, config)
        except BadRequest:
            continue
        assert result is not None
        keys.add(result.uri)
    return keys


def test_shapes_with_every_crop_position_are_counted_exactly() -> None:
    queries = [
        "&".join(p for p in (f"w={w}" if w else "", f"h={h}" if h else "", f"fit={fit}" if fit else "", crop) if p)
        + "&format=png"
        for w, h, fit, crop in itertools.product(
            [None, 5, 10, 15, 20, 25], [None, 5, 10, 15, 20, 25], [None, *Fit], [None, *_CROPS]
        )
    ]
    n = len(SMALL.sizing.sizes)
    assert len(_spec_tokens(SMALL, queries)) == 2 * n + (4 + CROP_POSITIONS) * n * n


def test_formats_qualities_and_backgrounds_are_counted_exactly() -> None:
    keys: set[str] = set()
    for q, fmt, accept, source, background in itertools.product(
        [None, 1, 50, 51, 80, 100],
        [None, *(f.value for f in FormatChoice)],
        ["image/avif", "image/webp", ""],
        ["/a.jpg", "/a.png"],
        [None, "fff", "ffffff", "%23FFFFFF"],
    ):
        params = [f"{k}={v}" for k, v in (("w", 10), ("q", q), ("format", fmt), ("background", background)) if v]
        keys |= _spec_tokens(SMALL, ["&".join(params)], source, accept)
    q, b, white = len(SMALL.sizing.qualities), len(SMALL.url.backgrounds), 1
    assert len(keys) == q * (3 * (1 + b) - white) + (1 + b) == 12


def test_filters_and_orientations_are_counted_exactly() -> None:
    queries = [
        "w=10&format=png&"
        + "&".join(
            f"{k}={v}"
            for k, v in zip(("grayscale", "blur", "sharpen", "rotate", "flip", "flop"), values, strict=True)
            if v is not None
        )
        for values in itertools.product(
            [None, "0", "1"],
            [None, *map(str, range(26))],
            [None, "1"],
            ["0", "90", "180", "270"],
            [None, "1"],
            [None, "1"],
        )
    ]
    assert len(_spec_tokens(SMALL, queries)) == FILTER_COMBINATIONS == 192


def test_token_groups_combine_freely_so_the_bound_is_their_product() -> None:
    shapes = ["w=10", "h=20", "w=10&h=20&fit=fill", "w=20&h=10", "w=20&h=10&gravity=entropy", "w=20&h=10&focus=0.3,0.7"]
    colours = ["format=png", "format=jpeg&q=50", "format=webp&background=fff", "format=jpeg", "format=avif&anim=0"]
    filters = ["", "grayscale=1", "blur=2&flip=1", "rotate=90&sharpen=1"]
    queries = ["&".join(filter(None, parts)) for parts in itertools.product(shapes, colours, filters)]
    assert len(_spec_tokens(SMALL, queries)) == len(shapes) * len(colours) * len(filters)
    n = len(SMALL.sizing.sizes)
    # 2 qualities x (none + white): AVIF and WebP x 2 (anim=0), JPEG (white is its default), PNG (none + white).
    assert variant_bound(SMALL) == (2 * n + (4 + CROP_POSITIONS) * n * n) * FILTER_COMBINATIONS * (8 + 8 + 2 + 2)


def test_dpr_snaps_up_and_multiplies_before_the_policy() -> None:
    assert [snap_dpr(Fraction(t)) for t in ("1", "1.2", "1.5", "2.5", "4")] == [1, Fraction(3, 2), Fraction(3, 2), 3, 4]
    assert scale_dimension(301, Fraction(3, 2), SNAP) == 452  # 451.5 rounds half up
    assert scale_dimension(3000, Fraction(2), SNAP) == 4096  # the product is capped at max_dimension
    assert scale_dimension(5000, Fraction(2), SNAP) == 5000  # the request itself is judged by the policy


def test_blur_snaps_up_to_an_allowed_radius() -> None:
    assert [snap_blur(r) for r in (0, 1, 3, 5, 6, 20, 1000)] == [0, 1, 5, 5, 10, 20, 20]


def test_check_spec_refuses_backgrounds_and_radii_outside_the_lists() -> None:
    with pytest.raises(BadRequest, match="background=123456"):
        check_spec(RenderSpec(300, None, Fit.INSIDE, OutputFormat.PNG, None, background="123456"), SNAP)
    with pytest.raises(BadRequest, match="blur=3"):
        check_spec(RenderSpec(300, None, Fit.INSIDE, OutputFormat.PNG, None, blur=3), SNAP)
    check_spec(RenderSpec(300, None, Fit.INSIDE, OutputFormat.PNG, None, background="000000", blur=5), SNAP)


# --- allowed_parameters: a disabled group contributes only its default, exactly --------------------------------


def _queries(*axes: list[str]) -> list[str]:
    """Every non-empty query taking at most one ``name=value`` entry from each axis."""
    return [q for combo in itertools.product(*(["", *axis] for axis in axes)) if (q := "&".join(filter(None, combo)))]


def _only(config: Config, allowed: set[str], **changes: Any) -> Config:
    """``config`` with just ``allowed`` enabled (the other token groups pinned by ``changes``)."""
    return config.replace(allowed_parameters=tuple(p for p in PARAMETERS if p in allowed), **changes)


_SHAPE_PARAMETERS = ("w", "h", "fit", "gravity", "focus")
_GRAVITIES = [f"gravity={g.value}" for g in Gravity if g is not Gravity.FOCUS] + ["gravity=center"]
_FOCI = [f"focus={x / 20:g},{y / 20:g}" for x in range(21) for y in range(21)]


@pytest.mark.parametrize(
    "enabled",
    [
        set(subset)
        for r in range(1, 6)
        for subset in itertools.combinations(_SHAPE_PARAMETERS, r)
        if {"w", "h"} & set(subset)
    ],
    ids=lambda enabled: "+".join(p for p in _SHAPE_PARAMETERS if p in enabled),
)
def test_variant_bound_counts_exactly_the_shapes_the_enabled_parameters_reach(enabled: set[str]) -> None:
    # Filters, q, background and format disabled with a fixed PNG output: the bound is the number of shapes.
    config = _only(SMALL, enabled, default_format=FormatChoice.PNG)

    def axis(name: str, entries: list[str]) -> list[str]:
        return entries if name in enabled else []

    queries = _queries(
        axis("w", ["w=5", "w=10", "w=20"]),
        axis("h", ["h=5", "h=10", "h=20"]),
        axis("fit", [f"fit={fit.value}" for fit in Fit]),
        axis("gravity", _GRAVITIES) + axis("focus", _FOCI),
    )
    assert len(_spec_tokens(config, queries)) == variant_bound(config)


_FILTER_PARAMETERS = ("grayscale", "blur", "sharpen", "rotate", "flip", "flop")
_FILTER_VALUES = {
    "grayscale": ["0", "1"],
    "blur": ["0", "1", "2", "3", "5", "10", "20", "1000"],
    "sharpen": ["0", "1"],
    "rotate": ["0", "90", "180", "270"],
    "flip": ["0", "1"],
    "flop": ["0", "1"],
}


@pytest.mark.parametrize(
    "enabled",
    [set(subset) for r in range(7) for subset in itertools.combinations(_FILTER_PARAMETERS, r)],
    ids=lambda enabled: "+".join(p for p in _FILTER_PARAMETERS if p in enabled) or "none",
)
def test_variant_bound_counts_exactly_the_filters_the_enabled_parameters_reach(enabled: set[str]) -> None:
    # One size, width only, fixed PNG output: the bound is the number of filter combinations.
    config = _only(SMALL, {"w", *enabled}, sizes=(10,), default_format=FormatChoice.PNG)
    axes = [[f"{name}={v}" for v in _FILTER_VALUES[name]] for name in _FILTER_PARAMETERS if name in enabled]
    queries = ["w=10&" + q for q in _queries(*axes)] + ["w=10"]
    assert len(_spec_tokens(config, queries)) == variant_bound(config)


@pytest.mark.parametrize(
    "enabled", [set(s) for r in range(4) for s in itertools.combinations(("q", "format", "background"), r)]
)
@pytest.mark.parametrize("default_format", [FormatChoice.AUTO, FormatChoice.JPEG, FormatChoice.PNG])
@pytest.mark.parametrize("extensions", [("jpg", "png"), ("png", "gif"), ("webp",)])
def test_variant_bound_counts_exactly_the_colours_the_enabled_parameters_reach(
    enabled: set[str], default_format: FormatChoice, extensions: tuple[str, ...]
) -> None:
    config = _only(
        SMALL,
        {"w", *enabled},
        sizes=(10,),
        default_format=default_format,
        source_extensions=extensions,
        backgrounds=("ffffff", "000000"),
    )
    axes = [
        [f"q={q}" for q in (1, 50, 51, 80, 100)] if "q" in enabled else [],
        [f"format={f.value}" for f in FormatChoice] + ["format=jpg"] if "format" in enabled else [],
        [f"background={b}" for b in ("fff", "ffffff", "000", "%23000000")] if "background" in enabled else [],
    ]
    keys: set[str] = set()
    for extension, accept in itertools.product(extensions, ["image/avif", "image/webp", ""]):
        keys |= _spec_tokens(config, ["w=10&" + q for q in _queries(*axes)] + ["w=10"], f"/a.{extension}", accept)
    assert len(keys) == variant_bound(config)


def test_restricted_groups_still_combine_freely() -> None:
    config = _only(SMALL, {"w", "h", "gravity", "rotate", "flop", "background"})
    queries = _queries(
        ["w=10", "w=20"],
        ["h=10", "h=20"],
        _GRAVITIES,
        [f"rotate={r}" for r in (0, 90, 180, 270)],
        ["flop=1"],
        ["background=fff"],
    )
    keys: set[str] = set()
    for source, accept in itertools.product(["/a.jpg", "/a.png"], ["image/avif", "image/webp", ""]):
        keys |= _spec_tokens(config, queries, source, accept)
    # shapes 2n + n^2 x 11 gravities (fit is cover), 8 orientations, 7 colours (AVIF, WebP, PNG: none or
    # white; JPEG: its default white only; each at its default quality).
    assert len(keys) == variant_bound(config) == (2 * 2 + 4 * 11) * 8 * 7


def test_the_readme_example_bound_is_the_original_grammar() -> None:
    readme = ("w", "h", "fit", "q", "format", "dpr")
    small = SMALL.replace(qualities=(50, 80), backgrounds=("ffffff", "000000"), allowed_parameters=readme)
    keys = _keys_reachable(small, [None, 5, 10, 15, 20, 25], [None, 1, 50, 51, 80, 100])
    assert len(keys) == variant_bound(small) == base_variant_bound(small)
    assert variant_bound(Config().replace(allowed_parameters=readme)) == 163_800
    assert variant_bound(Config()) == 12_792_798_720
