"""edge.rewrite: the whole viewer-request decision, from URI, query and Accept to one canonical variant key."""

import random as random_module

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from edge.config import Config, SignatureMode, SizePolicy
from edge.errors import BadRequest, Forbidden
from edge.keys import VariantKey, decode_key
from edge.options import Fit, FormatChoice, OutputFormat, RenderSpec
from edge.paths import MAX_URL_LENGTH, validate_original_path
from edge.rewrite import Rewrite, rewrite

CONFIG = Config()
AVIF_BROWSER = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
WEBP_BROWSER = "image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
CURL = "*/*"


def _uri(uri: str, query: str, accept: str = AVIF_BROWSER, config: Config = CONFIG) -> str:
    result = rewrite(uri, query, accept, config)
    assert result is not None
    return result.uri


# The issue's examples, exactly.
@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("w=300", "/300/image.avif"),
        ("w=300&h=200", "/300x200/image.avif"),
        ("w=300&q=60&fit=contain&h=300", "/300x300-contain-q60/image.avif"),
    ],
)
def test_issue_examples(query: str, key: str) -> None:
    assert _uri("/image.png", query) == key


def test_the_documented_request_walk_through() -> None:
    result = rewrite("/photos/cat.png", "w=300&utm_source=x", AVIF_BROWSER, CONFIG)
    assert result == Rewrite(
        uri="/300/photos/cat.avif",
        original="/photos/cat.png",
        variant=VariantKey(RenderSpec(300, None, Fit.INSIDE, OutputFormat.AVIF, 50), "photos/cat"),
    )


def test_no_imgedge_parameters_pass_through() -> None:
    assert rewrite("/photos/cat.png", "", AVIF_BROWSER, CONFIG) is None
    assert rewrite("/photos/cat.png", "utm_source=x", AVIF_BROWSER, CONFIG) is None
    # The path is not judged when nothing is rewritten: the original (or S3's 404) is served as it is.
    assert rewrite("/index.html", "ref=home", AVIF_BROWSER, CONFIG) is None


@pytest.mark.parametrize(
    ("accept", "source", "key"),
    [
        (AVIF_BROWSER, "/a.jpg", "/300/a.avif"),
        (WEBP_BROWSER, "/a.jpg", "/300/a.webp"),
        (CURL, "/a.jpg", "/300/a.jpg"),
        (CURL, "/a.png", "/300/a.png"),
        (CURL, "/a.gif", "/300/a.png"),
        (CURL, "/a.tiff", "/300/a.jpg"),
        ("image/avif;q=0,image/webp", "/a.jpg", "/300/a.webp"),
        ("", "/a.GIF", "/300/a.png"),
    ],
)
def test_format_auto(accept: str, source: str, key: str) -> None:
    assert _uri(source, "w=300", accept) == key


def test_png_output_carries_no_quality() -> None:
    result = rewrite("/a.png", "w=300&q=60", CURL, CONFIG)
    assert result is not None
    assert result.uri == "/300/a.png"
    assert result.variant.spec.quality is None


def test_configured_default_format_replaces_auto() -> None:
    config = Config.of(default_format=FormatChoice.WEBP)
    assert _uri("/a.jpg", "w=300", AVIF_BROWSER, config) == "/300/a.webp"
    assert _uri("/a.jpg", "w=300&format=auto", AVIF_BROWSER, config) == "/300/a.avif"


# Canonical form: every spelling of one rendering gives one key.
@pytest.mark.parametrize(
    ("uri", "queries", "key"),
    [
        (
            "/image.png",
            [
                "w=300",
                "w=300&utm_source=x",
                "utm_source=x&w=300&fbclid=abc",
                "w=300&q=50",
                "w=300&q=45",
                "w=300&format=auto",
                "w=300&format=avif",
                "w=300&fit=inside",
                "w=300&fit=contain",
                "w=290",
                "%77=300",
                "w=0300",
            ],
            "/300/image.avif",
        ),
        (
            "/image.png",
            ["w=300&h=200", "h=200&w=300", "w=300&h=200&fit=cover", "fit=cover&h=200&w=300&q=50"],
            "/300x200/image.avif",
        ),
        (
            "/image.png",
            [
                "w=300&q=60&fit=contain&h=300",
                "h=300&w=300&fit=contain&q=60",
                "w=300&h=300&fit=contain&q=55",
                "w=300&h=300&fit=contain&q=60&format=avif&utm_medium=mail",
            ],
            "/300x300-contain-q60/image.avif",
        ),
        (
            "/image.png",
            ["w=300&format=jpg", "w=300&format=jpeg", "w=300&format=jpeg&q=80", "format=jpg&q=71&w=300"],
            "/300/image.jpg",
        ),
        ("/image.png", ["h=200&format=png", "h=200&format=png&q=10", "h=199&format=png&fit=fill"], "/x200/image.png"),
    ],
)
def test_every_spelling_of_one_rendering_gives_one_key(uri: str, queries: list[str], key: str) -> None:
    for query in queries:
        assert _uri(uri, query) == key, query


def test_path_spellings_of_one_original_give_one_key() -> None:
    keys = {_uri(uri, "w=300") for uri in ["/café.png", "/caf%C3%A9.png", "/caf%c3%a9.png", "/caf%C3%A9.PNG"]}
    assert keys == {"/300/caf%C3%A9.avif"}


def test_originals_differing_only_by_extension_share_their_variants() -> None:
    assert _uri("/a/b.jpg", "w=300") == _uri("/a/b.png", "w=300") == _uri("/a/b.JPEG", "w=300") == "/300/a/b.avif"


def test_rewrite_reports_the_canonical_original() -> None:
    result = rewrite("/caf%c3%a9/x.JPG", "w=300", AVIF_BROWSER, CONFIG)
    assert result is not None
    assert result.original == "/caf%C3%A9/x.JPG"


def test_width_and_height_snap_independently() -> None:
    assert _uri("/a.jpg", "w=301&h=299&fit=fill") == "/320x300-fill/a.avif"
    assert _uri("/a.jpg", "w=4000") == "/3840/a.avif"


def test_strict_and_any_policies() -> None:
    strict = Config.of(size_policy=SizePolicy.STRICT)
    assert _uri("/a.jpg", "w=300", config=strict) == "/300/a.avif"
    with pytest.raises(BadRequest, match="not an allowed size"):
        rewrite("/a.jpg", "w=301", AVIF_BROWSER, strict)
    anything = Config.of(size_policy=SizePolicy.ANY)
    assert _uri("/a.jpg", "w=301", config=anything) == "/301/a.avif"


# Every 400 case of the issue: a BadRequest with a one-line reason.
@pytest.mark.parametrize(
    ("uri", "query"),
    [
        ("/image.png", "w=abc"),
        ("/image.png", "w=0"),
        ("/image.png", "w=1000000000"),
        ("/image.png", "w=5000"),
        ("/image.png", "h=4097"),
        ("/image.png", "w=300&q=101"),
        ("/image.png", "w=300&format=gif"),
        ("/image.png", "w=300&format=heic"),
        ("/image.png", "w=300&fit=x"),
        ("/image.png", "q=60"),
        ("/image.png", "fit=contain"),
        ("/../x.png", "w=300"),
        ("/a/%2e%2e/x.png", "w=300"),
        ("/a/%2E%2E/x.png", "w=300"),
        ("/a/./x.png", "w=300"),
        ("/a//x.png", "w=300"),
        ("/a/x%00.png", "w=300"),
        ("/a%ff.png", "w=300"),
        ("/..png", "w=300"),
        ("/x/..png", "w=300"),
        ("/image.svg", "w=300"),
        ("/image", "w=300"),
        ("/" + "a" * 8200 + ".png", "w=300"),
        ("/image.png", "w=300&pad=" + "x" * 8200),
        ("/" + "a" * 1000 + ".png", "w=300"),
        ("/image.png", "w=300&w=400"),
    ],
)
def test_each_invalid_request_is_a_one_line_bad_request(uri: str, query: str) -> None:
    with pytest.raises(BadRequest) as caught:
        rewrite(uri, query, AVIF_BROWSER, CONFIG)
    assert caught.value.status == 400
    assert caught.value.reason
    assert "\n" not in caught.value.reason
    assert len(caught.value.reason) <= 200


def test_over_long_urls_are_refused_at_cloudfronts_limit() -> None:
    query = "w=300"
    room = MAX_URL_LENGTH - 1 - len(query)  # "uri?query" must stay under 8,192 characters
    with pytest.raises(BadRequest, match=r"^URL too long$"):
        rewrite("/" + "a" * (room - 1), query, AVIF_BROWSER, CONFIG)
    with pytest.raises(BadRequest, match=r"^URL too long$"):
        rewrite("/image.png", "x" * MAX_URL_LENGTH, AVIF_BROWSER, CONFIG)
    # One shorter is judged on its merits (here: the key is over the S3-derived length limit).
    with pytest.raises(BadRequest, match=r"^path too long$"):
        rewrite("/" + "a" * (room - 6) + ".png", query, AVIF_BROWSER, CONFIG)


_URI_PIECES = st.sampled_from(
    [
        "/",
        "a",
        "b",
        ".",
        "..",
        "%2e",
        "%2E",
        "%2f",
        "%2F",
        "%",
        "%ff",
        "%00",
        "\\",
        ".png",
        ".jpg",
        ".PNG",
        ".gif",
        "é",
        "%C3%A9",
        " ",
        "?",
        "#",
        "x.png",
    ]
)
_URIS = st.one_of(
    st.text(max_size=40),
    st.lists(_URI_PIECES, max_size=12).map("".join),
    st.lists(_URI_PIECES, max_size=12).map(lambda pieces: "/" + "".join(pieces)),
)
_QUERIES = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.tuples(
            st.sampled_from(["w", "h", "fit", "q", "format", "utm"]),
            st.sampled_from(["300", "200", "0", "5000", "contain", "cover", "jpg", "avif", "png", "60", "x", "%ff"]),
        ),
        max_size=5,
    ).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
)
_ACCEPTS = st.one_of(st.sampled_from([AVIF_BROWSER, WEBP_BROWSER, CURL, "", "image/avif;q=0"]), st.text(max_size=30))


@given(_URIS, _QUERIES, _ACCEPTS)
@example("/a/..png", "w=300", "")
@example("/..png", "w=300", "")
@example("/a/%2e%2e/x.png", "w=300", "")
def test_rewrite_returns_none_a_decodable_key_in_the_same_folder_or_bad_request(
    uri: str, query: str, accept: str
) -> None:
    try:
        result = rewrite(uri, query, accept, CONFIG)
    except BadRequest as err:
        error: BadRequest | None = err
    else:
        error = None
    if error is not None:
        assert error.status == 400
        assert "\n" not in error.reason
        return
    if result is None:
        return
    decoded = decode_key(result.uri, CONFIG)
    assert decoded == result.variant
    original = validate_original_path(result.original, CONFIG.sources.source_extensions)
    assert original == validate_original_path(uri, CONFIG.sources.source_extensions)
    assert decoded.stem == original.stem
    assert decoded.stem.rpartition("/")[0] == original.key.rpartition("/")[0]
    assert ".." not in decoded.stem.split("/")
    assert "." not in decoded.stem.split("/")
    assert result.uri.split("/", 2)[2].startswith(result.original[1:].rsplit(".", 1)[0])


@given(
    st.sampled_from(["/a.png", "/dir/b.jpg", "/c.gif"]),
    st.lists(
        st.tuples(st.sampled_from(["w", "h", "fit", "q", "format"]), st.sampled_from(["300", "200", "contain", "60"])),
        max_size=5,
        unique_by=lambda pair: pair[0],
    ),
    st.lists(st.sampled_from(["utm_source=x", "fbclid=1", "ref=", "x"]), max_size=3),
    st.randoms(use_true_random=False),
)
def test_order_and_unknown_parameters_never_change_the_answer(
    uri: str, pairs: list[tuple[str, str]], junk: list[str], random: random_module.Random
) -> None:
    params = [f"{k}={v}" for k, v in pairs]
    shuffled = params + junk
    random.shuffle(shuffled)

    def answer(query: str) -> str | None:
        try:
            result = rewrite(uri, query, AVIF_BROWSER, CONFIG)
        except BadRequest as err:
            return f"400 {err.reason}"
        return None if result is None else result.uri

    assert answer("&".join(shuffled)) == answer("&".join(params))


# --- a watermark: an original is never served unrendered ----------------------------------------------------------
MARKED = Config.of(watermark="brand/logo.png")


@pytest.mark.parametrize("query", ["", "utm_source=x", "s=abc&fbclid=1"])
@pytest.mark.parametrize(
    ("uri", "accept", "key"),
    [
        ("/photos/cat.jpg", AVIF_BROWSER, "/1280x1280-inside/photos/cat.avif"),
        ("/photos/cat.JPG", CURL, "/1280x1280-inside/photos/cat.jpg"),
        ("/cat.png", WEBP_BROWSER, "/1280x1280-inside/cat.webp"),
    ],
)
def test_a_bare_original_becomes_the_default_rendition(uri: str, accept: str, key: str, query: str) -> None:
    result = rewrite(uri, query, accept, MARKED)
    assert result is not None
    assert result.uri == key
    # The same key as the URL that spells the rendition out: cached and stored as that variant.
    assert result.uri == _uri(uri, "w=1280&h=1280&fit=inside", accept, MARKED)
    assert result.original == uri


def test_the_default_rendition_is_configurable_and_may_be_a_preset() -> None:
    config = Config.of(watermark="logo.png", watermark_rendition="w=640&format=jpeg")
    assert _uri("/a/b.png", "", CURL, config) == "/640/a/b.jpg"
    config = Config.of(
        watermark="logo.png", presets={"large": {"w": "1600", "h": "1200"}}, presets_only=True,
        watermark_rendition="preset=large",
    )  # fmt: skip
    assert _uri("/a/b.png", "", AVIF_BROWSER, config) == "/1600x1200/a/b.avif"


def test_deny_refuses_a_bare_original_with_a_403() -> None:
    config = Config.of(watermark="logo.png", watermark_passthrough="deny")
    with pytest.raises(Forbidden) as caught:
        rewrite("/photos/cat.jpg", "", AVIF_BROWSER, config)
    assert caught.value.status == 403
    # Image requests are unchanged.
    assert _uri("/photos/cat.jpg", "w=300", AVIF_BROWSER, config) == "/300/photos/cat.avif"


@pytest.mark.parametrize("passthrough", ["rendition", "deny"])
def test_variant_keys_and_non_images_are_served_as_they_are(passthrough: str) -> None:
    config = Config.of(watermark="logo.png", watermark_passthrough=passthrough)
    # A stored variant (or the target of origin-response's redirect): rendered with the watermark already.
    assert rewrite("/300/photos/cat.avif", "", AVIF_BROWSER, config) is None
    assert rewrite("/1280x1280-inside/photos/cat.jpg", "", AVIF_BROWSER, config) is None
    # Not an original at all.
    assert rewrite("/index.html", "", AVIF_BROWSER, config) is None
    assert rewrite("/robots.txt", "x=1", AVIF_BROWSER, config) is None
    assert rewrite("/photos/", "", AVIF_BROWSER, config) is None


def test_an_invalid_path_to_an_image_is_a_400_not_the_original() -> None:
    for uri in ("/photos//cat.jpg", "/photos/../cat.jpg", "/photos/%ZZcat.jpg"):
        with pytest.raises(BadRequest):
            rewrite(uri, "", AVIF_BROWSER, MARKED)


# --- what a signature must cover ---------------------------------------------------------------------------------


def test_the_rewrite_says_whether_a_signature_is_needed_and_which_keys_it_covers() -> None:
    required = Config.of(signature_mode=SignatureMode.REQUIRED, signature_secret_id="s")
    outside = Config.of(
        signature_mode=SignatureMode.OUTSIDE_PRESETS, signature_secret_id="s", presets={"thumb": {"w": "200"}}
    )
    negotiated = rewrite("/photos/cat.jpg", "w=300", "image/webp", required)
    assert negotiated is not None
    # Spelled out by hand: the keys an AVIF browser, a WebP browser and one without preference get.
    assert negotiated.signed_keys == ("/300/photos/cat.avif", "/300/photos/cat.webp", "/300/photos/cat.jpg")
    fixed = rewrite("/photos/cat.jpg", "w=300&format=png", "image/avif", required)
    assert fixed is not None
    assert fixed.signed_keys == ("/300/photos/cat.png",)
    preset = rewrite("/photos/cat.jpg", "preset=thumb", "", outside)
    assert preset is not None
    assert preset.signed_keys is None
    spelled = rewrite("/photos/cat.jpg", "w=200", "", outside)
    assert spelled is not None
    assert spelled.signed_keys is not None
    unsigned = rewrite("/photos/cat.jpg", "w=300", "", Config())
    assert unsigned is not None
    assert unsigned.signed_keys is None
    forced = rewrite("/photos/cat.jpg", "w=300", "", Config(), for_signing=True)
    assert forced is not None
    assert forced.signed_keys == negotiated.signed_keys


def test_a_bare_original_under_a_watermark_needs_a_signature_even_when_its_rendition_is_a_preset() -> None:
    config = Config.of(
        signature_mode=SignatureMode.OUTSIDE_PRESETS,
        signature_secret_id="s",
        presets={"big": {"w": "1280"}},
        watermark="brand/logo.png",
        watermark_rendition="preset=big",
    )
    bare = rewrite("/photos/cat.jpg", "", "", config)
    assert bare is not None
    assert bare.signed_keys is not None  # the URL has no preset: the viewer's query is what the mode looks at
    asked = rewrite("/photos/cat.jpg", "preset=big", "", config)
    assert asked is not None
    assert (asked.uri, asked.signed_keys) == (bare.uri, None)


def test_anim_0_is_kept_only_where_the_format_animates() -> None:
    avif = rewrite("/anim/spin.gif", "w=300&anim=0", "image/avif,image/webp", Config())
    assert avif is not None
    assert avif.uri == "/300-still/anim/spin.avif"
    jpeg = rewrite("/anim/spin.gif", "w=300&anim=false&format=jpeg", "", Config())
    assert jpeg is not None
    assert jpeg.uri == "/300/anim/spin.jpg"  # one frame anyway: the same key as without anim
    default = rewrite("/anim/spin.gif", "w=300&anim=1", "image/webp", Config())
    assert default is not None
    assert default.uri == "/300/anim/spin.webp"
    with pytest.raises(BadRequest, match="anim must be 1, true, 0 or false"):
        rewrite("/anim/spin.gif", "w=300&anim=no", "", Config())
