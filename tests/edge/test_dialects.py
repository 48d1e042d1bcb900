"""edge.dialects: each dialect form translates to the native URL with the same variant key; refusals name the
construct. Reference cases: SIH's thumbor-mapper tests (aws-solutions/serverless-image-handler @a11bb41,
source/image-handler/test/thumbor-mapper/*.spec.ts) and DIT's query-param-mapper.ts (@ac346aa)."""

import base64
import json
from urllib.parse import urlencode

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from edge.config import Config
from edge.dialects import REFUSED_FILTERS, translate
from edge.errors import BadRequest, ConfigError, EdgeError, Forbidden
from edge.origins import Origin
from edge.rewrite import rewrite

ACCEPTS = ("image/avif,image/webp", "image/webp", "")
CONFIG = Config.of(url_dialects=("thumbor", "sih", "query_aliases"), variant_prefix="_v", bucket="images")


def keys(uri: str, query: str, config: Config = CONFIG) -> list[str | None]:
    """The variant key (or None: passed through) per reference Accept, or the error's class and reason."""
    found: list[str | None] = []
    for accept in ACCEPTS:
        target = rewrite(uri, query, accept, config)
        found.append(None if target is None else target.uri)
    return found


def outcome(uri: str, query: str, config: Config = CONFIG) -> object:
    try:
        return keys(uri, query, config)
    except EdgeError as err:
        return (type(err).__name__, err.reason)


def dialect_outcome(uri: str, query: str = "", config: Config = CONFIG) -> object:
    try:
        native_uri, native_query = translate(uri, query, config)
    except EdgeError as err:
        return (type(err).__name__, err.reason)
    return outcome(native_uri, native_query, config)


def sih(request: object) -> str:
    return "/" + base64.b64encode(json.dumps(request).encode()).decode()


# --- thumbor: the forms and SIH's thumbor-mapper cases --------------------------------------------------

THUMBOR = [
    # issue 17
    ("/fit-in/300x200/filters:format(webp):quality(80)/photos/cat.jpg", "w=300&h=200&fit=inside&format=webp&q=80"),
    ("/300x200/smart/photos/cat.jpg", "w=300&h=200&gravity=attention"),
    ("/-300x200/photos/cat.jpg", "w=300&h=200&flop=1"),
    ("/300x-200/photos/cat.jpg", "w=300&h=200&flip=1"),
    ("/-300x-200/photos/cat.jpg", "w=300&h=200&flop=1&flip=1"),
    ("/300x0/filters:grayscale():blur(5)/photos/cat.jpg", "w=300&grayscale=1&blur=3"),
    ("/300x200/left/top/photos/cat.jpg", "w=300&h=200&gravity=northwest"),
    ("/300x200/right/photos/cat.jpg", "w=300&h=200&gravity=east"),
    ("/300x200/bottom/photos/cat.jpg", "w=300&h=200&gravity=south"),
    ("/300x200/center/middle/photos/cat.jpg", "w=300&h=200"),
    ("/fit-in/300x200/filters:fill(000000)/photos/cat.jpg", "w=300&h=200&fit=contain&background=000000"),
    ("/fit-in/300x200/filters:fill(white)/photos/cat.jpg", "w=300&h=200&fit=contain&background=ffffff"),
    ("/fit-in/300x200/filters:fill(transparent)/photos/cat.jpg", "w=300&h=200&fit=contain"),
    ("/300x200/filters:rotate(90)/photos/cat.jpg", "w=300&h=200&rotate=90"),
    ("/300x200/filters:no_upscale()/photos/cat.jpg", "w=300&h=200"),
    ("/300x200/filters:strip_exif():strip_icc()/photos/cat.jpg", "w=300&h=200"),
    ("/unsafe/300x200/photos/cat.jpg", "w=300&h=200"),
    ("/300x200/filters:stretch()/photos/cat.jpg", "w=300&h=200&fit=fill"),
    ("/300x200/filters:sharpen(2,1,true)/photos/cat.jpg", "w=300&h=200&sharpen=1"),
    ("/300x200/filters:background_color(fff)/photos/cat.png", "w=300&h=200&background=ffffff"),
    ("/300x200/filters:autojpg()/photos/cat.png", "w=300&h=200&format=jpeg"),
    # SIH resize.spec.ts
    ("/fit-in/400x300/test-image-001.jpg", "w=400&h=300&fit=inside"),
    ("/400x300/test-image-001.jpg", "w=400&h=300"),
    ("/0x300/test-image-001.jpg", "h=300"),
    ("/400x0/test-image-001.jpg", "w=400"),
    # SIH edits.spec.ts (with a size: imgedge needs w or h)
    ("/300x0/filters:rotate(90):grayscale()/thumbor-image.jpg", "w=300&rotate=90&grayscale=1"),
    ("/300x0/filters:rotate(90)/filters:grayscale()/thumbor-image.jpg", "w=300&rotate=90&grayscale=1"),
    ("/300x0/filters:rotate(90):grayscale()/filters:blur(20)/thumbor-image.jpg", "w=300&rotate=90&grayscale=1&blur=10"),
    # SIH filter.spec.ts
    ("/300x0/filters:blur(60)/a.jpg", "w=300&blur=30"),
    ("/300x0/filters:blur(60,2)/a.jpg", "w=300&blur=2"),
    ("/300x0/filters:format(png)/a.jpg", "w=300&format=png"),
    ("/300x0/filters:format(jpg)/a.jpg", "w=300&format=jpeg"),
    ("/300x0/filters:quality(50)/a.jpg", "w=300&q=50"),
    ("/300x0/filters:quality(50)/filters:format(jpeg)/a.png", "w=300&q=50&format=jpeg"),
    ("/300x400/filters:stretch()/a.jpg", "w=300&h=400&fit=fill"),
    ("/fit-in/400x300/filters:stretch()/a.jpg", "w=400&h=300&fit=inside"),
    ("/fit-in/200x300/filters:grayscale()/test-image-001.jpg", "w=200&h=300&fit=inside&grayscale=1"),
    ("/300x400/filters:no_upscale()/a.jpg", "w=300&h=400"),
]


@pytest.mark.parametrize(("uri", "native"), THUMBOR)
def test_thumbor_form_has_the_key_of_its_native_spelling(uri: str, native: str) -> None:
    original = "/" + uri.rsplit("/", 2)[-1] if "photos/" not in uri else "/photos/" + uri.rsplit("/", 1)[-1]
    expected = outcome(original, native)
    assert isinstance(expected, list)
    assert None not in expected
    assert dialect_outcome(uri) == expected


REFUSED_THUMBOR = [
    ("/10x20:110x120/photos/cat.jpg", "manual crop"),
    ("/10x0:100x200/10x20/test-image-001.jpg", "manual crop"),  # SIH crop.spec.ts
    ("/meta/300x200/photos/cat.jpg", "meta"),
    ("/trim/300x200/photos/cat.jpg", "trim"),
    ("/full-fit-in/300x200/photos/cat.jpg", "full-fit-in"),
    ("/adaptive-fit-in/300x200/photos/cat.jpg", "adaptive-fit-in"),
    ("/origx200/photos/cat.jpg", "orig"),
    ("/300x200/filters:upscale()/photos/cat.jpg", "upscale"),
    ("/300x200/filters:watermark(bucket,key.png,0,0)/photos/cat.jpg", "watermark"),
    ("/fit-in/400x400/filters:watermark(bucket,folder/key.png,0,0)/image.jpg", "watermark"),  # SIH filter.spec.ts
    ("/300x200/filters:proportion(0.3)/photos/cat.jpg", "proportion"),
    ("/300x200/filters:convolution(1;2;1,3)/photos/cat.jpg", "convolution"),
    ("/300x200/filters:equalize()/photos/cat.jpg", "equalize"),
    ("/300x200/filters:rgb(10,10,10)/photos/cat.jpg", "rgb"),
    ("/300x200/filters:animated(false)/photos/cat.jpg", "animated"),
    ("/300x200/filters:focal(1x2:3x4)/photos/cat.jpg", "focal"),
    ("/300x200/filters:round_corner(20,255,255,255)/photos/cat.jpg", "round_corner"),
    ("/300x200/filters:frobnicate()/photos/cat.jpg", "frobnicate"),
    ("/300x200/filters:format(gif)/photos/cat.jpg", "format"),
    ("/300x200/filters:fill(blur)/photos/cat.jpg", "fill"),
    ("/300x200/filters:fill(black):stretch()/photos/cat.jpg", "fill and stretch"),
    ("/300x200/filters:blur(x)/photos/cat.jpg", "blur"),
    ("/300x200/filters:grayscale(1)/photos/cat.jpg", "grayscale"),
    ("/300x200/filters:quality(1):quality(2)/photos/cat.jpg", "quality"),
    ("/300x200/left/smart/photos/cat.jpg", "smart"),
    ("/300x200/filters:rotate(75)/photos/cat.jpg", "rotate"),  # SIH filter.spec.ts: any angle; imgedge: 90s
    ("/300x200/filters:grayscale/photos/cat.jpg", "thumbor filters"),
]


@pytest.mark.parametrize(("uri", "construct"), REFUSED_THUMBOR)
def test_unsupported_thumbor_construct_is_a_400_naming_it(uri: str, construct: str) -> None:
    result = dialect_outcome(uri)
    assert isinstance(result, tuple)
    assert result[0] == "BadRequest"
    assert construct in result[1]


@given(
    st.sampled_from(["", "fit-in/", "300x200/", "-300x0/right/", "x200/smart/"]),
    st.sampled_from([*REFUSED_FILTERS, "upscale"]) | st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
    st.sampled_from(["", "1", "a,b"]),
    st.booleans(),
)
def test_property_unsupported_thumbor_filter_is_a_400_naming_it(
    prefix: str, name: str, argument: str, after: bool
) -> None:
    supported = {"format", "quality", "grayscale", "blur", "rotate", "fill", "stretch", "sharpen", "autojpg"}
    supported |= {"background_color", "no_upscale", "strip_exif", "strip_icc"}
    assume(name not in supported)
    filters = f"filters:{name}({argument})" + (":grayscale()" if after else "")
    result = dialect_outcome(f"/{prefix}{filters}/photos/cat.jpg")
    assert isinstance(result, tuple)
    assert result[0] == "BadRequest"
    assert f"thumbor filter {name} " in result[1]


@pytest.mark.parametrize(
    "uri",
    ["/photos/cat.jpg", "/top/news.jpg", "/smart/cat.jpg", "/meta/cat.jpg", "/unsafe/cat.jpg", "/left/top/a.png"],
)
def test_a_path_without_thumbor_options_is_an_original(uri: str) -> None:
    assert translate(uri, "w=300", CONFIG) == (uri, "w=300")


def test_unsafe_prefix_alone_names_the_original() -> None:
    assert translate("/unsafe/fit-in/photos/cat.jpg", "", CONFIG) == ("/photos/cat.jpg", "")  # SIH resize.spec.ts
    assert translate("/unsafe/x/photos/cat.jpg", "utm=1", CONFIG) == ("/photos/cat.jpg", "utm=1")


def test_variant_keys_are_never_translated() -> None:
    for uri in ("/_v/photos/cat/300x200.avif", "/_v/fit-in/cat/300.jpg"):
        assert translate(uri, "", CONFIG) == (uri, "")


def test_options_out_of_thumbor_order_end_the_options() -> None:
    # filters before the size: the size is then part of the image path (thumbor's own grammar).
    assert translate("/filters:grayscale()/300x200/cat.jpg", "", CONFIG) == ("/300x200/cat.jpg", "grayscale=1")


def test_dialect_url_with_native_image_parameters_is_refused() -> None:
    with pytest.raises(BadRequest, match="no image parameters"):
        translate("/300x200/photos/cat.jpg", "w=100", CONFIG)


def test_other_query_parameters_are_kept_after_the_translation() -> None:
    uri, query = translate("/300x200/photos/cat.jpg", "s=abc&exp=123", CONFIG)
    assert (uri, query) == ("/photos/cat.jpg", "w=300&h=200&s=abc&exp=123")


# --- thumbor: property test with an independent oracle ----------------------------------------------------------

_ALIGN = {"left": "west", "right": "east", "top": "north", "bottom": "south"}


@st.composite
def thumbor_urls(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A supported thumbor URL and the native parameters it means, built separately."""
    segments: list[str] = []
    native: dict[str, str] = {}
    if draw(st.booleans()):
        segments.append("unsafe")
    fit_in = draw(st.booleans())
    if fit_in:
        segments.append("fit-in")
    width = draw(st.sampled_from([0, 1, 100, 300, 640, 4096]))
    height = draw(st.sampled_from([0, 1, 200, 480, 4096]))
    if width == height == 0:
        width = 300
    flop, flip = draw(st.booleans()), draw(st.booleans())
    segments.append(f"{'-' if flop else ''}{width or ''}x{'-' if flip else ''}{height or ''}")
    if width:
        native["w"] = str(width)
    if height:
        native["h"] = str(height)
    if flop:
        native["flop"] = "true"
    if flip:
        native["flip"] = "true"
    crop = draw(st.sampled_from(["", "smart", "align"]))
    if crop == "smart":
        segments.append("smart")
        native["gravity"] = "attention"
    elif crop == "align":
        halign = draw(st.sampled_from(["", "left", "center", "right"]))
        valign = draw(st.sampled_from(["", "top", "middle", "bottom"]))
        segments.extend(a for a in (halign, valign) if a)
        vertical = {"top": "north", "bottom": "south"}.get(valign, "")
        horizontal = {"left": "west", "right": "east"}.get(halign, "")
        if vertical and horizontal:
            native["gravity"] = vertical + horizontal
        elif vertical or horizontal:
            native["gravity"] = vertical or horizontal
    filters: list[str] = []
    fit = "inside" if fit_in else None
    names = [
        "format",
        "quality",
        "grayscale",
        "blur",
        "rotate",
        "fill",
        "stretch",
        "no_upscale",
        "strip_exif",
        "sharpen",
    ]
    for name in draw(st.lists(st.sampled_from(names), unique=True)):
        if name == "format":
            value = draw(st.sampled_from(["webp", "jpeg", "jpg", "png", "avif"]))
            filters.append(f"format({value})")
            native["format"] = "jpeg" if value == "jpg" else value
        elif name == "quality":
            value = str(draw(st.integers(1, 100)))
            filters.append(f"quality({value})")
            native["q"] = value
        elif name == "grayscale":
            filters.append("grayscale()")
            native["grayscale"] = "true"
        elif name == "blur":
            radius = draw(st.integers(1, 150))
            sigma = draw(st.none() | st.integers(1, 150))
            filters.append(f"blur({radius})" if sigma is None else f"blur({radius},{sigma})")
            native["blur"] = str(sigma if sigma is not None else -(-radius // 2))
        elif name == "rotate":
            degrees = draw(st.sampled_from([0, 90, 180, 270]))
            filters.append(f"rotate({degrees})")
            native["rotate"] = str(degrees)
        elif name == "fill" and "stretch" not in [f.split("(")[0] for f in filters]:
            colour = draw(st.sampled_from(["ffffff", "000000", "FFF", "black"]))
            filters.append(f"fill({colour})")
            native["background"] = {"FFF": "ffffff", "black": "000000"}.get(colour, colour)
            fit = "contain"
        elif name == "stretch" and fit != "contain":
            filters.append("stretch()")
            fit = "inside" if fit_in else "fill"
        elif name in ("no_upscale", "strip_exif"):
            filters.append(f"{name}()")
        elif name == "sharpen":
            filters.append("sharpen(1.5,0.5,true)")
            native["sharpen"] = "true"
    if fit is not None:
        native["fit"] = fit
    if filters:
        split = draw(st.integers(0, len(filters)))
        groups = [filters[:split], filters[split:]]
        segments.extend("filters:" + ":".join(group) for group in groups if group)
    return "/" + "/".join([*segments, "photos", "cat.jpg"]), native


@given(thumbor_urls())
def test_property_thumbor_translation_matches_the_native_key(case: tuple[str, dict[str, str]]) -> None:
    uri, native = case
    assert dialect_outcome(uri) == outcome("/photos/cat.jpg", urlencode(native))


# --- SIH base64 JSON ---------------------------------------------------------------------------------------------

SIH_CASES = [
    (
        {"bucket": "images", "key": "photos/cat.jpg",
         "edits": {"resize": {"width": 300, "fit": "cover"}, "grayscale": True, "toFormat": "webp"}},
        "w=300&fit=cover&grayscale=1&format=webp",
    ),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300, "height": 200}}}, "w=300&h=200"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300, "height": 0, "fit": "inside"}}}, "w=300"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300, "height": 200, "fit": "contain",
                                                     "background": {"r": 0, "g": 0, "b": 0, "alpha": 1}}}},
     "w=300&h=200&fit=contain&background=000000"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300, "height": 200, "position": "right top"}}},
     "w=300&h=200&gravity=northeast"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300, "height": 200, "position": "attention"}}},
     "w=300&h=200&gravity=attention"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300, "withoutEnlargement": True}}}, "w=300"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300}, "webp": {"quality": 60}, "toFormat": "webp"}},
     "w=300&q=60&format=webp"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300}, "flip": True, "flop": True, "rotate": 90}},
     "w=300&flip=1&flop=1&rotate=90"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300}, "blur": 2.5, "sharpen": True}},
     "w=300&blur=3&sharpen=1"),
    ({"key": "photos/cat.png", "edits": {"resize": {"width": 300}, "flatten": {"background": "#ffffff"}}},
     "w=300&background=ffffff"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300}, "greyscale": True}, "outputFormat": "png"},
     "w=300&grayscale=1&format=png"),
    ({"key": "photos/cat.jpg", "edits": {"resize": {"width": 300}, "rotate": None, "grayscale": False}}, "w=300"),
]  # fmt: skip


@pytest.mark.parametrize(("request_json", "native"), SIH_CASES)
def test_sih_request_has_the_key_of_its_native_spelling(request_json: dict[str, object], native: str) -> None:
    original = "/" + str(request_json["key"])
    expected = outcome(original, native)
    assert isinstance(expected, list)
    assert None not in expected
    assert dialect_outcome(sih(request_json)) == expected


def test_sih_url_safe_and_unpadded_base64_are_accepted() -> None:
    text = base64.urlsafe_b64encode(json.dumps({"key": "a/b.jpg", "edits": {"resize": {"width": 9}}}).encode())
    assert translate("/" + text.decode().rstrip("="), "", CONFIG) == ("/a/b.jpg", "w=9")


def test_sih_without_edits_names_the_original() -> None:
    assert translate(sih({"key": "photos/my cat.jpg"}), "", CONFIG) == ("/photos/my%20cat.jpg", "")


REFUSED_SIH = [
    ({"key": "a.jpg", "edits": {"smartCrop": {"faceIndex": 0}}}, "smartCrop"),
    ({"key": "a.jpg", "edits": {"overlayWith": {"bucket": "images", "key": "logo.png"}}}, "overlayWith"),
    ({"key": "a.jpg", "edits": {"roundCrop": True}}, "roundCrop"),
    ({"key": "a.jpg", "edits": {"crop": {"left": 0, "top": 0, "width": 1, "height": 1}}}, "crop"),
    ({"key": "a.jpg", "edits": {"tint": {"r": 1, "g": 1, "b": 1}}}, "tint"),
    ({"key": "a.jpg", "edits": {"normalize": True}}, "normalize"),
    ({"key": "a.jpg", "edits": {"resize": {"width": 9, "kernel": "nearest"}}}, "resize.kernel"),
    ({"key": "a.jpg", "edits": {"resize": {"width": 9, "withoutEnlargement": False}}}, "withoutEnlargement"),
    ({"key": "a.jpg", "edits": {"resize": {"width": "9"}}}, "resize.width"),
    ({"key": "a.jpg", "edits": {"resize": {"width": 9, "position": "somewhere"}}}, "resize.position"),
    ({"key": "a.jpg", "edits": {"resize": {"width": 9}, "jpeg": {"quality": 50, "progressive": True}}}, "jpeg"),
    ({"key": "a.jpg", "edits": {"blur": True}}, "blur"),
    ({"key": "a.jpg", "headers": {"Cache-Control": "x"}}, "headers"),
    ({"bucket": "images"}, "key"),
    ({"key": "a.jpg", "edits": {"resize": {"width": 9}, "toFormat": "gif"}}, "format"),
]


@pytest.mark.parametrize(("request_json", "construct"), REFUSED_SIH)
def test_unsupported_sih_construct_is_a_400_naming_it(request_json: dict[str, object], construct: str) -> None:
    result = dialect_outcome(sih(request_json))
    assert isinstance(result, tuple)
    assert result[0] == "BadRequest"
    assert construct in result[1]


@pytest.mark.parametrize("path", ["/eyJrZXkiOiB9", "/eyJrZXkiOiJhLmpwZyJ9XX19", "/eyAgfQ"])
def test_malformed_sih_request_is_a_400(path: str) -> None:
    with pytest.raises(BadRequest, match="SIH"):
        translate(path, "", CONFIG)


@pytest.mark.parametrize("path", ["/eyes", "/eyeball/x", "/eyJ", "/eyJub3QganNvbg"])
def test_a_path_that_is_not_base64_json_is_not_a_sih_request(path: str) -> None:
    assert translate(path, "", CONFIG) == (path, "")


def test_sih_bucket_outside_the_origins_is_a_403() -> None:
    with pytest.raises(Forbidden, match="bucket"):
        translate(sih({"bucket": "someone-else", "key": "a.jpg"}), "", CONFIG)
    without_bucket = Config.of(url_dialects=("sih",))  # bucket from the event: a named bucket cannot be checked
    with pytest.raises(Forbidden):
        translate(sih({"bucket": "images", "key": "a.jpg"}), "", without_bucket)


def test_sih_bucket_follows_the_origins_prefixes() -> None:
    config = Config.of(url_dialects=("sih",), bucket="images", origins=(Origin("avatars/", "faces", "eu-west-1"),))
    assert translate(sih({"bucket": "faces", "key": "avatars/a.jpg"}), "", config)[0] == "/avatars/a.jpg"
    with pytest.raises(Forbidden):
        translate(sih({"bucket": "images", "key": "avatars/a.jpg"}), "", config)
    with pytest.raises(Forbidden):
        translate(sih({"bucket": "faces", "key": "photos/a.jpg"}), "", config)


@given(
    st.sampled_from([None, 1, 300, 4096]),
    st.sampled_from([None, 0, 200, 4096]),
    st.sampled_from([None, "cover", "contain", "fill", "inside", "outside"]),
    st.sampled_from([None, "webp", "jpeg", "png", "avif"]),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, 0, 90, 180, 270]),
)
def test_property_sih_translation_matches_the_native_key(
    width: int | None,
    height: int | None,
    fit: str | None,
    fmt: str | None,
    grayscale: bool,
    flop: bool,
    rotate: int | None,
) -> None:
    resize: dict[str, object] = {}
    native: dict[str, str] = {}
    if width is not None:
        resize["width"] = width
        native["w"] = str(width)
    if height is not None:
        resize["height"] = height
        if height:
            native["h"] = str(height)
    if fit is not None:
        resize["fit"] = fit
        native["fit"] = fit
    edits: dict[str, object] = {"resize": resize, "grayscale": grayscale, "flop": flop, "rotate": rotate}
    if fmt is not None:
        edits["toFormat"] = fmt
        native["format"] = fmt
    native.update({"grayscale": "true"} if grayscale else {})
    native.update({"flop": "true"} if flop else {})
    native.update({"rotate": str(rotate)} if rotate else {})
    expected = outcome("/photos/cat.jpg", urlencode(native))
    assert dialect_outcome(sih({"key": "photos/cat.jpg", "edits": edits})) == expected


# --- query aliases -------------------------------------------------------------------------------------------------


@given(
    st.sampled_from([None, "0", "1", "300", "5000", "abc"]),
    st.sampled_from([None, "0", "200"]),
    st.sampled_from([None, "50", "101"]),
    st.sampled_from([None, "true", "false", "yes"]),
    st.sampled_from([None, "webp", "jpg"]),
    st.sampled_from([None, "contain"]),
)
def test_property_query_aliases_match_the_native_key(
    width: str | None, height: str | None, quality: str | None, grey: str | None, fmt: str | None, fit: str | None
) -> None:
    alias = {"width": width, "height": height, "quality": quality, "greyscale": grey, "format": fmt, "fit": fit}
    native = {"w": width, "h": height, "q": quality, "grayscale": grey, "format": fmt, "fit": fit}
    alias_query = urlencode({k: v for k, v in alias.items() if v is not None} | {"utm_source": "x"})
    native = {k: v for k, v in native.items() if v is not None and not (k in "wh" and v == "0")}
    assert dialect_outcome("/photos/cat.jpg", alias_query) == outcome("/photos/cat.jpg", urlencode(native))


def test_alias_and_native_spelling_together_are_a_repeated_parameter() -> None:
    assert dialect_outcome("/photos/cat.jpg", "width=300&w=300") == ("BadRequest", "parameter w given more than once")


# --- guards apply to the translation ------------------------------------------------------------------------------


def test_guards_apply_to_the_translated_options() -> None:
    strict = Config.of(url_dialects=("thumbor", "query_aliases"), variant_prefix="_v", allowed_parameters=("w", "h"))
    assert dialect_outcome("/300x0/filters:grayscale()/a.jpg", config=strict) == (
        "BadRequest",
        "parameter grayscale is not enabled",
    )
    presets = Config.of(url_dialects=("thumbor",), variant_prefix="_v", presets_only=True, presets={"s": {"w": "300"}})
    assert dialect_outcome("/300x0/a.jpg", config=presets) == (
        "BadRequest",
        "only presets are allowed: use preset=NAME",
    )
    assert dialect_outcome("/5000x0/a.jpg") == ("BadRequest", "w must be at most 4096")
    refused = ("BadRequest", "background 123456 is not an allowed colour")
    assert dialect_outcome("/300x0/filters:fill(123456)/a.jpg") == refused


# --- configuration -------------------------------------------------------------------------------------------------


def test_dialects_are_off_by_default() -> None:
    config = Config()
    assert config.url.url_dialects == ()
    assert translate("/300x200/photos/cat.jpg", "width=3", config) == ("/300x200/photos/cat.jpg", "width=3")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["thumbor", "nope"], "unknown dialect 'nope'"),
        (["sih", "sih"], "listed twice"),
        (["thumbor"], "thumbor needs variant_prefix"),
        ("sih", "invalid value"),
    ],
)
def test_bad_url_dialects_name_the_key(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match="url_dialects") as raised:
        Config.from_mapping({"url_dialects": value})
    assert message in str(raised.value)


def test_url_dialects_round_trip_through_json() -> None:
    assert Config.from_mapping(json.loads(CONFIG.to_json())) == CONFIG
