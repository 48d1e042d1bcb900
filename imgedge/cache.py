"""The emulator's edge cache: responses keyed by the rewritten URI, kept as long as their Cache-Control says.

CloudFront's cache key under the CachingOptimized policy is the URI that viewer-request leaves (no query
string, cookie or header), so every viewer URL that rewrites to ``/300/photos/cat.avif`` shares one entry.
Concurrent misses on one key are collapsed: the first request goes to the origin, the others wait for it and
are served its cached answer (CloudFront does the same), so a burst of requests for a new variant renders it
once.
"""

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: CachingOptimized's default TTL, used for a 200 without max-age or s-maxage.
DEFAULT_TTL = 86_400.0
#: CloudFront's default error-caching minimum TTL, used for a 404 without max-age or s-maxage.
ERROR_TTL = 10.0
_DIRECTIVE = re.compile(r"\s*([A-Za-z-]+)\s*(?:=\s*\"?([^,\"]*)\"?)?\s*(?:,|$)")


@dataclass(frozen=True)
class CachedResponse:
    """A response as the edge sends it: status, headers (name, value) in order, the full body.

    ``timings`` are the milliseconds each stage took when the entry was produced (shown again on hits).
    """

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    timings: tuple[tuple[str, float], ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or ``None``."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


def cache_directives(value: str | None) -> dict[str, str]:
    """The directives of a Cache-Control header, names lowercased (``{"max-age": "60", "public": ""}``)."""
    result: dict[str, str] = {}
    for match in _DIRECTIVE.finditer(value or ""):
        if match.group(1):
            result.setdefault(match.group(1).lower(), match.group(2) or "")
    return result


def _seconds(text: str | None) -> float | None:
    if text is None or not text.strip().isdigit():
        return None
    return float(text.strip())


def ttl_for(status: int, cache_control: str | None) -> float:
    """Seconds CloudFront keeps a response, 0 for not at all.

    ``no-store``, ``no-cache`` and ``private`` are not cached (the distribution's minimum TTL is taken as 0);
    a 5xx never is; ``s-maxage`` wins over ``max-age``; without either a 200 gets ``DEFAULT_TTL``, a 404
    ``ERROR_TTL`` and anything else is not cached (CloudFront caches 400 and 403 only with an explicit max-age).
    """
    if status >= 500:
        return 0.0
    directives = cache_directives(cache_control)
    if {"no-store", "no-cache", "private"} & directives.keys():
        return 0.0
    explicit = _seconds(directives.get("s-maxage"))
    if explicit is None:
        explicit = _seconds(directives.get("max-age"))
    if explicit is not None:
        return explicit
    if status == 200:
        return DEFAULT_TTL
    return ERROR_TTL if status == 404 else 0.0


@dataclass
class _Entry:
    response: CachedResponse
    stored: float
    expires: float


@dataclass
class _KeyLock:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


class ResponseCache:
    """A thread-safe in-memory cache with per-key request collapsing; ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._key_locks: dict[str, _KeyLock] = {}

    def get(self, key: str) -> CachedResponse | None:
        """The fresh entry for ``key``, or ``None`` (expired entries are dropped)."""
        found = self.get_with_age(key)
        return None if found is None else found[0]

    def get_with_age(self, key: str) -> tuple[CachedResponse, float] | None:
        """The fresh entry for ``key`` and the seconds since it was stored (CloudFront's ``Age``), or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            now = self._clock()
            if entry.expires <= now:
                del self._entries[key]
                return None
            return entry.response, now - entry.stored

    def put(self, key: str, response: CachedResponse) -> float:
        """Store ``response`` under ``key`` for as long as its status and Cache-Control allow; returns that TTL."""
        ttl = ttl_for(response.status, response.header("cache-control"))
        if ttl > 0:
            with self._lock:
                now = self._clock()
                self._entries[key] = _Entry(response, now, now + ttl)
        return ttl

    @contextmanager
    def collapsed(self, key: str) -> Iterator[None]:
        """Hold the per-key lock: one origin fetch per key at a time (the others wait, then find the entry)."""
        with self._lock:
            holder = self._key_locks.setdefault(key, _KeyLock())
            holder.users += 1
        try:
            with holder.lock:
                yield
        finally:
            with self._lock:
                holder.users -= 1
                if holder.users == 0:
                    del self._key_locks[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)
