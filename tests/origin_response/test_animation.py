"""origin-response and animated originals: an animated variant stored and served, and the first-frame header."""

import base64
import io
from typing import Any

from PIL import Image

from edge.config import Config
from origin_response.handler import make_handler
from tests.conftest import TEST_BUCKET, S3Client, origin_event

FRAMES = [(220, 30, 30), (30, 200, 40), (40, 60, 220)]


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (120, 90), colour) for colour in FRAMES]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    return buffer.getvalue()


def rendered_frames(response: dict[str, Any]) -> int:
    with Image.open(io.BytesIO(base64.b64decode(response["body"]))) as image:
        return int(getattr(image, "n_frames", 1))


def test_an_animated_original_is_stored_and_served_as_an_animation(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="anim/spin.gif", Body=animated_gif(), ContentType="image/gif")
    records: list[dict[str, Any]] = []
    handle = make_handler(Config(), log=lambda _, record: records.append(record))
    response = handle(origin_event(404, "/100/anim/spin.webp", "/anim/spin.gif"), None)
    assert response["status"] == "200"
    assert rendered_frames(response) == 3
    assert "x-imgedge-animation" not in response["headers"]
    stored = s3.get_object(Bucket=TEST_BUCKET, Key="100/anim/spin.webp")["Body"].read()
    assert stored == base64.b64decode(response["body"])
    assert records[-1]["frames"] == 3


def test_over_max_frames_the_first_frame_is_served_and_the_header_says_why(s3: S3Client) -> None:
    s3.put_object(Bucket=TEST_BUCKET, Key="anim/spin.gif", Body=animated_gif(), ContentType="image/gif")
    records: list[dict[str, Any]] = []
    handle = make_handler(Config.of(max_frames=2), log=lambda _, record: records.append(record))
    response = handle(origin_event(404, "/100/anim/spin.avif", "/anim/spin.gif"), None)
    assert response["status"] == "200"
    assert rendered_frames(response) == 1
    assert response["headers"]["x-imgedge-animation"] == [
        {"key": "X-Imgedge-Animation", "value": "first-frame; 3 frames > max_frames 2"}
    ]
    assert records[-1]["animation"] == "first frame: 3 frames > max_frames 2"
