"""A CloudFront stand-in around the real handlers: ``imgedge serve``.

Each HTTP request goes the way it goes through a distribution whose default behaviour has the two imgedge
functions, the CachingOptimized cache policy and an S3 origin behind an OAI:

1. A viewer-request event is built from the request (headers in CloudFront's shape: lowercase names, lists of
   ``{"key", "value"}``, hop-by-hop headers hidden; the raw query string) and ``viewer_request.handler`` runs.
   Its result is checked against the Lambda@Edge contract (``imgedge.contract``); a generated response (a
   400) goes straight back to the viewer.
2. The cache is looked up by the rewritten URI alone (CloudFront's cache key). Concurrent misses on one key
   are collapsed into one origin fetch.
3. On a miss S3 is asked for the key, forwarding only the allow-listed marker header. A missing key is
   answered 403, as S3 does behind an OAI without ``s3:ListBucket``.
4. An origin-response event is built (``request.origin.s3`` with the bucket's regional domain) and
   ``origin_response.handler`` runs; its result is checked, sent (a base64 body decoded) and cached as its
   Cache-Control allows (never a 5xx). Redirects are passed to the viewer, never followed.

Every response carries ``x-imgedge-cache`` (``Hit``, ``Miss``, ``LambdaGeneratedResponse`` or ``Error``),
``x-imgedge-key`` (the cache key) and ``server-timing`` (viewer-request, S3, origin-response and render
milliseconds); one line per request goes to the log. A handler result that breaks the contract, or a handler
that raises, fails the request with a 500 naming the problem (real CloudFront would answer 502).

Handlers print their JSON log line to stdout, as on Lambda; the emulator routes stdout per thread while a
handler runs, reads the render timings from that line, and echoes it when ``verbose`` is set.

S3 is an embedded moto server on a free loopback port (seeded with ``originals`` or the generated samples),
or any S3-compatible endpoint (``s3_endpoint``, with ``bucket``), or real S3 (``bucket`` alone).
``/`` serves the demo page; ``/_imgedge/...`` its assets and JSON (originals, config, recent requests).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import mimetypes
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, TextIO

from PIL import Image

from edge.config import CONFIG_ENV_VAR, Config, load_config
from edge.keys import namespace_warning
from edge.marker import MARKER_HEADER
from edge.options import BLUR_RADII, Fit, FormatChoice, Gravity
from edge.paths import encode_path
from edge.store import s3_client as handler_s3_client
from imgedge import bucket as bucket_ops
from imgedge import contract
from imgedge.cache import CachedResponse, ResponseCache
from imgedge.cloudfront import (
    OriginUnreachable,
    S3Origin,
    origin_request_headers,
    origin_response_event,
    phrase,
    request_id,
    viewer_request_event,
)
from imgedge.samples import sample_originals
from imgedge.server import EdgeRequestHandler, EdgeServer
from origin_response.handler import handler as origin_response_handler
from viewer_request.handler import handler as viewer_request_handler

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any

Handler = Callable[[dict[str, Any], Any], Any]

EMBEDDED_BUCKET = "imgedge-local"
# Headers the emulator computes itself when sending, whatever a handler or S3 said.
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
# origin-response timings that are not render stages.
_NOT_RENDER = frozenset({"ms_fetch", "ms_store", "ms_total"})
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class EmulatorError(Exception):
    """The emulator cannot start (port taken, bucket missing, bad configuration...)."""


class _StdoutRouter(io.TextIOBase):
    """``sys.stdout`` stand-in: writes go to the current thread's capture buffer when one is open, else on."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._local = threading.local()

    def write(self, text: str) -> int:
        buffer: list[str] | None = getattr(self._local, "buffer", None)
        if buffer is None:
            return self.target.write(text)
        buffer.append(text)
        return len(text)

    def flush(self) -> None:
        if getattr(self._local, "buffer", None) is None:
            self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        lines: list[str] = []
        buffer: list[str] = []
        self._local.buffer = buffer
        try:
            yield lines
        finally:
            self._local.buffer = None
            lines += [line for line in "".join(buffer).splitlines() if line.strip()]


_ROUTER_LOCK = threading.Lock()


@contextmanager
def _captured_stdout() -> Iterator[list[str]]:
    """The lines the current thread prints inside the block (other threads print as usual)."""
    with _ROUTER_LOCK:
        router = sys.stdout
        if not isinstance(router, _StdoutRouter):
            router = _StdoutRouter(sys.stdout)
            sys.stdout = router
    with router.capture() as lines:
        yield lines


def _uninstall_router() -> None:
    with _ROUTER_LOCK:
        if isinstance(sys.stdout, _StdoutRouter):
            sys.stdout = sys.stdout.target


def _json_lines(lines: list[str]) -> list[dict[str, Any]]:
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


@dataclass(frozen=True)
class EdgeResponse:
    """What the emulator sends the viewer, with how it got there."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    cache: str
    key: str | None
    timings: tuple[tuple[str, float], ...]
    produced: tuple[tuple[str, float], ...] = ()
    action: str = ""
    problem: str = ""
    #: Whole seconds since a hit's entry was stored (``None`` for anything but a hit).
    age: int | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def edge_headers(self) -> list[tuple[str, str]]:
        """The headers CloudFront itself adds: ``X-Cache`` (``Hit``/``Miss``/``Error``/``LambdaGeneratedResponse``
        ``from cloudfront``, CloudFront's spelling) and, on a hit, ``Age``."""
        outcome = "Error" if self.cache in ("Hit", "Miss") and self.status >= 400 else self.cache
        headers = [("X-Cache", f"{outcome} from cloudfront")]
        if self.age is not None:
            headers.append(("Age", str(self.age)))
        return headers


@dataclass
class RequestRecord:
    """One request, as logged (``/_imgedge/log`` serves the recent ones)."""

    time: float
    method: str
    path: str
    status: int
    cache: str
    key: str | None
    content_type: str | None
    bytes: int
    accept: str
    action: str
    timings: dict[str, float] = field(default_factory=dict)
    problem: str = ""

    def line(self) -> str:
        parts = [f"{self.method} {self.path}", str(self.status), self.cache]
        if self.content_type:
            parts.append(self.content_type.split(";")[0])
        parts.append(_human_bytes(self.bytes))
        if self.key and self.key != self.path.partition("?")[0]:
            parts.append(f"key={self.key}")
        if self.action:
            parts.append(f"origin-response={self.action}")
        parts += [f"{name}={ms:.1f}ms" for name, ms in self.timings.items()]
        if self.problem:
            parts.append(f"problem={self.problem!r}")
        return " ".join(parts)


def _human_bytes(size: int) -> str:
    return (
        f"{size} B" if size < 1024 else f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1048576:.2f} MiB"
    )


def _result_headers(headers: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name, entries in headers.items():
        if name.lower() in _HOP_HEADERS:
            continue
        for entry in entries:
            pairs.append((str(entry.get("key") or name), str(entry["value"])))
    return pairs


def _result_body(result: Mapping[str, Any], fallback: bytes) -> bytes:
    if "body" not in result:
        return fallback
    body = str(result["body"])
    if result.get("bodyEncoding") == "base64":
        return base64.b64decode(body)
    return body.encode("utf-8")


def _ms(start: float) -> float:
    return round((perf_counter() - start) * 1000, 2)


@dataclass(frozen=True)
class Settings:
    """How ``Emulator`` runs. ``port=0`` picks a free port. Without ``bucket`` S3 is an embedded moto server;
    with ``bucket`` (and ``s3_endpoint`` for an S3-compatible store) it is that bucket."""

    host: str = "127.0.0.1"
    port: int = 8080
    originals: Path | None = None
    bucket: str | None = None
    s3_endpoint: str | None = None
    region: str = "us-east-1"
    config_path: Path | None = None
    verbose: bool = False


class Emulator:
    """CloudFront in front of S3 with the two imgedge functions; see the module docstring.

    ``viewer_handler`` and ``origin_handler`` default to the real handlers (tests inject broken ones).
    ``log`` receives one line per request. Use as a context manager, or ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        viewer_handler: Handler | None = None,
        origin_handler: Handler | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._viewer_handler: Handler = viewer_handler or viewer_request_handler
        self._origin_handler: Handler = origin_handler or origin_response_handler
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.cache = ResponseCache()
        self.records: deque[RequestRecord] = deque(maxlen=500)
        self._records_lock = threading.Lock()
        self._saved_env: dict[str, str | None] = {}
        self._moto: Any = None
        self._server: EdgeServer | None = None
        self._thread: threading.Thread | None = None
        self._origin: S3Origin | None = None
        self._client: S3Client | None = None
        self._region = self.settings.region
        self._originals_info: dict[str, dict[str, Any]] = {}
        self._embedded_bucket = EMBEDDED_BUCKET
        self._endpoint: str | None = None
        self.config = Config()
        self.seeded: list[str] = []

    # -- lifecycle --

    @property
    def bucket(self) -> str:
        return self.settings.bucket or self._embedded_bucket

    @staticmethod
    def _fresh_bucket_name(client: S3Client) -> str:
        """``imgedge-local``, or ``imgedge-local-2``... when another emulator of this process has it (moto's
        state is per process, so two embedded servers see the same buckets)."""
        existing = {item["Name"] for item in client.list_buckets().get("Buckets", [])}
        name, number = EMBEDDED_BUCKET, 1
        while name in existing:
            number += 1
            name = f"{EMBEDDED_BUCKET}-{number}"
        return name

    @property
    def url(self) -> str:
        if self._server is None:
            raise EmulatorError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def s3_endpoint(self) -> str | None:
        """The S3 endpoint the handlers use: the embedded server's URL, the given one, or ``None`` for AWS."""
        return self._endpoint

    def _set_env(self, name: str, value: str | None) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    def _restore_env(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def start(self) -> None:
        """Start S3 (embedded or connect), seed it, and serve HTTP on a background thread."""
        try:
            self._start_config()
            self._start_s3()
            handler_s3_client.cache_clear()
            self._start_http()
        except BaseException:
            self.stop()
            raise

    def _start_config(self) -> None:
        if self.settings.config_path is not None:
            if not self.settings.config_path.is_file():
                raise EmulatorError(f"configuration file {self.settings.config_path} does not exist")
            self._set_env(CONFIG_ENV_VAR, str(self.settings.config_path.resolve()))
        load_config.cache_clear()
        try:
            self.config = load_config()
        except ValueError as err:
            raise EmulatorError(str(err)) from None

    def _start_s3(self) -> None:
        if self.settings.bucket is None:
            from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy, and only for the embedded S3

            logging.getLogger("werkzeug").setLevel(logging.WARNING)
            self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            for name, value in _FAKE_CREDENTIALS.items():
                self._set_env(name, value)
            self._set_env("AWS_PROFILE", None)
            self._set_env("AWS_DEFAULT_REGION", self._region)
            self._endpoint = f"http://{host}:{port}"
            self._set_env("AWS_ENDPOINT_URL", self._endpoint)
            self._client = bucket_ops.s3_client(self._endpoint, self._region)
            self._embedded_bucket = self._fresh_bucket_name(self._client)
            self._client.create_bucket(Bucket=self.bucket)
        else:
            if self.settings.s3_endpoint:
                self._set_env("AWS_ENDPOINT_URL", self.settings.s3_endpoint)
            self._endpoint = os.environ.get("AWS_ENDPOINT_URL")
            self._client = bucket_ops.s3_client(self.settings.s3_endpoint, None)
            try:
                with bucket_ops.friendly_errors(self.bucket):
                    location = self._client.get_bucket_location(Bucket=self.bucket).get("LocationConstraint")
            except bucket_ops.BucketError as err:
                raise EmulatorError(str(err)) from None
            self._region = location or "us-east-1"
        self._origin = S3Origin(self._client, self.bucket)
        self._seed()

    def _seed(self) -> None:
        assert self._client is not None
        embedded = self.settings.bucket is None
        items: list[tuple[str, bytes, str]] = []
        if self.settings.originals is not None:
            items = list(_originals_from_dir(self.settings.originals, self.config, self.log))
        elif embedded:
            items = [(s.key, s.body, s.content_type) for s in sample_originals()]
        try:
            with bucket_ops.friendly_errors(self.bucket):
                for key, body, content_type in items:
                    if bucket_ops.upload(self._client, self.bucket, key, body, content_type, force=embedded):
                        self.seeded.append(key)
        except bucket_ops.BucketError as err:
            raise EmulatorError(str(err)) from None

    def _start_http(self) -> None:
        try:
            self._server = EdgeServer((self.settings.host, self.settings.port), EdgeRequestHandler)
        except OSError as err:
            raise EmulatorError(
                f"cannot listen on {self.settings.host}:{self.settings.port}: {err.strerror or err}"
            ) from None
        self._server.emulator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="imgedge-emulator", daemon=True
        )
        self._thread.start()

    def wait(self) -> None:
        """Block until the server stops (``KeyboardInterrupt`` propagates)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving, close every connection, stop the embedded S3 and restore the environment."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        _uninstall_router()
        self._restore_env()
        handler_s3_client.cache_clear()
        load_config.cache_clear()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- requests --

    def record(self, method: str, path: str, accept: str, response: EdgeResponse, sent: int) -> None:
        """Keep a request in ``records`` and log its line."""
        record = RequestRecord(
            time=time.time(),
            method=method,
            path=path,
            status=response.status,
            cache=response.cache,
            key=response.key,
            content_type=response.header("content-type"),
            bytes=sent,
            accept=accept,
            action=response.action,
            timings=dict(response.timings),
            problem=response.problem,
        )
        with self._records_lock:
            self.records.append(record)
        self.log(record.line())

    def recent(self, limit: int = 100) -> list[RequestRecord]:
        with self._records_lock:
            return list(self.records)[-limit:]

    def _call(self, handler: Handler, event: dict[str, Any], name: str) -> tuple[Any, list[dict[str, Any]], float]:
        started = perf_counter()
        with _captured_stdout() as lines:
            result = handler(copy.deepcopy(event), None)
        elapsed = _ms(started)
        records = _json_lines(lines)
        if self.settings.verbose:
            for line in lines:
                self.log(f"  {name} log: {line}")
        return result, records, elapsed

    def handle(self, method: str, path: str, header_pairs: list[tuple[str, str]], client_ip: str) -> EdgeResponse:
        """Run one viewer request through the distribution (no socket involved)."""
        started = perf_counter()
        event = viewer_request_event(method, path, header_pairs, client_ip, request_id())
        timings: list[tuple[str, float]] = []
        try:
            result, _, elapsed = self._call(self._viewer_handler, event, "viewer-request")
        except Exception as err:
            return self._failure("viewer-request raised " + _one_line(err), None, timings, started, error=err)
        timings.append(("viewer", elapsed))
        violations = contract.check(event, result)
        if violations:
            return self._violation("viewer-request", violations, None, timings, started)
        if contract.is_generated_response(result):
            return self._respond(result, b"", "LambdaGeneratedResponse", None, timings, started, action="")
        key = str(result["uri"])
        found = self.cache.get_with_age(key)
        if found is None:
            with self.cache.collapsed(key):
                found = self.cache.get_with_age(key)
                if found is None:
                    return self._miss(event, result, key, timings, started)
        cached, age = found
        timings.append(("total", _ms(started)))
        return EdgeResponse(
            age=int(age),
            status=cached.status,
            reason=cached.reason,
            headers=cached.headers,
            body=cached.body,
            cache="Hit",
            key=key,
            timings=tuple(timings),
            produced=cached.timings,
        )

    def _miss(
        self,
        viewer_event: dict[str, Any],
        request: dict[str, Any],
        key: str,
        timings: list[tuple[str, float]],
        started: float,
    ) -> EdgeResponse:
        assert self._origin is not None
        origin_headers = origin_request_headers(request, self.bucket, self._region)
        forward = {
            entries[0]["key"]: entries[0]["value"] for name, entries in origin_headers.items() if name == MARKER_HEADER
        }
        mark = perf_counter()
        try:
            answer = self._origin.get(key, forward)
        except OriginUnreachable as err:
            return self._failure("S3 unreachable: " + _one_line(err), key, timings, started, status=502)
        timings.append(("s3", _ms(mark)))
        event = origin_response_event(viewer_event, request, origin_headers, answer, self.bucket, self._region)
        try:
            result, records, elapsed = self._call(self._origin_handler, event, "origin-response")
        except Exception as err:
            return self._failure("origin-response raised " + _one_line(err), key, timings, started, error=err)
        timings.append(("origin", elapsed))
        log = records[-1] if records else {}
        render = sum(float(v) for k, v in log.items() if k.startswith("ms_") and k not in _NOT_RENDER)
        if render:
            timings.append(("render", round(render, 2)))
        violations = contract.check(event, result)
        if violations:
            return self._violation("origin-response", violations, key, timings, started)
        action = str(log.get("action", ""))
        response = self._respond(result, answer.body, "Miss", key, timings, started, action=action)
        self.cache.put(
            key,
            CachedResponse(response.status, response.reason, response.headers, response.body, response.timings),
        )
        return response

    def _respond(
        self,
        result: Mapping[str, Any],
        fallback_body: bytes,
        cache: str,
        key: str | None,
        timings: list[tuple[str, float]],
        started: float,
        *,
        action: str,
    ) -> EdgeResponse:
        status = int(result["status"])
        timings.append(("total", _ms(started)))
        return EdgeResponse(
            status=status,
            reason=str(result.get("statusDescription") or phrase(status)),
            headers=tuple(_result_headers(result.get("headers", {}))),
            body=_result_body(result, fallback_body),
            cache=cache,
            key=key,
            timings=tuple(timings),
            action=action,
        )

    def _violation(
        self,
        function: str,
        violations: list[contract.Violation],
        key: str | None,
        timings: list[tuple[str, float]],
        started: float,
    ) -> EdgeResponse:
        lines = [f"{function} result breaks the Lambda@Edge contract (CloudFront would answer 502):"]
        lines += [f"  {violation}" for violation in violations]
        return self._failure("\n".join(lines), key, timings, started, summary="; ".join(str(v) for v in violations))

    def _failure(
        self,
        message: str,
        key: str | None,
        timings: list[tuple[str, float]],
        started: float,
        *,
        status: int = 500,
        summary: str = "",
        error: BaseException | None = None,
    ) -> EdgeResponse:
        """A 500 (or ``status``) from the emulator itself, never cached; a handler's exception is logged in full."""
        timings.append(("total", _ms(started)))
        if error is not None:
            self.log("".join(traceback.format_exception(error)).rstrip())
        return EdgeResponse(
            status=status,
            reason=phrase(status),
            headers=(("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")),
            body=(message + "\n").encode("utf-8"),
            cache="Error",
            key=key,
            timings=tuple(timings),
            problem=summary or message,
        )

    # -- demo page data --

    def originals_info(self) -> list[dict[str, Any]]:
        """Every original (up to 60) with its bytes, content type and displayed (EXIF-oriented) size."""
        assert self._client is not None
        with bucket_ops.friendly_errors(self.bucket):
            originals = bucket_ops.list_originals(self._client, self.bucket, "", self.config)[:60]
        result = []
        for item in originals:
            cache_key = f"{item.key}\0{item.size}\0{item.last_modified}"
            info = self._originals_info.get(cache_key)
            if info is None:
                info = self._describe(item.key)
                self._originals_info[cache_key] = info
            result.append(info)
        return result

    def _describe(self, key: str) -> dict[str, Any]:
        assert self._client is not None
        answer = self._client.get_object(Bucket=self.bucket, Key=key)
        body = answer["Body"].read()
        info: dict[str, Any] = {
            "key": key,
            "url": encode_path(key),
            "bytes": len(body),
            "content_type": answer.get("ContentType", ""),
        }
        try:
            with Image.open(io.BytesIO(body)) as image:
                width, height = image.size
                if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                    width, height = height, width
                info.update(width=width, height=height, format=image.format)
        except Exception as err:  # any undecodable original is shown as such on the page
            info.update(width=None, height=None, format=None, error=_one_line(err))
        return info

    def config_info(self) -> dict[str, Any]:
        config = self.config
        return {
            "size_policy": config.size_policy.value,
            "sizes": list(config.sizes),
            "max_dimension": config.max_dimension,
            "qualities": list(config.qualities),
            "default_quality": dict(config.default_quality),
            "fits": [fit.value for fit in Fit],
            "formats": [choice.value for choice in FormatChoice],
            "gravities": [g.value for g in Gravity if g is not Gravity.FOCUS],
            "backgrounds": list(config.backgrounds),
            "blur_radii": list(BLUR_RADII),
            "dprs": ["1", "1.5", "2", "3", "4"],
            "presets": sorted(config.presets),
            "presets_only": config.presets_only,
            "bucket": self.bucket,
            "s3": "embedded moto" if self._moto is not None else (self.settings.s3_endpoint or "AWS S3"),
            "region": self._region,
        }


def _one_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}".replace("\n", " ")[:300]


def _originals_from_dir(
    directory: Path, config: Config, log: Callable[[str], None]
) -> Iterator[tuple[str, bytes, str]]:
    """``(key, body, content type)`` of each file under ``directory`` that can be an original; others are
    reported and skipped, and so is an image the edge refuses outright (over the byte or pixel limits: a
    decompression bomb); the first original under a spec-shaped folder gets ``namespace_warning``'s one line.
    Files that do not sniff as images are still seeded (to see their 4xx)."""
    if not directory.is_dir():
        raise EmulatorError(f"--originals {directory} is not a directory")
    warned = False
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        key = path.relative_to(directory).as_posix()
        if any(part.startswith(".") for part in key.split("/")):
            continue
        try:
            bucket_ops.check_original_key(key, config)
        except bucket_ops.BucketError as err:
            log(f"skipped {key}: {err}")
            continue
        warning = None if warned else namespace_warning(key, config)
        if warning is not None:
            log(warning)  # once: the advice is the same for every such original
            warned = True
        body = path.read_bytes()
        try:
            content_type = bucket_ops.sniff_content_type(body, config)
        except bucket_ops.RefusedImage as err:
            log(f"skipped {key}: {err}")
            continue
        except bucket_ops.NotAnImage:
            content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        yield key, body, content_type
