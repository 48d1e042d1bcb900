"""The request flow of the emulator: one viewer request through the distribution, without sockets.

``RequestFlow.handle`` runs steps 1 to 4 of the package docstring (viewer-request, the cache, S3, origin-response),
checks each handler result against the Lambda@Edge contract, and answers an ``EdgeResponse``; ``record`` keeps and
logs a ``RequestRecord``. The handlers are built for each request with the emulator's configuration and a log sink
(``make_handler``, as the functions' composition roots build them): the flow reads the render timings from the
origin-response record, and echoes each record when ``verbose`` is set.

``RequestFlow`` is a part of ``Emulator``: the process lifecycle (``imgedge.emulator.lifecycle``) sets the
attributes it declares.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

from edge.config import Config
from edge.marker import MARKER_HEADER
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
from origin_response.handler import make_handler as make_origin_handler
from viewer_request.handler import make_handler as make_viewer_handler

if TYPE_CHECKING:
    from imgedge.emulator.settings import Settings

Handler = Callable[[dict[str, Any], Any], Any]

# Headers the emulator computes itself when sending, whatever a handler or S3 said.
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
# origin-response timings that are not render stages.
_NOT_RENDER = frozenset({"ms_fetch", "ms_store", "ms_total"})


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


def one_line(err: BaseException) -> str:
    """``err`` as one line of at most 300 characters, with its type."""
    return f"{type(err).__name__}: {err}".replace("\n", " ")[:300]


class RequestFlow:
    """The distribution's request path: ``handle`` a request, ``record`` it, read the ``recent`` ones."""

    settings: Settings
    log: Callable[[str], None]
    cache: ResponseCache
    records: deque[RequestRecord]
    _records_lock: threading.Lock
    config: Config
    _viewer_handler: Handler | None
    _origin_handler: Handler | None
    _origin: S3Origin | None
    _region: str

    @property
    def bucket(self) -> str:
        """The bucket behind the distribution (the lifecycle's)."""
        raise NotImplementedError

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

    def _call(
        self, injected: Handler | None, event: dict[str, Any], name: str
    ) -> tuple[Any, list[dict[str, Any]], float]:
        """Run the ``name`` function on ``event``: ``injected`` (a test's), else the real handler built for
        ``config`` with a sink that collects its log records."""
        records: list[dict[str, Any]] = []

        def sink(function: str, fields: dict[str, Any]) -> None:
            records.append({"fn": function, **fields})
            if self.settings.verbose:
                self.log(f"  {name} log: {json.dumps(records[-1], default=str)}")

        if injected is not None:
            handler = injected
        elif name == "viewer-request":
            handler = make_viewer_handler(self.config, log=sink)
        else:
            handler = make_origin_handler(self.config, log=sink)
        started = perf_counter()
        result = handler(copy.deepcopy(event), None)
        return result, records, _ms(started)

    def handle(self, method: str, path: str, header_pairs: list[tuple[str, str]], client_ip: str) -> EdgeResponse:
        """Run one viewer request through the distribution (no socket involved)."""
        started = perf_counter()
        event = viewer_request_event(method, path, header_pairs, client_ip, request_id())
        timings: list[tuple[str, float]] = []
        try:
            result, _, elapsed = self._call(self._viewer_handler, event, "viewer-request")
        except Exception as err:
            return self._failure("viewer-request raised " + one_line(err), None, timings, started, error=err)
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
            return self._failure("S3 unreachable: " + one_line(err), key, timings, started, status=502)
        timings.append(("s3", _ms(mark)))
        event = origin_response_event(viewer_event, request, origin_headers, answer, self.bucket, self._region)
        try:
            result, records, elapsed = self._call(self._origin_handler, event, "origin-response")
        except Exception as err:
            return self._failure("origin-response raised " + one_line(err), key, timings, started, error=err)
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
