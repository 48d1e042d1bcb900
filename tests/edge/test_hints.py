"""Client hints: the pure translation of w=auto and dpr=auto (edge.hints), and rewrite with it."""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.config import Config, SizePolicy
from edge.errors import BadRequest, ConfigError
from edge.hints import ClientHints, asks_for_hints, parse_width, resolve, snap_dpr_hint
from edge.rewrite import rewrite

HINTED = Config.of(client_hints=True)
DPR_STEPS = (Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3), Fraction(4))


def key(query: str, hints: ClientHints, config: Config = HINTED) -> str:
    target = rewrite("/photos/cat.jpg", query, "", config, hints)
    assert target is not None
    return target.uri


@pytest.mark.parametrize(
    ("query", "hints", "expected"),
    [
        ("w=auto", ClientHints(), "/640/photos/cat.jpg"),  # the fallback width
        ("w=auto", ClientHints(width="828"), "/828/photos/cat.jpg"),
        ("w=auto", ClientHints(width="700"), "/750/photos/cat.jpg"),  # snapped up as any w
        ("w=auto", ClientHints(width="828", dpr="3"), "/828/photos/cat.jpg"),  # physical: no dpr again
        ("w=auto&dpr=auto", ClientHints(width="828", dpr="2.625"), "/828/photos/cat.jpg"),
        ("w=auto&dpr=2", ClientHints(width="828"), "/828/photos/cat.jpg"),
        ("w=auto", ClientHints(width="828", viewport_width="412"), "/828/photos/cat.jpg"),  # width first
        ("w=auto", ClientHints(viewport_width="412"), "/480/photos/cat.jpg"),
        ("w=auto", ClientHints(viewport_width="412", dpr="2.625"), "/1280/photos/cat.jpg"),  # 412 x 3
        ("w=auto&dpr=2", ClientHints(viewport_width="412", dpr="3"), "/828/photos/cat.jpg"),  # the URL's dpr
        ("w=auto&dpr=2", ClientHints(), "/1280/photos/cat.jpg"),  # 640 CSS px x 2
        ("w=300&dpr=auto", ClientHints(dpr="2"), "/600/photos/cat.jpg"),
        ("w=300&dpr=auto", ClientHints(dpr="1.25"), "/480/photos/cat.jpg"),  # 1.5
        ("w=300&dpr=auto", ClientHints(), "/300/photos/cat.jpg"),
        ("w=300&dpr=auto", ClientHints(dpr="9"), "/1200/photos/cat.jpg"),  # clamped to 4
        ("w=300&dpr=auto", ClientHints(dpr="0.5"), "/300/photos/cat.jpg"),  # clamped to 1
        ("w=auto&h=300&dpr=auto", ClientHints(width="1000", dpr="2"), "/1000x600/photos/cat.jpg"),
        ("w=auto", ClientHints(width="99999"), "/3840/photos/cat.jpg"),  # clamped to max_dimension
        ("w=auto", ClientHints(width="abc", viewport_width="0"), "/640/photos/cat.jpg"),  # unparsable: absent
        ("w=300", ClientHints(width="828"), "/300/photos/cat.jpg"),  # no auto: hints unused
    ],
)
def test_hints_fill_in_auto(query: str, hints: ClientHints, expected: str) -> None:
    assert key(query, hints) == expected


@pytest.mark.parametrize(("query", "reason"), [("w=auto", "w must be a positive integer"),
                                               ("w=300&dpr=auto", "dpr must be a decimal number")])  # fmt: skip
def test_auto_is_the_usual_400_without_the_setting(query: str, reason: str) -> None:
    for config, hints in ((Config(), ClientHints(width="828", dpr="2")), (HINTED, None)):
        with pytest.raises(BadRequest) as raised:
            rewrite("/photos/cat.jpg", query, "", config, hints)
        assert raised.value.reason == reason


def test_a_preset_override_may_be_auto_but_a_preset_never_is() -> None:
    config = Config.of(client_hints=True, presets={"thumb": {"w": "200"}})
    assert key("preset=thumb&dpr=auto", ClientHints(dpr="2"), config) == "/400/photos/cat.jpg"
    with pytest.raises(ConfigError, match="presets"):
        Config.of(client_hints=True, presets={"thumb": {"w": "auto"}})


def test_configuration_is_validated() -> None:
    with pytest.raises(ConfigError, match="client_hints"):
        Config.of(client_hints=True, size_policy=SizePolicy.STRICT)
    with pytest.raises(ConfigError, match="client_hints_fallback_width"):
        Config.of(client_hints=True, client_hints_fallback_width=5000)
    with pytest.raises(ConfigError, match="client_hints_fallback_width"):
        Config.of(client_hints_fallback_width=0)
    with pytest.raises(ConfigError, match="'client_hints'"):
        Config.from_mapping({"client_hints": "yes"})
    assert key("w=auto", ClientHints(), Config.of(client_hints=True, client_hints_fallback_width=300)) == (
        "/300/photos/cat.jpg"
    )


def test_helpers() -> None:
    assert asks_for_hints({"w": "auto"})
    assert asks_for_hints({"dpr": "auto"})
    assert not asks_for_hints({"w": "300", "format": "auto"})
    assert [parse_width(t) for t in (None, "", "0", " 828 ", "-1", "1.5", "9" * 30)] == [
        None, None, None, 828, None, None, None,
    ]  # fmt: skip
    assert [snap_dpr_hint(t) for t in (None, "1", "1.0", "1.5000001", "1.75", "2.625", "3", "x", "4.5")] == [
        "1", "1", "1", "1.5", "2", "3", "3", "1", "4",
    ]  # fmt: skip
    assert resolve({"w": "300"}, ClientHints(width="828"), HINTED) == {"w": "300"}


# Independent oracle: the physical width each hint combination asks for, computed with Fractions and math.ceil.
_DIGITS = st.integers(min_value=1, max_value=20_000).map(str)
_DPR_TEXT = st.decimals(min_value=0, max_value=8, places=3).map(str)
_HINTS = st.builds(
    ClientHints,
    width=st.none() | _DIGITS,
    viewport_width=st.none() | _DIGITS,
    dpr=st.none() | _DPR_TEXT,
)
_CONFIGS = st.sampled_from(
    [
        HINTED,
        Config.of(client_hints=True, size_policy=SizePolicy.ANY),
        Config.of(client_hints=True, sizes=(100, 500, 1000), max_dimension=1200, client_hints_fallback_width=700),
    ]
)


def _oracle_dpr(text: str | None) -> Fraction:
    value = min(max(Fraction(text) if text is not None else Fraction(1), Fraction(1)), Fraction(4))
    return next(step for step in DPR_STEPS if step >= value)


def _oracle_width(query_dpr: str | None, hints: ClientHints, config: Config) -> int:
    dpr = _oracle_dpr(hints.dpr) if query_dpr == "auto" else Fraction(query_dpr or 1)
    if hints.width is not None:
        return min(int(hints.width), config.sizing.max_dimension)  # physical pixels, at least this much
    css = int(hints.viewport_width) if hints.viewport_width is not None else config.sizing.client_hints_fallback_width
    if hints.viewport_width is not None and query_dpr is None and hints.dpr is not None:
        dpr = _oracle_dpr(hints.dpr)
    return min(math.floor(min(css, config.sizing.max_dimension) * dpr + Fraction(1, 2)), config.sizing.max_dimension)


@given(_HINTS, st.sampled_from([None, "auto", "2", "1.5"]), _CONFIGS)
def test_a_hinted_width_is_an_allowed_size_at_least_the_asked_width(
    hints: ClientHints, query_dpr: str | None, config: Config
) -> None:
    query = "w=auto" + (f"&dpr={query_dpr}" if query_dpr else "")
    target = rewrite("/photos/cat.jpg", query, "", config, hints)
    assert target is not None
    width = target.variant.spec.width
    assert width is not None
    assert width <= config.sizing.max_dimension
    asked = _oracle_width(query_dpr, hints, config)
    if config.sizing.size_policy is SizePolicy.SNAP:
        assert width in config.sizing.sizes
        # Before snapping, the width is the asked one or, for Sec-CH-Width under a URL dpr, less than one dpr
        # above it (a CSS width times the dpr: 100 physical px at dpr 1.5 is w=67, 100.5 px): the allowed size
        # is the smallest at least one of those.
        reachable = {
            min([size for size in config.sizing.sizes if size >= before] or [config.sizing.sizes[-1]])
            for before in range(asked, asked + 4)
        }
        assert width in reachable
        assert width == min([size for size in config.sizing.sizes if size >= asked] or [config.sizing.sizes[-1]]) or (
            hints.width is not None and query_dpr not in (None, "1")
        )
    else:
        # any: the asked width itself, or (Sec-CH-Width under a URL dpr) less than one dpr above it.
        assert asked <= width < asked + 4 or width == config.sizing.max_dimension


@given(st.one_of(st.none(), _DPR_TEXT, st.text(max_size=8)))
def test_a_dpr_hint_becomes_an_allowed_dpr(text: str | None) -> None:
    snapped = Fraction(snap_dpr_hint(text))
    assert snapped in DPR_STEPS
    try:
        expected = _oracle_dpr(text)
    except (ValueError, ZeroDivisionError):
        expected = Fraction(1)
    if text is not None and not (text.isascii() and text.strip().replace(".", "", 1).isdigit()):
        expected = Fraction(1)
    assert snapped == expected


def test_client_hints_are_an_immutable_value() -> None:
    hints = ClientHints(width="828", dpr="2")
    assert hints == ClientHints("828", None, "2")
    assert hints != ClientHints(width="828")
    assert len({hints, ClientHints(width="828", dpr="2")}) == 1
    with pytest.raises(AttributeError, match="immutable"):
        hints.width = "1"
    assert repr(hints) == "ClientHints(width='828', viewport_width=None, dpr='2')"
