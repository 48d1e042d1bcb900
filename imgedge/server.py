"""The emulator's HTTP front: a threaded server that hands CloudFront paths to ``Emulator.handle`` and serves the
demo page (``/``) and its assets and JSON (``/_imgedge/...``) itself."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from imgedge import bucket as bucket_ops
from imgedge.cloudfront import VIA, phrase
from imgedge.conditional import NOT_MODIFIED_HEADERS, byte_range, not_modified
from imgedge.emulator.flow import EdgeResponse, RequestRecord
from imgedge.emulator.settings import Settings


class EdgeApp(Protocol):
    """What the HTTP front uses of the emulator (``imgedge.emulator.Emulator``), so that this module and the
    emulator's lifecycle, which starts this server, never import each other."""

    @property
    def settings(self) -> Settings: ...

    @property
    def log(self) -> Callable[[str], None]: ...

    def handle(self, method: str, path: str, header_pairs: list[tuple[str, str]], client_ip: str) -> EdgeResponse: ...

    def record(self, method: str, path: str, accept: str, response: EdgeResponse, sent: int) -> None: ...

    def recent(self, limit: int = 100) -> list[RequestRecord]: ...

    def originals_info(self) -> list[dict[str, Any]]: ...

    def config_info(self) -> dict[str, Any]: ...


STATIC_DIR = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def server_timing(cache: str, timings: tuple[tuple[str, float], ...], produced: tuple[tuple[str, float], ...]) -> str:
    """The ``Server-Timing`` header: the cache outcome, this request's stages, and on a hit how the cached
    entry was produced (``miss-*`` metrics)."""
    parts = [f'cache;desc="{cache}"']
    parts += [f"{name};dur={ms:.2f}" for name, ms in timings]
    if cache == "Hit":
        parts += [f"miss-{name};dur={ms:.2f}" for name, ms in produced if name in ("render", "origin")]
    return ", ".join(parts)


class EdgeServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` that tracks its connections, so that ``close_connections`` can end keep-alives."""

    daemon_threads = True
    emulator: EdgeApp

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EdgeRequestHandler(BaseHTTPRequestHandler):
    """One viewer connection (HTTP/1.1 keep-alive): GET and HEAD go through the edge; other methods get the 403
    CloudFront answers for methods a behaviour does not allow."""

    protocol_version = "HTTP/1.1"
    server_version = "imgedge-emulator"
    sys_version = ""
    timeout = 30
    # Headers and body leave in two writes; with Nagle's algorithm on, the second waits for the client's delayed
    # ACK (~40 ms) on every keep-alive response.
    disable_nagle_algorithm = True
    server: EdgeServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the emulator logs one line per request itself."""

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _refuse_method(self) -> None:
        body = b"This distribution is not configured to allow the HTTP request method that was used for this request.\n"
        self._send(403, "Forbidden", [("Content-Type", "text/plain")], body, head=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _serve(self, *, head: bool) -> None:
        emulator = self.server.emulator
        path = self.path
        if path == "/" or path.startswith(("/?", "/_imgedge/")):
            self._serve_demo(path, head=head)
            return
        pairs = list(self.headers.items())
        response = emulator.handle(self.command, path, pairs, self.client_address[0])
        headers = list(response.headers)
        headers += [
            *response.edge_headers(),
            ("X-Imgedge-Cache", response.cache),
            ("Server-Timing", server_timing(response.cache, response.timings, response.produced)),
            ("Via", VIA),
        ]
        if response.key:
            headers.append(("X-Imgedge-Key", response.key))
        status, reason, body, headers = self._conditional(response.status, response.reason, response.body, headers)
        # Recorded before sending, so that whoever got the response also finds its record.
        sent = 0 if head or status == 304 else len(body)
        emulator.record(self.command, path, self.headers.get("Accept", ""), response, sent)
        self._send(status, reason, headers, body, head=head)

    def _conditional(
        self, status: int, reason: str, body: bytes, headers: list[tuple[str, str]]
    ) -> tuple[int, str, bytes, list[tuple[str, str]]]:
        """A 200 answered as CloudFront answers conditional and range requests from its cache
        (``imgedge.conditional``): 304, 206 or 416; any other response unchanged."""
        if status != 200:
            return status, reason, body, headers
        found = {name.lower(): value for name, value in reversed(headers)}
        etag, last_modified = found.get("etag"), found.get("last-modified")
        if not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, last_modified):
            emulator_headers = ("x-cache", "age", "x-imgedge-cache", "x-imgedge-key", "server-timing", "via")
            kept = [(n, v) for n, v in headers if n.lower() in NOT_MODIFIED_HEADERS or n.lower() in emulator_headers]
            return 304, "Not Modified", b"", kept
        if self.command != "GET":
            return status, reason, body, headers
        wanted = byte_range(self.headers.get("Range"), self.headers.get("If-Range"), etag, last_modified, len(body))
        if wanted is None:
            return status, reason, body, headers
        if not wanted.satisfiable:
            plain = [(n, v) for n, v in headers if n.lower() not in ("content-type", "etag", "last-modified")]
            return 416, "Range Not Satisfiable", b"", [*plain, ("Content-Range", wanted.content_range)]
        part = body[wanted.first : wanted.last + 1]
        return 206, "Partial Content", part, [*headers, ("Content-Range", wanted.content_range)]

    def _send(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes, *, head: bool) -> int:
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)
            return len(body)
        return 0

    def _serve_demo(self, path: str, *, head: bool) -> None:
        emulator = self.server.emulator
        route = path.partition("?")[0]
        status, content_type, body = 200, "application/json", b""
        try:
            if route == "/":
                content_type, body = _STATIC_TYPES[".html"], (STATIC_DIR / "index.html").read_bytes()
            elif route == "/_imgedge/originals":
                body = json.dumps(emulator.originals_info()).encode()
            elif route == "/_imgedge/config":
                body = json.dumps(emulator.config_info()).encode()
            elif route == "/_imgedge/log":
                body = json.dumps([asdict(r) for r in emulator.recent()]).encode()
            elif route.startswith("/_imgedge/static/") and route.count("/") == 3:
                file = STATIC_DIR / route.rsplit("/", 1)[1]
                if file.suffix not in _STATIC_TYPES or not file.is_file():
                    raise FileNotFoundError(route)
                content_type, body = _STATIC_TYPES[file.suffix], file.read_bytes()
            else:
                raise FileNotFoundError(route)
        except FileNotFoundError:
            status, content_type, body = 404, "text/plain; charset=utf-8", b"not found\n"
        except bucket_ops.BucketError as err:
            status, content_type, body = 502, "text/plain; charset=utf-8", f"{err}\n".encode()
        headers = [("Content-Type", content_type), ("Cache-Control", "no-cache")]
        self._send(status, phrase(status), headers, body, head=head)
        if emulator.settings.verbose:
            emulator.log(f"{self.command} {path} {status} (demo)")
