"""The real viewer-request handler on documented CloudFront events."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from edge.config import Config
from edge.marker import MARKER_HEADER
from tests.conftest import DEFAULT_CONFIG, ConfigSetter, Handlers, config_with, load_event, viewer_event
from viewer_request.handler import handler as viewer_entry_point

CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
SAFARI_15_ACCEPT = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"

Run = Callable[..., dict[str, Any]]


@pytest.fixture
def runner(handlers: Handlers) -> Callable[[Config], Run]:
    """``runner(config)``: ``run(uri, query, accept=..., headers=...)`` through the handler of ``config``, on the
    documented event with that URI and query."""

    def bind(config: Config) -> Run:
        handle = handlers.viewer(config)
        return lambda uri, query="", **kwargs: handle(viewer_event(uri, query, **kwargs), None)

    return bind


@pytest.fixture
def run(runner: Callable[[Config], Run]) -> Run:
    """``run`` through the handler of the default configuration."""
    return runner(DEFAULT_CONFIG)


@pytest.mark.parametrize(
    ("uri", "query", "accept", "key"),
    [
        ("/image.png", "w=300", CHROME_ACCEPT, "/300/image.avif"),
        ("/image.png", "w=300&h=200", CHROME_ACCEPT, "/300x200/image.avif"),
        ("/image.png", "w=300&q=60&fit=contain&h=300", CHROME_ACCEPT, "/300x300-contain-q60/image.avif"),
        ("/photos/cat.png", "w=300&utm_source=x", CHROME_ACCEPT, "/300/photos/cat.avif"),
        ("/photos/cat.png", "w=300", SAFARI_15_ACCEPT, "/300/photos/cat.webp"),
        ("/photos/cat.png", "w=300", "*/*", "/300/photos/cat.png"),
        ("/photos/cat.jpg", "w=300", "*/*", "/300/photos/cat.jpg"),
        ("/photos/cat.gif", "h=200", "*/*", "/x200/photos/cat.png"),
        ("/photos/cat.jpg", "w=300&format=jpeg&q=80", CHROME_ACCEPT, "/300/photos/cat.jpg"),
        ("/photos/cat.jpg", "w=310", CHROME_ACCEPT, "/320/photos/cat.avif"),
        ("/photos/my%20cat.JPG", "w=300", CHROME_ACCEPT, "/300/photos/my%20cat.avif"),
        ("/photos/caf%c3%a9.jpg", "w=300", CHROME_ACCEPT, "/300/photos/caf%C3%A9.avif"),
    ],
)
def test_rewrites_to_the_canonical_variant_key(run: Run, uri: str, query: str, accept: str, key: str) -> None:
    request = run(uri, query, accept=accept)
    assert request["uri"] == key
    assert request["querystring"] == ""
    marker = uri.replace("%c3%a9", "%C3%A9") + "?" + query
    assert request["headers"][MARKER_HEADER] == [{"key": MARKER_HEADER, "value": marker}]
    # Everything else of the request is left as CloudFront sent it.
    assert request["headers"]["host"] == viewer_event(uri)["Records"][0]["cf"]["request"]["headers"]["host"]
    assert request["method"] == "GET"


def test_equivalent_urls_share_one_key(run: Run) -> None:
    spellings = [
        "w=300&h=200",
        "h=200&w=300",
        "w=300&h=200&fit=cover",
        "w=300&h=200&q=50",
        "w=300&h=200&format=auto&utm_source=newsletter",
        "w=0300&h=200&fbclid=abc",
    ]
    keys = {run("/a/b.png", query)["uri"] for query in spellings}
    assert keys == {"/300x200/a/b.avif"}
    assert run("/a/b.jpg", "w=300&format=jpg")["uri"] == run("/a/b.jpg", "w=300&format=jpeg")["uri"]


def test_request_without_imgedge_parameters_passes_through_untouched(handlers: Handlers) -> None:
    event = viewer_event("/photos/cat.png", "utm_source=x")
    request = handlers.viewer()(event, None)
    assert request == load_event("viewer-request")["Records"][0]["cf"]["request"] | {
        "uri": "/photos/cat.png",
        "querystring": "utm_source=x",
    }


def test_documented_curl_event_passes_through(handlers: Handlers) -> None:
    event = load_event("viewer-request-curl")
    assert handlers.viewer()(event, None) == load_event("viewer-request-curl")["Records"][0]["cf"]["request"]


@pytest.mark.parametrize("query", ["", "w=300"])
def test_marker_sent_by_the_viewer_is_always_removed(run: Run, query: str) -> None:
    request = run("/photos/cat.png", query, headers={"X-Imgedge-Original": "/secret/other.png"})
    values = [entry["value"] for entry in request["headers"].get(MARKER_HEADER, [])]
    assert "/secret/other.png" not in values
    assert values == (["/photos/cat.png?w=300"] if query else [])


@pytest.mark.parametrize(
    ("uri", "query", "reason"),
    [
        ("/a.png", "w=abc", "w must be a positive integer"),
        ("/a.png", "w=0", "w must be a positive integer"),
        ("/a.png", "w=1000000000", "w is too large"),
        ("/a.png", "w=5000", "w must be at most 4096"),
        ("/a.png", "w=-5", "w must be a positive integer"),
        ("/a.png", "w=3.5", "w must be a positive integer"),
        ("/a.png", "w=", "w is empty"),
        ("/a.png", "w=300&w=400", "parameter w given more than once"),
        ("/a.png", "w=300&q=101", "q must be from 1 to 100"),
        ("/a.png", "w=300&format=gif", "format must be one of auto|avif|webp|jpeg|png"),
        ("/a.png", "w=300&fit=x", "fit must be one of cover|contain|fill|inside|outside"),
        ("/a.png", "q=50", "w or h is required"),
        ("/a.png", "fit=cover", "w or h is required"),
        ("/../etc/passwd.png", "w=300", "path contains an empty, '.' or '..' segment"),
        ("/a/%2e%2e/b.png", "w=300", "path contains an empty, '.' or '..' segment"),
        ("/a//b.png", "w=300", "path contains an empty, '.' or '..' segment"),
        ("/a%00b.png", "w=300", "path contains forbidden characters"),
        ("/a%0d%0ab.png", "w=300", "path contains forbidden characters"),
        ("/a%ffb.png", "w=300", "path is not valid UTF-8"),
        ("/a%zzb.png", "w=300", "malformed percent-encoding in path"),
        ("/notes.txt", "w=300", "path must end in an image extension"),
        ("/" + "a" * 8200 + ".png", "w=300", "URL too long"),
        ("/" + "a" * 1000 + ".png", "w=300", "path too long"),
    ],
)
def test_invalid_input_gets_a_400_with_a_one_line_reason(run: Run, uri: str, query: str, reason: str) -> None:
    response = run(uri, query)
    assert response["status"] == "400"
    assert response["headers"]["content-type"][0]["value"] == "text/plain; charset=utf-8"
    assert response["headers"]["cache-control"][0]["value"] == "public, max-age=60"
    body = response["body"]
    assert body.startswith(reason)
    assert body.endswith("\n")
    assert body.count("\n") == 1


def test_strict_policy_refuses_sizes_outside_the_list(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(size_policy="strict", sizes=[100, 200]))
    assert run("/a.png", "w=200")["uri"] == "/200/a.avif"
    response = run("/a.png", "w=150")
    assert response["status"] == "400"
    assert response["body"] == "w=150 is not an allowed size\n"


def test_any_policy_keeps_the_size_up_to_the_maximum(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(size_policy="any", max_dimension=2000, sizes=[100]))
    assert run("/a.png", "w=1234&h=77")["uri"] == "/1234x77/a.avif"
    assert run("/a.png", "w=2001")["status"] == "400"


def test_snap_policy_caps_at_the_largest_size(run: Run) -> None:
    assert run("/a.png", "w=4000")["uri"] == "/3840/a.avif"


def test_default_format_from_configuration(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(default_format="webp"))
    assert run("/a.png", "w=300")["uri"] == "/300/a.webp"
    assert run("/a.png", "w=300&format=auto")["uri"] == "/300/a.avif"


def test_the_lambda_entry_point_logs_one_json_line(
    bundled_config: ConfigSetter, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through ``handler``, the function Lambda runs (the bundled configuration, here the defaults; stdout)."""
    viewer_entry_point(viewer_event("/photos/cat.png", "w=300"), None)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["fn"] == "viewer-request"
    assert record["key"] == "/300/photos/cat.avif"
    assert record["action"] == "rewrite"
    assert isinstance(record["us"], int)


# --- the extended URL API: presets, dpr, crop position, background, filters ----------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("w=300&h=200&gravity=northwest", "/300x200-northwest/a.avif"),
        ("w=300&h=200&gravity=center", "/300x200/a.avif"),
        ("w=300&h=200&focus=0.31,0.69", "/300x200-fp30x70/a.avif"),
        ("w=300&h=200&focus=0.5,0", "/300x200-north/a.avif"),
        ("w=300&gravity=north", "/300/a.avif"),
        ("w=300&h=200&fit=contain&gravity=north", "/300x200-contain/a.avif"),
        ("w=300&h=200&gravity=attention&format=jpeg", "/300x200-attention/a.jpg"),
        ("w=150&dpr=2", "/300/a.avif"),
        ("w=150&h=100&dpr=1.2", "/256x150/a.avif"),
        ("w=3000&dpr=3", "/3840/a.avif"),
        ("w=300&h=300&fit=contain&background=%23000", "/300x300-contain-bg000000/a.avif"),
        ("w=300&background=FFFFFF&format=jpg", "/300/a.jpg"),
        ("w=300&grayscale=1&blur=4&sharpen=true&rotate=90&flop=1", "/300-gray-blur5-sharpen-r90-flop/a.avif"),
        ("w=300&flip=1", "/300-r180-flop/a.avif"),
        ("w=300&rotate=180&flip=1&flop=1", "/300/a.avif"),
        ("w=300&blur=0&grayscale=0", "/300/a.avif"),
    ],
)
def test_extended_parameters_rewrite_to_canonical_keys(run: Run, query: str, key: str) -> None:
    assert run("/a.png", query, accept=CHROME_ACCEPT)["uri"] == key


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("w=300&dpr=5", "dpr must be from 1 to 4"),
        ("w=300&dpr=0.5", "dpr must be from 1 to 4"),
        ("w=300&dpr=2x", "dpr must be a decimal number"),
        (
            "w=300&h=2&gravity=top",
            "gravity must be one of centre|north|south|east|west|northeast|northwest|"
            "southeast|southwest|entropy|attention|face",
        ),
        (
            "w=300&h=2&gravity=focus",
            "gravity must be one of centre|north|south|east|west|northeast|northwest|"
            "southeast|southwest|entropy|attention|face",
        ),
        ("w=300&h=200&gravity=face", "gravity=face is not enabled"),
        ("w=300&focus=1.1,0", "focus must be x,y (fractions from 0 to 1)"),
        ("w=300&focus=0.5", "focus must be x,y (fractions from 0 to 1)"),
        ("w=300&focus=0.5,0.5&gravity=north", "give gravity or focus, not both"),
        ("w=300&background=red", "background must be a hex colour (rgb or rrggbb)"),
        ("w=300&background=123456", "background 123456 is not an allowed colour"),
        ("w=300&rotate=45", "rotate must be 0, 90, 180 or 270"),
        ("w=300&flip=yes", "flip must be 1, true, 0 or false"),
        ("w=300&blur=5000", "blur must be from 0 to 1000"),
        ("grayscale=1", "w or h is required"),
        ("w=300&preset=thumb", "unknown preset"),
    ],
)
def test_extended_parameters_refuse_bad_values(run: Run, query: str, reason: str) -> None:
    response = run("/a.png", query)
    assert response["status"] == "400"
    assert response["body"] == reason + "\n"


def test_a_preset_shares_its_key_with_the_spelled_out_url(runner: Callable[[Config], Run]) -> None:
    run = runner(
        config_with(presets={"ios_profile_image": {"w": 200, "h": 200, "gravity": "attention", "grayscale": True}})
    )
    spelled = run("/a.png", "w=200&h=200&gravity=attention&grayscale=1", accept=CHROME_ACCEPT)["uri"]
    assert spelled == "/200x200-attention-gray/a.avif"
    assert run("/a.png", "preset=ios_profile_image", accept=CHROME_ACCEPT)["uri"] == spelled
    # dpr and format may be added by default; anything else may not.
    assert run("/a.png", "preset=ios_profile_image&dpr=2&format=webp")["uri"] == "/400x400-attention-gray/a.webp"
    response = run("/a.png", "preset=ios_profile_image&w=300")
    assert (response["status"], response["body"]) == ("400", "parameter w cannot be combined with a preset\n")


def test_preset_overrides_follow_the_configuration(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(presets={"hero": {"w": 1200, "q": 60}}, preset_overrides=["w"]))
    assert run("/a.jpg", "preset=hero&w=600", accept="*/*")["uri"] == "/600-q60/a.jpg"
    assert run("/a.jpg", "preset=hero&dpr=2")["status"] == "400"


def test_presets_only_refuses_every_other_image_request(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(presets={"thumb": {"w": 100}}, presets_only=True))
    assert run("/a.png", "preset=thumb&utm_source=x", accept="*/*")["uri"] == "/100/a.png"
    for query in ("w=100", "w=100&preset=thumb", "grayscale=1"):
        response = run("/a.png", query)
        assert response["status"] == "400", query
    assert run("/a.png", "w=100")["body"] == "only presets are allowed: use preset=NAME\n"
    # No image parameter at all: the original, as always.
    assert "status" not in run("/a.png", "utm_source=x")


def test_under_presets_only_and_a_watermark_a_bare_original_gets_the_preset_rendition(
    runner: Callable[[Config], Run],
) -> None:
    run = runner(config_with(
        presets={"thumb": {"w": 100}, "large": {"w": 1600}}, presets_only=True, watermark="logo.png",
        watermark_rendition="preset=large",
    ))  # fmt: skip
    for query in ("", "utm_source=x"):
        request = run("/a.png", query, accept="*/*")
        assert request["uri"] == "/1600/a.png"
        # The marker origin-response needs under presets_only to render it.
        assert request["headers"][MARKER_HEADER] == [
            {"key": MARKER_HEADER, "value": "/a.png" + ("?" + query if query else "")}
        ]
    # A variant key asked for directly is still served as it is (never rewritten to a rendition of a variant).
    assert run("/1600/a.png", "")["uri"] == "/1600/a.png"
    run = runner(
        config_with(
            presets={"thumb": {"w": 100}}, presets_only=True, watermark="logo.png", watermark_passthrough="deny"
        )
    )
    response = run("/a.png", "")
    assert (response["status"], response["body"]) == ("403", "originals are not served: ask for a size (w or h)\n")


def test_disabled_parameters_are_a_400(runner: Callable[[Config], Run]) -> None:
    run = runner(config_with(allowed_parameters=["w", "h", "fit", "q", "format", "dpr"]))
    assert run("/a.png", "w=300&q=60&format=png")["uri"] == "/300/a.png"
    response = run("/a.png", "w=300&grayscale=1")
    assert response["status"] == "400"
    assert response["body"] == "parameter grayscale is not enabled\n"
    assert run("/a.png", "preset=thumb")["body"] == "parameter preset is not enabled\n"


# --- a variant's path is never resized (issue 12) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "query"),
    [
        ("/300/photos/cat.avif", "preset=thumb"),  # the six-level chain of the review began here
        ("/300/photos/cat.avif", "w=300"),
        ("/2024/beach.jpg", "w=640&format=webp"),  # an original at a variant key cannot be resized
    ],
)
def test_image_parameters_on_a_variant_key_are_a_400_naming_variant_prefix(
    runner: Callable[[Config], Run], uri: str, query: str
) -> None:
    run = runner(config_with(presets={"thumb": {"w": 300}}))
    response = run(uri, query)
    assert response["status"] == "400"
    assert "variant_prefix" in response["body"]
    assert run(uri)["uri"] == uri  # the stored variant itself is still served, untouched


def test_with_variant_prefix_originals_in_spec_folders_resize_and_the_prefix_is_refused(
    runner: Callable[[Config], Run],
) -> None:
    run = runner(config_with(variant_prefix="_v"))
    assert run("/2024/beach.jpg", "w=640&format=webp")["uri"] == "/_v/2024/beach/640.webp"
    response = run("/_v/2024/beach/640.webp", "w=300")
    assert response["status"] == "400"
    assert "variant_prefix" in response["body"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("w=" + "0" * 5000 + "300", None),
        ("w=300&h=" + "0" * 4400 + "1", None),
        ("w=300&q=" + "0" * 4301 + "80", None),
        ("w=300&blur=" + "0" * 4301 + "5", None),
        ("w=300&rotate=" + "0" * 4301 + "90", None),
        ("w=" + "9" * 5000, "w is too large"),
        ("w=300&q=" + "9" * 4400, "q is too large"),
        ("w=300&blur=" + "9" * 4400, "blur is too large"),
        ("w=300&rotate=" + "9" * 4400, "rotate is too large"),
    ],
)
def test_integers_of_thousands_of_digits_are_a_rewrite_or_a_400(run: Run, query: str, reason: str | None) -> None:
    """Python's int() refuses strings of more than 4,300 digits (a ValueError, i.e. a Lambda error and a 5xx):
    every integer parameter is a rewrite (leading zeros) or the usual 400, whatever its length."""
    response = run("/a.png", query)
    if reason is None:
        assert "status" not in response
        assert response["uri"].startswith("/")
    else:
        assert response["status"] == "400"
        assert response["body"] == reason + "\n"


HINT_HEADERS = {"Sec-CH-Width": "828", "Sec-CH-DPR": "2.625", "Sec-CH-Viewport-Width": "412"}


@pytest.mark.parametrize(
    ("query", "headers", "key"),
    [
        ("w=auto", HINT_HEADERS, "/828/photos/cat.avif"),
        ("w=auto", {"Sec-CH-Viewport-Width": "412", "Sec-CH-DPR": "2.625"}, "/1280/photos/cat.avif"),
        ("w=auto", {}, "/640/photos/cat.avif"),
        ("w=300&dpr=auto", HINT_HEADERS, "/900/photos/cat.avif"),
        ("w=300", HINT_HEADERS, "/300/photos/cat.avif"),
    ],
)
def test_client_hints_fill_in_auto(
    runner: Callable[[Config], Run], query: str, headers: dict[str, str], key: str
) -> None:
    run = runner(config_with(client_hints=True))
    request = run("/photos/cat.jpg", query, accept=CHROME_ACCEPT, headers=headers)
    assert request["uri"] == key
    # The marker keeps the query as written; the hint headers travel on untouched.
    assert request["headers"][MARKER_HEADER] == [{"key": MARKER_HEADER, "value": f"/photos/cat.jpg?{query}"}]
    for name, value in headers.items():
        assert request["headers"][name.lower()] == [{"key": name, "value": value}]


def test_repeated_hint_header_uses_the_last_value(handlers: Handlers) -> None:
    handle = handlers.viewer(config_with(client_hints=True))
    event = viewer_event("/photos/cat.jpg", "w=auto", accept=CHROME_ACCEPT)
    event["Records"][0]["cf"]["request"]["headers"]["sec-ch-width"] = [
        {"key": "Sec-CH-Width", "value": "300"},
        {"key": "Sec-CH-Width", "value": "500"},
    ]
    assert handle(event, None)["uri"] == "/500/photos/cat.avif"


@pytest.mark.parametrize(
    ("query", "reason"),
    [("w=auto", "w must be a positive integer"), ("w=300&dpr=auto", "dpr must be a decimal number")],
)
def test_without_client_hints_auto_is_a_400(run: Run, query: str, reason: str) -> None:
    response = run("/photos/cat.jpg", query, headers=HINT_HEADERS)
    assert response["status"] == "400"
    assert response["body"] == reason + "\n"
