"""Face detection for ``gravity=face``: one Amazon Rekognition ``DetectFaces`` call per render (pure).

The Rekognition client is injected (``edge.store.rekognition_client`` creates the boto3 one, so this module
imports neither boto3 nor Pillow). ``RekognitionFaces`` is the ``FaceLocator`` origin-response hands to
``edge.render.render``: it gets a JPEG of the upright original (``edge.render.faces.detection_jpeg``: at most
``DETECTION_SIZE`` px on its long side, so always far under Rekognition's 5 MB limit for image bytes) and answers
with the union box of the faces at or above the configured confidence, as ratios of that image.

Failure never fails the request: any exception of the client (``ClientError`` such as throttling or access
denied, timeouts, connection errors, a malformed answer) is a ``failed`` detection, and ``edge.render`` then
crops with ``attention``, as it does when no face is found. The client is created with bounded retries and
timeouts (``ATTEMPTS``, ``CONNECT_TIMEOUT``, ``READ_TIMEOUT``): at worst about 2 x (1 + 2) s plus a backoff.

Response shape (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectFaces.html)::

    {"FaceDetails": [{"BoundingBox": {"Width": 0.28, "Height": 0.29, "Left": 0.39, "Top": 0.15},
                      "Confidence": 99.99, "Landmarks": [...], "Pose": {...}, "Quality": {...}}, ...],
     "OrientationCorrection": "ROTATE_0"}   # absent for the JPEG without EXIF that imgedge sends

``Left``/``Width`` are ratios of the image's width, ``Top``/``Height`` of its height; a box may reach slightly
outside 0-1 for a face cut by the border, so it is clamped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final, Protocol

from edge.errors import EdgeError


class FaceDetectionUnavailable(EdgeError):
    """The detection failed and its ``attention`` fallback is too large to return inline: it is not stored (a
    later request detects again), so the viewer is asked to retry (503, never cached, ``Retry-After``)."""

    status: ClassVar[int] = 503
    default_reason = "face detection temporarily unavailable, retry"
    retry_after: ClassVar[int | None] = 5


#: The long side, in px, of the JPEG sent to Rekognition: bounds the request (~100-300 KB), its latency and
#: the decode Rekognition does; faces smaller than ~40 px in it (4% of the side) are not found.
DETECTION_SIZE: Final = 1024
#: Rekognition refuses images under 80 px on a side; smaller originals are not sent (``skipped``).
MIN_DETECTION_SIDE: Final = 80
#: JPEG quality of the detection image.
DETECTION_QUALITY: Final = 85
#: Attempts of the DetectFaces call (botocore ``total_max_attempts``, standard mode) and its timeouts (s).
ATTEMPTS: Final = 2
CONNECT_TIMEOUT: Final = 1.0
READ_TIMEOUT: Final = 2.0

#: A box as ``(left, top, right, bottom)`` ratios (0-1) of the image's width and height.
RatioBox = tuple[float, float, float, float]


class FaceOutcome(StrEnum):
    """What a detection ended with; logged as ``faces`` on the origin-response line."""

    FOUND = "found"  # at least one face at or above the confidence: crop on their union
    NONE = "none"  # Rekognition answered, no face qualified: attention crop
    FAILED = "failed"  # Rekognition failed (error, throttling, timeout): attention crop, variant not stored
    SKIPPED = "skipped"  # image too small to send: attention crop


@dataclass(frozen=True, slots=True)
class FaceDetection:
    """A detection's result: the faces' union box (set exactly when ``outcome`` is ``found``), the number of
    faces that qualified, the milliseconds spent, and for ``failed`` what went wrong."""

    outcome: FaceOutcome
    box: RatioBox | None = None
    faces: int = 0
    ms: float = 0.0
    detail: str | None = None


class FaceLocator(Protocol):
    """Finds the faces in a JPEG (upright, no EXIF); never raises."""

    def __call__(self, jpeg: bytes, /) -> FaceDetection: ...


class RekognitionClient(Protocol):
    """The part of boto3's Rekognition client that imgedge uses."""

    def detect_faces(self, **kwargs: Any) -> Mapping[str, Any]: ...


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def union_box(answer: Mapping[str, Any], min_confidence: float) -> tuple[RatioBox | None, int]:
    """The union of the ``BoundingBox`` of every face of a DetectFaces answer whose ``Confidence`` is at least
    ``min_confidence`` (percent), clamped to the image, and how many faces that is; ``(None, 0)`` for none.
    Raises ``KeyError``/``TypeError``/``ValueError`` for an answer that does not have the documented shape."""
    boxes: list[RatioBox] = []
    for face in answer["FaceDetails"]:
        if float(face["Confidence"]) < min_confidence:
            continue
        bounds = face["BoundingBox"]
        left, top = float(bounds["Left"]), float(bounds["Top"])
        right, bottom = left + float(bounds["Width"]), top + float(bounds["Height"])
        box = (_clamp(left), _clamp(top), _clamp(right), _clamp(bottom))
        if box[2] > box[0] and box[3] > box[1]:
            boxes.append(box)
    if not boxes:
        return None, 0
    union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return union, len(boxes)


class RekognitionFaces:
    """A ``FaceLocator`` backed by Rekognition ``DetectFaces`` (default attributes: box and confidence are all
    it needs, and ``ALL`` costs latency)."""

    def __init__(self, client: RekognitionClient, min_confidence: float) -> None:
        self._client = client
        self._min_confidence = min_confidence

    def __call__(self, jpeg: bytes, /) -> FaceDetection:
        start = time.perf_counter()
        try:
            answer = self._client.detect_faces(Image={"Bytes": jpeg})
            box, count = union_box(answer, self._min_confidence)
        except Exception as err:  # any failure of an optional hint falls back to attention
            return FaceDetection(FaceOutcome.FAILED, ms=_elapsed_ms(start), detail=f"{type(err).__name__}: {err}")
        outcome = FaceOutcome.FOUND if box is not None else FaceOutcome.NONE
        return FaceDetection(outcome, box=box, faces=count, ms=_elapsed_ms(start))


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def oriented_box(box: RatioBox, rotate: int, flop: bool) -> RatioBox:
    """``box`` (ratios of the upright image) in the image turned ``rotate`` degrees clockwise, then mirrored
    left-right when ``flop`` (the order of ``edge.render.filters.orient``)."""
    left, top, right, bottom = box
    if rotate == 90:  # (x, y) -> (1 - y, x)
        left, top, right, bottom = 1 - bottom, left, 1 - top, right
    elif rotate == 180:  # (x, y) -> (1 - x, 1 - y)
        left, top, right, bottom = 1 - right, 1 - bottom, 1 - left, 1 - top
    elif rotate == 270:  # (x, y) -> (y, 1 - x)
        left, top, right, bottom = top, 1 - right, bottom, 1 - left
    if flop:
        left, right = 1 - right, 1 - left
    return left, top, right, bottom
