"""gravity=face: the Rekognition locator (botocore Stubber, documented DetectFaces shapes), the crop geometry
(red squares stand for faces), the attention fallback and the origin-response flow around it."""

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.stub import ANY, Stubber
from PIL import Image

from edge.config import Config
from edge.errors import BadRequest, ConfigError
from edge.events import OriginResponse
from edge.faces import (
    DETECTION_SIZE,
    FaceDetection,
    FaceOutcome,
    RatioBox,
    RekognitionFaces,
    oriented_box,
    union_box,
)
from edge.keys import VariantKey, decode_key, encode_key
from edge.options import Fit, Gravity, OutputFormat, RenderSpec
from edge.origin_flow import handle_origin_response
from edge.ports import Original
from edge.render import Limits, Rendered, render
from edge.render.faces import face_box
from edge.rewrite import rewrite
from edge.sizes import CROP_POSITIONS, FILTER_COMBINATIONS, check_spec, variant_bound
from edge.store import face_locator_for, rekognition_client
from tests.conftest import origin_event

LIMITS = Limits.from_config(Config())
RED = (255, 0, 0)
GREY = (128, 128, 128)
ENABLED = Config.of(faces_enabled=True)

# A face as DetectFaces documents it (default attributes: BoundingBox, Confidence, Landmarks, Pose, Quality).
# https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectFaces.html


def face_detail(left: float, top: float, width: float, height: float, confidence: float = 99.99) -> dict[str, Any]:
    return {
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "Confidence": confidence,
        "Landmarks": [
            {"Type": "eyeLeft", "X": left + width * 0.3, "Y": top + height * 0.4},
            {"Type": "eyeRight", "X": left + width * 0.7, "Y": top + height * 0.4},
            {"Type": "mouthLeft", "X": left + width * 0.35, "Y": top + height * 0.8},
            {"Type": "mouthRight", "X": left + width * 0.65, "Y": top + height * 0.8},
            {"Type": "nose", "X": left + width * 0.5, "Y": top + height * 0.6},
        ],
        "Pose": {"Roll": -1.2, "Yaw": 3.4, "Pitch": 5.6},
        "Quality": {"Brightness": 81.3, "Sharpness": 92.1},
    }


def squares_image(size: tuple[int, int], squares: list[tuple[int, int, int, int]]) -> Image.Image:
    image = Image.new("RGB", size, GREY)
    for box in squares:
        image.paste(RED, box)
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def is_red(pixel: Any) -> bool:
    return bool(pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60)


# Two "faces": a red square near the top-left corner and one near the bottom-right corner of an 800 x 400 image.
TOP_LEFT = (40, 40, 120, 120)
BOTTOM_RIGHT = (680, 280, 760, 360)
TWO_FACES = encoded(squares_image((800, 400), [TOP_LEFT, BOTTOM_RIGHT]))
SPEC = RenderSpec(200, 200, Fit.COVER, OutputFormat.PNG, None, gravity=Gravity.FACE)


def ratio(box: tuple[int, int, int, int], size: tuple[int, int] = (800, 400)) -> RatioBox:
    return box[0] / size[0], box[1] / size[1], box[2] / size[0], box[3] / size[1]


@dataclass
class FixedLocator:
    """A stub ``FaceLocator`` answering ``detection``; records the JPEGs it was given."""

    detection: FaceDetection
    seen: list[bytes] = field(default_factory=list)

    def __call__(self, jpeg: bytes, /) -> FaceDetection:
        self.seen.append(jpeg)
        return self.detection


def found(box: RatioBox) -> FixedLocator:
    return FixedLocator(FaceDetection(FaceOutcome.FOUND, box=box, faces=1, ms=1.0))


def output(rendered: Rendered) -> Image.Image:
    return Image.open(io.BytesIO(rendered.body)).convert("RGB")


@pytest.fixture
def rekognition(aws_env: None) -> Iterator[tuple[Any, Stubber, list[bytes]]]:
    """A real botocore Rekognition client under a Stubber, and the image bytes of each DetectFaces request."""
    client = boto3.session.Session().client("rekognition", region_name="us-east-1")
    sent: list[bytes] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["Image"]["Bytes"])

    client.meta.events.register("provide-client-params.rekognition.DetectFaces", capture)
    with Stubber(client) as stubber:
        yield client, stubber, sent
        stubber.assert_no_pending_responses()


# --- the documented response shape -----------------------------------------------------------------------------


def test_union_box_of_the_faces_above_the_confidence() -> None:
    answer = {
        "FaceDetails": [
            face_detail(0.10, 0.20, 0.10, 0.20),
            face_detail(0.50, 0.30, 0.20, 0.25),
            face_detail(0.90, 0.90, 0.05, 0.05, confidence=42.0),  # ignored
        ]
    }
    box, count = union_box(answer, 90)
    assert count == 2
    assert box == pytest.approx((0.10, 0.20, 0.70, 0.55))
    assert union_box({"FaceDetails": []}, 90) == (None, 0)
    assert union_box(answer, 99.999) == (None, 0)


def test_a_box_cut_by_the_border_is_clamped() -> None:
    box, _ = union_box({"FaceDetails": [face_detail(-0.05, 0.9, 0.2, 0.2)]}, 50)
    assert box == pytest.approx((0.0, 0.9, 0.15, 1.0))


@pytest.mark.parametrize(
    ("rotate", "flop", "expected"),
    [
        (0, False, (0.1, 0.2, 0.3, 0.5)),
        (90, False, (0.5, 0.1, 0.8, 0.3)),
        (180, False, (0.7, 0.5, 0.9, 0.8)),
        (270, False, (0.2, 0.7, 0.5, 0.9)),
        (0, True, (0.7, 0.2, 0.9, 0.5)),
        (90, True, (0.2, 0.1, 0.5, 0.3)),
    ],
)
def test_oriented_box_follows_rotate_then_flop(rotate: int, flop: bool, expected: RatioBox) -> None:
    assert oriented_box((0.1, 0.2, 0.3, 0.5), rotate, flop) == pytest.approx(expected)


# --- crop geometry ---------------------------------------------------------------------------------------------


def test_face_box_is_centred_and_kept_inside_the_image() -> None:
    assert face_box((400, 200), (200, 200), (0.4, 0.2, 0.6, 0.4)) == (100, 0, 300, 200)
    assert face_box((400, 200), (200, 200), (0.0, 0.0, 0.1, 0.1)) == (0, 0, 200, 200)
    assert face_box((400, 200), (200, 200), (0.9, 0.9, 1.0, 1.0)) == (200, 0, 400, 200)
    # A union larger than the crop is still centred on.
    assert face_box((400, 400), (100, 100), (0.0, 0.0, 1.0, 0.5)) == (150, 50, 250, 150)


@pytest.mark.parametrize(
    ("face", "kept", "dropped"),
    [(TOP_LEFT, (40, 40), (160, 160)), (BOTTOM_RIGHT, (160, 160), (40, 40))],
)
def test_the_corner_with_the_face_is_kept(
    face: tuple[int, int, int, int], kept: tuple[int, int], dropped: tuple[int, int]
) -> None:
    locator = found(ratio(face))
    rendered = render(TWO_FACES, SPEC, LIMITS, face_locator=locator)
    image = output(rendered)
    assert image.size == (200, 200)
    assert is_red(image.getpixel(kept))
    assert not is_red(image.getpixel(dropped))
    assert rendered.faces is not None
    assert rendered.faces.outcome is FaceOutcome.FOUND
    assert "faces" in rendered.timings_ms


@pytest.mark.parametrize(("flop", "red_at"), [(False, (160, 40)), (True, (40, 40))])
def test_the_face_box_turns_with_rotate_and_flop(flop: bool, red_at: tuple[int, int]) -> None:
    # Upright, the face is top-left; turned 90 degrees clockwise it is top-right (top-left again once mirrored).
    data = encoded(squares_image((800, 400), [TOP_LEFT]))
    spec = RenderSpec(200, 200, Fit.COVER, OutputFormat.PNG, None, gravity=Gravity.FACE, rotate=90, flop=flop)
    image = output(render(data, spec, LIMITS, face_locator=found(ratio(TOP_LEFT))))
    assert is_red(image.getpixel(red_at))
    assert not is_red(image.getpixel((100, 160)))


def test_faces_are_detected_on_the_upright_image() -> None:
    upright = squares_image((800, 400), [TOP_LEFT])
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; displayed rotated 90 degrees clockwise
    data = encoded(upright.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif.tobytes())
    locator = found(ratio(TOP_LEFT))
    render(
        data, RenderSpec(200, 200, Fit.COVER, OutputFormat.JPEG, 80, gravity=Gravity.FACE), LIMITS, face_locator=locator
    )
    sent = Image.open(io.BytesIO(locator.seen[0]))
    assert sent.format == "JPEG"
    assert sent.size == (800, 400)
    assert is_red(sent.convert("RGB").getpixel((80, 80)))


def test_without_a_locator_or_a_crop_nothing_is_detected() -> None:
    locator = found(ratio(TOP_LEFT))
    attention = render(TWO_FACES, RenderSpec(200, 200, Fit.COVER, OutputFormat.PNG, None, Gravity.ATTENTION), LIMITS)
    assert render(TWO_FACES, SPEC, LIMITS).body == attention.body
    render(
        TWO_FACES,
        RenderSpec(200, None, Fit.INSIDE, OutputFormat.PNG, None, gravity=Gravity.FACE),
        LIMITS,
        face_locator=locator,
    )
    assert locator.seen == []


def test_a_tiny_original_is_not_sent() -> None:
    data = encoded(squares_image((120, 60), []))
    locator = found((0.0, 0.0, 0.1, 0.1))
    rendered = render(
        data, RenderSpec(30, 30, Fit.COVER, OutputFormat.PNG, None, Gravity.FACE), LIMITS, face_locator=locator
    )
    assert locator.seen == []
    assert rendered.faces == FaceDetection(FaceOutcome.SKIPPED)


# --- Rekognition through a Stubber -----------------------------------------------------------------------------


def test_detect_faces_crops_on_the_faces_found(rekognition: tuple[Any, Stubber, list[bytes]]) -> None:
    client, stubber, sent = rekognition
    top_left = ratio(TOP_LEFT)
    stubber.add_response(
        "detect_faces",
        {
            "FaceDetails": [
                face_detail(top_left[0], top_left[1], top_left[2] - top_left[0], top_left[3] - top_left[1]),
                face_detail(0.85, 0.7, 0.1, 0.2, confidence=60.0),  # below faces_min_confidence: ignored
            ]
        },
        {"Image": {"Bytes": ANY}},
    )
    rendered = render(TWO_FACES, SPEC, LIMITS, face_locator=RekognitionFaces(client, 90.0))
    image = output(rendered)
    assert is_red(image.getpixel((40, 40)))
    assert not is_red(image.getpixel((160, 160)))
    assert rendered.faces is not None
    assert (rendered.faces.outcome, rendered.faces.faces) == (FaceOutcome.FOUND, 1)
    assert len(sent) == 1


def test_the_request_is_a_bounded_jpeg(rekognition: tuple[Any, Stubber, list[bytes]]) -> None:
    client, stubber, sent = rekognition
    stubber.add_response("detect_faces", {"FaceDetails": []}, {"Image": {"Bytes": ANY}})
    big = encoded(squares_image((3000, 1500), [(100, 100, 400, 400)]), "JPEG", quality=90)
    spec = RenderSpec(300, 300, Fit.COVER, OutputFormat.WEBP, 80, gravity=Gravity.FACE)
    render(big, spec, LIMITS, face_locator=RekognitionFaces(client, 90.0))
    image = Image.open(io.BytesIO(sent[0]))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (DETECTION_SIZE, DETECTION_SIZE // 2)
    assert len(sent[0]) <= 5 * 1024 * 1024
    assert not image.getexif()


def test_no_face_falls_back_to_attention(rekognition: tuple[Any, Stubber, list[bytes]]) -> None:
    client, stubber, _ = rekognition
    stubber.add_response("detect_faces", {"FaceDetails": []}, {"Image": {"Bytes": ANY}})
    rendered = render(TWO_FACES, SPEC, LIMITS, face_locator=RekognitionFaces(client, 90.0))
    attention = render(TWO_FACES, RenderSpec(200, 200, Fit.COVER, OutputFormat.PNG, None, Gravity.ATTENTION), LIMITS)
    assert rendered.body == attention.body
    assert rendered.faces is not None
    assert rendered.faces.outcome is FaceOutcome.NONE


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("AccessDeniedException", 400),
        ("InvalidImageFormatException", 400),
        ("InternalServerError", 500),
    ],
)
def test_rekognition_errors_fall_back_to_attention(
    rekognition: tuple[Any, Stubber, list[bytes]], code: str, status: int
) -> None:
    client, stubber, _ = rekognition
    stubber.add_client_error("detect_faces", service_error_code=code, http_status_code=status)
    rendered = render(TWO_FACES, SPEC, LIMITS, face_locator=RekognitionFaces(client, 90.0))
    attention = render(TWO_FACES, RenderSpec(200, 200, Fit.COVER, OutputFormat.PNG, None, Gravity.ATTENTION), LIMITS)
    assert rendered.body == attention.body
    assert rendered.faces is not None
    assert rendered.faces.outcome is FaceOutcome.FAILED
    assert rendered.faces.detail is not None
    assert code in rendered.faces.detail


@dataclass
class TimingOut:
    error: Exception

    def detect_faces(self, **kwargs: Any) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://rekognition.us-east-1.amazonaws.com/"),
        ConnectTimeoutError(endpoint_url="https://rekognition.us-east-1.amazonaws.com/"),
    ],
)
def test_timeouts_fall_back_to_attention(error: Exception) -> None:
    detection = RekognitionFaces(TimingOut(error), 90.0)(b"\xff\xd8")
    assert detection.outcome is FaceOutcome.FAILED
    assert detection.box is None


def test_a_malformed_answer_is_a_failure_not_an_error() -> None:
    class Odd:
        def detect_faces(self, **kwargs: Any) -> dict[str, Any]:
            return {"FaceDetails": [{"Confidence": 99.0}]}

    assert RekognitionFaces(Odd(), 90.0)(b"\xff\xd8").outcome is FaceOutcome.FAILED


def test_stubbed_face_path_latency(rekognition: tuple[Any, Stubber, list[bytes]]) -> None:
    """Measures the face path with the stub (the Rekognition round trip itself excluded): printed with -s."""
    client, stubber, _ = rekognition
    photo = encoded(squares_image((4000, 3000), [(400, 400, 1000, 1000)]), "JPEG", quality=85)
    spec = RenderSpec(400, 400, Fit.COVER, OutputFormat.JPEG, 80, gravity=Gravity.FACE)
    stubber.add_response("detect_faces", {"FaceDetails": [face_detail(0.1, 0.13, 0.15, 0.2)]}, {"Image": ANY})
    start = time.perf_counter()
    rendered = render(photo, spec, LIMITS, face_locator=RekognitionFaces(client, 90.0))
    face_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    render(photo, RenderSpec(400, 400, Fit.COVER, OutputFormat.JPEG, 80, gravity=Gravity.ATTENTION), LIMITS)
    attention_ms = (time.perf_counter() - start) * 1000
    assert rendered.faces is not None
    print(
        f"face {face_ms:.0f} ms ({rendered.timings_ms}, rekognition {rendered.faces.ms} ms),",
        f"attention {attention_ms:.0f} ms",
    )
    assert rendered.faces is not None
    assert rendered.faces.outcome is FaceOutcome.FOUND


def test_the_client_has_bounded_retries_and_timeouts(aws_env: None) -> None:
    client: Any = rekognition_client("eu-west-1")
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.retries == {"total_max_attempts": 2, "mode": "standard"}
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (1.0, 2.0)
    assert face_locator_for(Config()) is None
    assert isinstance(face_locator_for(Config.of(faces_enabled=True, faces_region="eu-west-1")), RekognitionFaces)


# --- configuration, key, URL and policy ------------------------------------------------------------------------


def test_configuration_keys() -> None:
    config = Config.from_mapping({"faces_enabled": True, "faces_region": "eu-west-1", "faces_min_confidence": 75})
    assert (config.faces.faces_enabled, config.faces.faces_region, config.faces.faces_min_confidence) == (
        True,
        "eu-west-1",
        75,
    )
    assert (Config().faces.faces_enabled, Config().faces.faces_region, Config().faces.faces_min_confidence) == (
        False,
        "us-east-1",
        90,
    )
    for bad in ({"faces_enabled": "yes"}, {"faces_region": "eu west"}, {"faces_min_confidence": 101}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            Config.from_mapping(bad)
    preset = {"presets": {"avatar": {"w": 96, "h": 96, "gravity": "face"}}}
    with pytest.raises(ConfigError, match="faces_enabled"):
        Config.from_mapping(preset)
    assert Config.from_mapping({**preset, "faces_enabled": True}).url.presets["avatar"]["gravity"] == "face"


def test_key_token_and_rewrite() -> None:
    result = rewrite("/team/ada.jpg", "w=300&h=300&gravity=face&format=webp", "", ENABLED)
    assert result is not None
    assert result.uri == "/300x300-face/team/ada.webp"
    assert decode_key(result.uri, ENABLED).spec.gravity is Gravity.FACE
    assert encode_key(VariantKey(result.variant.spec, "team/ada"), ENABLED) == result.uri
    # Without a crop the gravity does not matter and is not spelled.
    plain = rewrite("/team/ada.jpg", "w=300&gravity=face&format=webp", "", ENABLED)
    assert plain is not None
    assert plain.uri == "/300/team/ada.webp"


def test_disabled_face_is_a_400_in_both_functions() -> None:
    with pytest.raises(BadRequest, match="gravity=face is not enabled"):
        rewrite("/team/ada.jpg", "w=300&h=300&gravity=face", "", Config())
    spec = decode_key("/300x300-face/team/ada.webp", Config()).spec
    with pytest.raises(BadRequest, match="gravity=face is not enabled"):
        check_spec(spec, Config())
    check_spec(spec, ENABLED)


def test_the_variant_bound_counts_face_only_when_enabled() -> None:
    small = {"sizes": (10, 20), "max_dimension": 30, "qualities": (50, 80), "backgrounds": ("ffffff",)}
    n = 2
    off = Config.of(**small)
    on = Config.of(**small, faces_enabled=True)
    colours = 2 * 2 * 2 * 2 + 2 + 2  # AVIF and WebP (x2: anim=0), JPEG, PNG; see test_sizes
    assert variant_bound(off) == (2 * n + (4 + CROP_POSITIONS) * n * n) * FILTER_COMBINATIONS * colours
    assert variant_bound(on) == (2 * n + (4 + CROP_POSITIONS + 1) * n * n) * FILTER_COMBINATIONS * colours


# --- origin-response -------------------------------------------------------------------------------------------

URI = "/200x200-face/photos/team.png"
MARKER = "/photos/team.png"


@dataclass
class MemoryStore:
    objects: dict[str, bytes]
    puts: list[str] = field(default_factory=list)

    def get_original(self, key: str) -> Original | None:
        body = self.objects.get(key)
        return None if body is None else Original(key=key, body=body, etag="e")

    def put_variant(self, key: str, body: bytes, content_type: str, cache_control: str, source: Original) -> bool:
        self.puts.append(key)
        return True


def run_origin_response(locator: Any, config: Config = ENABLED) -> tuple[dict[str, Any], dict[str, Any], MemoryStore]:
    store = MemoryStore({"photos/team.png": TWO_FACES})

    def renderer(data: bytes, spec: RenderSpec, /, watermark: Any = None) -> Rendered:
        return render(data, spec, LIMITS, watermark, face_locator=locator)

    result = handle_origin_response(
        OriginResponse(origin_event(403, URI, MARKER)), config, lambda bucket, region: store, renderer
    )
    return result.response, result.log, store


def test_origin_response_stores_the_face_crop_and_logs_rekognition(
    rekognition: tuple[Any, Stubber, list[bytes]],
) -> None:
    client, stubber, _ = rekognition
    stubber.add_response("detect_faces", {"FaceDetails": [face_detail(0.05, 0.1, 0.1, 0.2)]}, {"Image": ANY})
    response, log, store = run_origin_response(RekognitionFaces(client, 90.0))
    assert response["status"] == "200"
    assert store.puts == ["200x200-face/photos/team.png"]
    assert log["faces"] == "found"
    assert log["faces_count"] == 1
    assert log["ms_rekognition"] >= 0
    assert log["ms_faces"] >= log["ms_rekognition"]


def test_origin_response_never_fails_for_rekognition(rekognition: tuple[Any, Stubber, list[bytes]]) -> None:
    client, stubber, _ = rekognition
    stubber.add_client_error("detect_faces", service_error_code="ThrottlingException", http_status_code=400)
    response, log, store = run_origin_response(RekognitionFaces(client, 90.0))
    assert response["status"] == "200"
    assert response["headers"]["cache-control"][0]["value"] == "public, max-age=60"
    assert store.puts == []  # transient: the next request detects again
    assert log["faces"] == "failed"
    assert log["stored"] == "skipped"
    assert "ThrottlingException" in log["faces_detail"]


def test_a_failed_detection_too_large_to_inline_is_never_stored(rekognition: tuple[Any, Stubber, list[bytes]]) -> None:
    """The attention fallback of a failed detection is never stored under the ``-face`` key; when it is too large
    to return inline (a redirect would need it stored), the viewer gets a no-store 503 asking for a retry."""
    client, stubber, _ = rekognition
    stubber.add_client_error("detect_faces", service_error_code="ThrottlingException", http_status_code=400)
    config = Config.of(faces_enabled=True, max_response_bytes=200)
    response, log, store = run_origin_response(RekognitionFaces(client, 90.0), config)
    assert response["status"] == "503"
    assert response["headers"]["cache-control"][0]["value"] == "no-store"
    assert response["headers"]["retry-after"][0]["value"] == "5"
    assert store.puts == []
    assert log["faces"] == "failed"
    assert log["stored"] == "skipped"
