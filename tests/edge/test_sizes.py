"""edge.sizes: the size and quality policy keeps the number of variants per original bounded."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.config import DEFAULT_SIZES, Config, SizePolicy
from edge.errors import BadRequest
from edge.options import Fit, FormatChoice, OutputFormat, RenderSpec
from edge.rewrite import rewrite
from edge.sizes import apply_size_policy, check_spec, is_allowed_size, snap_quality, variant_bound

SNAP = Config()
STRICT = Config(size_policy=SizePolicy.STRICT)
ANY = Config(size_policy=SizePolicy.ANY)


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
    config = Config(size_policy=SizePolicy.ANY, sizes=(10,), max_dimension=100)
    assert apply_size_policy("w", 100, config) == 100
    with pytest.raises(BadRequest):
        apply_size_policy("w", 101, config)


@given(st.integers(min_value=1, max_value=4096))
def test_snap_result_is_allowed_and_never_smaller_unless_capped(value: int) -> None:
    snapped = apply_size_policy("w", value, SNAP)
    assert snapped in SNAP.sizes
    assert snapped >= value or snapped == SNAP.sizes[-1]
    assert is_allowed_size(snapped, SNAP)


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 30), (30, 30), (31, 40), (59, 60), (60, 60), (61, 70), (91, 100), (100, 100)]
)
def test_quality_snaps_up_to_the_next_allowed_value(value: int, expected: int) -> None:
    assert snap_quality(value, SNAP) == expected


def test_quality_snap_caps_at_the_largest_allowed() -> None:
    config = Config(qualities=(40, 50, 80), default_quality={"avif": 50, "webp": 80, "jpeg": 80})
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
    assert variant_bound(SNAP) == shapes * (3 * len(SNAP.qualities) + 1)
    assert variant_bound(SNAP) == variant_bound(STRICT) == 163_800
    assert variant_bound(ANY) == (2 * 4096 + 5 * 4096 * 4096) * 25


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
    config = Config(
        sizes=(10, 20), max_dimension=30, qualities=(50, 80), default_quality={"avif": 50, "webp": 80, "jpeg": 80}
    )
    keys = _keys_reachable(config, [None, 5, 10, 15, 20, 25], [None, 1, 50, 51, 80, 100])
    assert len(keys) == variant_bound(config) == (2 * 2 + 5 * 2 * 2) * (3 * 2 + 1)


def test_variant_bound_holds_under_any() -> None:
    config = Config(
        size_policy=SizePolicy.ANY,
        sizes=(1,),
        max_dimension=2,
        qualities=(50, 80),
        default_quality={"avif": 50, "webp": 80, "jpeg": 80},
    )
    keys = _keys_reachable(config, [None, 1, 2, 3], [None, 1, 80])
    assert len(keys) == variant_bound(config)


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
