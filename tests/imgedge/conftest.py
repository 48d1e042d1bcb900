"""Fixtures of the local tools' tests: an emulator on a real loopback socket, and a small HTTP client."""

import http.client
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from edge.config import CONFIG_ENV_VAR
from imgedge.emulator import Emulator, Settings

CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(base_url: str, path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Reply:
    """One request with http.client: redirects are not followed, 4xx/5xx are returned, 30 s timeout."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width x height`` RGB, with almost no image data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator per module: embedded moto seeded with the samples, default configuration, free port."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(CONFIG_ENV_VAR, raising=False)
        lines: list[str] = []
        with Emulator(Settings(port=0), log=lines.append) as running:
            yield running
