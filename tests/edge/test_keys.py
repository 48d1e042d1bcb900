"""edge.keys: one canonical variant key per rendering; decode and encode are inverse; nothing outside the grammar."""

import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from edge.config import Config
from edge.errors import BadRequest, ConfigError
from edge.keys import (
    InvalidVariantKey,
    VariantKey,
    decode_key,
    default_quality,
    encode_key,
    spec_token,
    variant_s3_key,
    viewer_query,
)
from edge.options import Fit, Gravity, OutputFormat, RenderSpec
from edge.paths import encode_path
from edge.rewrite import rewrite
from tests.edge.conftest import ORIGINAL_STEMS, STEMS, extended_render_specs, render_specs

CONFIG = Config()
# The grammar of the module docstring, written out independently of the codec.
GRAMMAR = re.compile(
    r"/(?:[1-9][0-9]{0,5}x[1-9][0-9]{0,5}(?:-(?:contain|fill|inside|outside))?|[1-9][0-9]{0,5}|x[1-9][0-9]{0,5})"
    r"(?:-q(?:100|[1-9][0-9]?))?"
    r"/(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})+(?:/(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})+)*"
    r"\.(?:avif|webp|jpg|png)"
)


def _variant(
    width: int | None,
    height: int | None,
    fit: Fit,
    fmt: OutputFormat,
    quality: int | None,
    stem: str = "image",
) -> VariantKey:
    return VariantKey(RenderSpec(width, height, fit, fmt, quality), stem)


@pytest.mark.parametrize(
    ("variant", "key"),
    [
        (_variant(300, None, Fit.INSIDE, OutputFormat.AVIF, 50), "/300/image.avif"),
        (_variant(300, 200, Fit.COVER, OutputFormat.AVIF, 50), "/300x200/image.avif"),
        (_variant(300, 300, Fit.CONTAIN, OutputFormat.AVIF, 60), "/300x300-contain-q60/image.avif"),
        (_variant(None, 200, Fit.INSIDE, OutputFormat.WEBP, 80), "/x200/image.webp"),
        (_variant(300, 200, Fit.INSIDE, OutputFormat.JPEG, 80), "/300x200-inside/image.jpg"),
        (_variant(300, 200, Fit.OUTSIDE, OutputFormat.JPEG, 30), "/300x200-outside-q30/image.jpg"),
        (_variant(300, 200, Fit.FILL, OutputFormat.PNG, None), "/300x200-fill/image.png"),
        (_variant(16, None, Fit.INSIDE, OutputFormat.WEBP, 100), "/16-q100/image.webp"),
        (_variant(300, None, Fit.INSIDE, OutputFormat.AVIF, 50, "photos/cat"), "/300/photos/cat.avif"),
        (_variant(300, None, Fit.INSIDE, OutputFormat.AVIF, 50, "café/a b"), "/300/caf%C3%A9/a%20b.avif"),
    ],
)
def test_encode_and_decode_known_keys(variant: VariantKey, key: str) -> None:
    assert encode_key(variant, CONFIG) == key
    assert decode_key(key, CONFIG) == variant


def test_s3_key_is_the_decoded_key_without_leading_slash() -> None:
    variant = _variant(300, None, Fit.INSIDE, OutputFormat.AVIF, 50, "café/a b")
    assert variant_s3_key(variant, CONFIG) == "300/café/a b.avif"
    assert (
        variant_s3_key(_variant(300, 300, Fit.CONTAIN, OutputFormat.JPEG, 60), CONFIG)
        == "300x300-contain-q60/image.jpg"
    )


def test_default_quality_per_format() -> None:
    assert default_quality(OutputFormat.AVIF, CONFIG) == 50
    assert default_quality(OutputFormat.WEBP, CONFIG) == 80
    assert default_quality(OutputFormat.JPEG, CONFIG) == 80
    assert default_quality(OutputFormat.PNG, CONFIG) is None


def test_default_quality_follows_the_config() -> None:
    config = Config.of(default_quality={"avif": 60, "webp": 70, "jpeg": 90})
    variant = _variant(300, None, Fit.INSIDE, OutputFormat.AVIF, 60)
    assert encode_key(variant, config) == "/300/image.avif"
    assert encode_key(variant, CONFIG) == "/300-q60/image.avif"


def test_spec_token_needs_a_dimension() -> None:
    with pytest.raises(ValueError, match="width or a height"):
        spec_token(RenderSpec(None, None, Fit.INSIDE, OutputFormat.PNG, None), CONFIG)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/",
        "300/image.avif",
        "/300",
        "/300/",
        "/300/image",
        "/300/image.",
        "/300/image.jpeg",
        "/300/image.JPG",
        "/300/image.gif",
        "/300/image.avif/",
        "/0300/image.avif",
        "/0/image.avif",
        "/1000000/image.avif",
        "/300x/image.avif",
        "/x/image.avif",
        "/300x0/image.avif",
        "/300X200/image.avif",
        "/300x200-cover/image.avif",
        "/300-inside/image.avif",
        "/300-contain/image.avif",
        "/x200-fill/image.avif",
        "/300-q50/image.avif",
        "/300-q80/image.webp",
        "/300-q80/image.jpg",
        "/300-q60/image.png",
        "/300-q0/image.avif",
        "/300-q101/image.avif",
        "/300-q060/image.avif",
        "/300x300-q60-contain/image.avif",
        "/300x300-contain-contain/image.avif",
        "/300x300-contain-fill/image.avif",
        "/300-q60-q70/image.avif",
        "/300-/image.avif",
        "/300--q60/image.avif",
        "/300-x/image.avif",
        "//image.avif",
        "/300//image.avif",
        "/300/a//b.avif",
        "/300/../image.avif",
        "/300/a/../image.avif",
        "/300/%2e%2e/image.avif",
        "/300/a%2Fb.avif",
        "/300/a b.avif",
        "/300/caf%c3%a9.avif",
        "/300/café.avif",
        "/300/%41.avif",
        "/300/a%.avif",
        "/300/a%ff.avif",
        "/300/a%00.avif",
        "/300/.avif",
        "/300/..avif",
        "/300/x/..avif",
        "/300/image.avif?w=1",
        "/\u0663\u0660\u0660/image.avif",
    ],
)
def test_non_canonical_or_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidVariantKey) as caught:
        decode_key(key, CONFIG)
    assert caught.value.status == 400


def test_invalid_variant_key_is_a_bad_request() -> None:
    assert issubclass(InvalidVariantKey, BadRequest)


def test_six_digit_sizes_are_in_the_grammar_and_the_policy_judges_them() -> None:
    variant = decode_key("/999999x1/image.avif", CONFIG)
    assert variant.spec.width == 999999
    assert variant.spec.fit is Fit.COVER


@given(render_specs(), STEMS)
@example(RenderSpec(300, 300, Fit.CONTAIN, OutputFormat.AVIF, 60), "image")
@example(RenderSpec(300, None, Fit.INSIDE, OutputFormat.AVIF, 50), "a.b/c.d")
@example(RenderSpec(None, 1, Fit.INSIDE, OutputFormat.PNG, None), "%2e%2e")
def test_encode_then_decode_is_identity(spec: RenderSpec, stem: str) -> None:
    variant = VariantKey(spec, stem)
    key = encode_key(variant, CONFIG)
    assert GRAMMAR.fullmatch(key), key
    decoded = decode_key(key, CONFIG)
    assert decoded == variant
    assert encode_key(decoded, CONFIG) == key
    assert variant_s3_key(variant, CONFIG) == f"{spec_token(spec, CONFIG)}/{stem}.{spec.format.extension}"


_KEY_PIECES = st.sampled_from(
    [
        "/",
        "300",
        "0300",
        "x",
        "200",
        "-",
        "contain",
        "cover",
        "inside",
        "q60",
        "q50",
        "q050",
        "q101",
        ".",
        "..",
        "avif",
        "jpg",
        "jpeg",
        "png",
        "webp",
        "%2F",
        "%2e",
        "%C3%A9",
        "%c3%a9",
        "%",
        "é",
        " ",
        "a",
    ]
)
_KEY_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(_KEY_PIECES, max_size=16).map("".join),
    st.lists(_KEY_PIECES, max_size=12).map(lambda pieces: "/" + "".join(pieces)),
)


@given(_KEY_TEXT)
@example("/300x300-contain-q60/image.avif")
@example("/300x300-q60-contain/image.avif")
def test_decode_accepts_only_what_re_encodes_to_exactly_the_input(text: str) -> None:
    try:
        variant = decode_key(text, CONFIG)
    except InvalidVariantKey:
        return
    assert encode_key(variant, CONFIG) == text
    assert GRAMMAR.fullmatch(text), text
    spec = variant.spec
    assert spec.width is not None or spec.height is not None
    assert (spec.quality is None) is (spec.format is OutputFormat.PNG)
    if spec.width is None or spec.height is None:
        assert spec.fit is Fit.INSIDE


@given(st.data())
def test_decode_of_any_key_either_refuses_or_round_trips(data: st.DataObject) -> None:
    # Keys built from valid pieces in a random order: exactly the canonical arrangements survive.
    size = data.draw(st.sampled_from(["300", "x300", "300x200", "0300", "300x", ""]))
    tokens = data.draw(st.lists(st.sampled_from(["contain", "cover", "fill", "q60", "q50", "q80", ""]), max_size=3))
    ext = data.draw(st.sampled_from(["avif", "webp", "jpg", "jpeg", "png"]))
    stem = data.draw(st.sampled_from(["a", "a/b", "a%20b", "a b", "%2e", "a.b"]))
    key = "/" + "-".join([size, *tokens]) + f"/{stem}.{ext}"
    try:
        variant = decode_key(key, CONFIG)
    except InvalidVariantKey:
        return
    assert encode_key(variant, CONFIG) == key


@given(
    render_specs(CONFIG),
    ORIGINAL_STEMS,
    st.sampled_from(["png", "jpg", "JPEG"]),
    st.sampled_from(["image/avif", "*/*", ""]),
)
def test_viewer_query_maps_back_to_the_same_key_whatever_the_accept_header(
    spec: RenderSpec, stem: str, extension: str, accept: str
) -> None:
    variant = VariantKey(spec, stem)
    query = viewer_query(spec, CONFIG)
    assert query.endswith(f"format={spec.format.value}")
    result = rewrite(encode_path(f"{stem}.{extension}"), query, accept, CONFIG)
    assert result is not None
    assert result.uri == encode_key(variant, CONFIG)
    assert result.variant == variant


def test_viewer_query_spells_only_non_defaults() -> None:
    assert viewer_query(RenderSpec(300, None, Fit.INSIDE, OutputFormat.AVIF, 50), CONFIG) == "w=300&format=avif"
    assert (
        viewer_query(RenderSpec(300, 300, Fit.CONTAIN, OutputFormat.JPEG, 60), CONFIG)
        == "w=300&h=300&fit=contain&q=60&format=jpeg"
    )
    assert viewer_query(RenderSpec(None, 200, Fit.INSIDE, OutputFormat.PNG, None), CONFIG) == "h=200&format=png"


# --- the extended grammar: crop position, background, filters, orientation ------------------------------------

EXTENDED_GRAMMAR = re.compile(
    r"/(?:[1-9][0-9]{0,5}x[1-9][0-9]{0,5}(?:-(?:contain|fill|inside|outside))?|[1-9][0-9]{0,5}|x[1-9][0-9]{0,5})"
    r"(?:-q(?:100|[1-9][0-9]?))?"
    r"(?:-(?:north|south|east|west|northeast|northwest|southeast|southwest|entropy|attention|face"
    r"|fp(?:0|5|[1-9][05]|100)x(?:0|5|[1-9][05]|100)))?"
    r"(?:-bg[0-9a-f]{6})?(?:-gray)?(?:-blur(?:1|2|5|10|20))?(?:-sharpen)?(?:-r(?:90|180|270))?(?:-flop)?"
    r"(?P<still>-still)?"
    r"/(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})+(?:/(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})+)*"
    r"\.(?:avif|webp|(?(still)(?!)|(?:jpg|png)))"  # "still" only with the formats that animate
)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        (
            RenderSpec(300, 200, Fit.COVER, OutputFormat.AVIF, 50, gravity=Gravity.NORTHWEST),
            "/300x200-northwest/image.avif",
        ),
        (
            RenderSpec(300, 200, Fit.COVER, OutputFormat.AVIF, 60, Gravity.FOCUS, (30, 70)),
            "/300x200-q60-fp30x70/image.avif",
        ),
        (
            RenderSpec(300, 200, Fit.CONTAIN, OutputFormat.PNG, None, background="000000"),
            "/300x200-contain-bg000000/image.png",
        ),
        (RenderSpec(300, None, Fit.INSIDE, OutputFormat.JPEG, 80, background="ffffff"), "/300/image.jpg"),
        (RenderSpec(300, None, Fit.INSIDE, OutputFormat.WEBP, 80, background="ffffff"), "/300-bgffffff/image.webp"),
        (
            RenderSpec(
                300, None, Fit.INSIDE, OutputFormat.WEBP, 80, grayscale=True, blur=5, sharpen=True, rotate=90, flop=True
            ),
            "/300-gray-blur5-sharpen-r90-flop/image.webp",
        ),
        (
            RenderSpec(300, 200, Fit.COVER, OutputFormat.AVIF, 50, gravity=Gravity.ATTENTION),
            "/300x200-attention/image.avif",
        ),
        (
            RenderSpec(300, 200, Fit.COVER, OutputFormat.JPEG, 60, gravity=Gravity.FACE, grayscale=True),
            "/300x200-q60-face-gray/image.jpg",
        ),
    ],
)
def test_extended_tokens_in_canonical_order(spec: RenderSpec, key: str) -> None:
    assert encode_key(VariantKey(spec, "image"), CONFIG) == key
    decoded = decode_key(key, CONFIG).spec
    assert encode_key(VariantKey(decoded, "image"), CONFIG) == key


@pytest.mark.parametrize(
    "key",
    [
        "/300-northwest/image.avif",  # gravity without a crop
        "/300x200-contain-north/image.avif",  # gravity with a fit that does not crop
        "/300x200-centre/image.avif",  # the default spelled out
        "/300x200-fp50x50/image.avif",  # a compass point spelled as a focal point
        "/300x200-fp0x100/image.avif",
        "/300x200-fp33x70/image.avif",  # off the grid
        "/300x200-fp030x70/image.avif",
        "/300x200-fp105x70/image.avif",
        "/300-bgffffff/image.jpg",  # JPEG's default background
        "/300-bgFFFFFF/image.png",
        "/300-bgfff/image.png",
        "/300-blur3/image.png",  # not an allowed radius
        "/300-blur0/image.png",
        "/300-r0/image.png",
        "/300-r45/image.png",
        "/300-flip/image.png",  # a flip is spelled r180-flop
        "/300-flop-r90/image.png",  # out of order
        "/300-gray-gray/image.png",
        "/300-sharpen-gray/image.png",
        "/300x200-q60-north-east/image.avif",
    ],
)
def test_non_canonical_extended_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidVariantKey):
        decode_key(key, CONFIG)


@given(extended_render_specs(), STEMS)
def test_extended_encode_then_decode_is_identity(spec: RenderSpec, stem: str) -> None:
    variant = VariantKey(spec, stem)
    key = encode_key(variant, CONFIG)
    assert EXTENDED_GRAMMAR.fullmatch(key), key
    assert decode_key(key, CONFIG) == variant
    assert encode_key(decode_key(key, CONFIG), CONFIG) == key


_EXTENDED_PIECES = st.sampled_from(
    [
        "300",
        "300x200",
        "x200",
        "contain",
        "q60",
        "north",
        "northwest",
        "entropy",
        "fp30x70",
        "fp50x50",
        "fp33x1",
        "bg000000",
        "bgffffff",
        "gray",
        "blur5",
        "blur3",
        "sharpen",
        "r90",
        "r180",
        "r0",
        "flop",
        "flip",
        "",
    ]
)


@given(st.lists(_EXTENDED_PIECES, min_size=1, max_size=6), st.sampled_from(["avif", "jpg", "png", "webp"]))
def test_extended_decode_accepts_only_canonical_keys(pieces: list[str], ext: str) -> None:
    key = "/" + "-".join(pieces) + f"/a.{ext}"
    try:
        variant = decode_key(key, CONFIG)
    except InvalidVariantKey:
        return
    assert encode_key(variant, CONFIG) == key
    assert EXTENDED_GRAMMAR.fullmatch(key), key


FACES_CONFIG = CONFIG.replace(faces_enabled=True)


@given(
    extended_render_specs(FACES_CONFIG),
    ORIGINAL_STEMS,
    st.sampled_from(["png", "jpg"]),
    st.sampled_from(["image/avif", "*/*"]),
)
def test_extended_viewer_query_maps_back_to_the_same_key(spec: RenderSpec, stem: str, ext: str, accept: str) -> None:
    variant = VariantKey(spec, stem)
    result = rewrite(encode_path(f"{stem}.{ext}"), viewer_query(spec, FACES_CONFIG), accept, FACES_CONFIG)
    assert result is not None
    assert result.uri == encode_key(variant, FACES_CONFIG)
    assert result.variant == variant


# --- the variant_prefix layout -------------------------------------------------------------------------------

PREFIXED = Config.of(variant_prefix="_v")


@given(extended_render_specs(), STEMS)
@example(RenderSpec(300, None, Fit.INSIDE, OutputFormat.AVIF, 50), "photos/cat")
def test_prefixed_encode_then_decode_is_identity(spec: RenderSpec, stem: str) -> None:
    assume(not stem.startswith("_v/"))  # an original under the prefix does not exist (config refuses it)
    variant = VariantKey(spec, stem)
    key = encode_key(variant, PREFIXED)
    # The oracle is the documented layout, spelled here: /{prefix}/{stem}/{spec}.{ext}.
    assert key == f"/_v{encode_path(stem)}/{spec_token(spec, PREFIXED)}.{spec.format.extension}"
    assert variant_s3_key(variant, PREFIXED) == f"_v/{stem}/{spec_token(spec, PREFIXED)}.{spec.format.extension}"
    assert decode_key(key, PREFIXED) == variant
    with pytest.raises(InvalidVariantKey):
        decode_key(key, CONFIG)  # the two layouts never share a key
    with pytest.raises(InvalidVariantKey):
        decode_key(encode_key(variant, CONFIG), PREFIXED)


@given(st.lists(_KEY_PIECES, max_size=12).map(lambda pieces: "/_v/" + "".join(pieces)))
@example("/_v/photos/cat/300.avif")
@example("/_v/_v/cat/300.avif")
def test_prefixed_decode_accepts_only_canonical_keys_outside_the_prefix(text: str) -> None:
    try:
        variant = decode_key(text, PREFIXED)
    except InvalidVariantKey:
        return
    assert encode_key(variant, PREFIXED) == text
    assert not variant.stem.startswith("_v/")  # no variant names a variant as its original


def test_default_layout_keys_are_byte_identical() -> None:
    variant = VariantKey(RenderSpec(300, 300, Fit.CONTAIN, OutputFormat.AVIF, 60), "photos/cat")
    assert encode_key(variant, CONFIG) == "/300x300-contain-q60/photos/cat.avif"
    assert variant_s3_key(variant, CONFIG) == "300x300-contain-q60/photos/cat.avif"
    assert encode_key(variant, PREFIXED) == "/_v/photos/cat/300x300-contain-q60.avif"


@pytest.mark.parametrize("prefix", ["300", "x200", "", "_v/x", ".v", "a b", "v" * 64])
def test_variant_prefix_must_be_one_non_spec_folder_name(prefix: str) -> None:
    if prefix == "":
        assert Config.of(variant_prefix="").storage.variant_prefix == ""
        return
    with pytest.raises(ConfigError, match="variant_prefix"):
        Config.of(variant_prefix=prefix)


def test_variant_prefix_may_not_hold_an_origin() -> None:
    with pytest.raises(ConfigError, match="variant_prefix"):
        Config.from_mapping(
            {"variant_prefix": "_v", "origins": [{"prefix": "_v/a/", "bucket": "my-bucket", "region": "eu-west-1"}]}
        )


def test_anim_0_has_its_own_token_only_where_the_format_animates() -> None:
    still = RenderSpec(300, None, Fit.INSIDE, OutputFormat.WEBP, 80, still=True)
    key = encode_key(VariantKey(still, "photos/spin"), CONFIG)
    assert key == "/300-still/photos/spin.webp"
    assert decode_key(key, CONFIG).spec == still
    assert viewer_query(still, CONFIG) == "w=300&anim=0&format=webp"
    for jpeg_still in ("/300-still/photos/spin.jpg", "/300-still/photos/spin.png"):
        with pytest.raises(InvalidVariantKey):
            decode_key(jpeg_still, CONFIG)  # JPEG and PNG are one frame: no key of theirs says "still"
