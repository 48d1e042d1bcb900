"""The edge cache: TTLs from Cache-Control as CloudFront applies them, expiry, and request collapsing."""

import threading
import time

import pytest

from imgedge.cache import DEFAULT_TTL, ERROR_TTL, CachedResponse, ResponseCache, cache_directives, ttl_for


@pytest.mark.parametrize(
    ("status", "cache_control", "ttl"),
    [
        (200, "public, max-age=31536000, immutable", 31536000),
        (200, "max-age=60, s-maxage=600", 600),
        (200, None, DEFAULT_TTL),
        (200, "no-store", 0),
        (200, "no-cache", 0),
        (200, "private, max-age=60", 0),
        (302, "no-store", 0),
        (400, "public, max-age=60", 60),
        (400, None, 0),
        (403, None, 0),
        (404, None, ERROR_TTL),
        (404, "public, max-age=60", 60),
        (500, "max-age=600", 0),
        (503, "no-store", 0),
    ],
)
def test_ttl_for(status: int, cache_control: str | None, ttl: float) -> None:
    assert ttl_for(status, cache_control) == ttl


def test_cache_directives() -> None:
    assert cache_directives('public, Max-Age=60, community="UCI"') == {
        "public": "",
        "max-age": "60",
        "community": "UCI",
    }


def response(cache_control: str, status: int = 200) -> CachedResponse:
    return CachedResponse(status, "OK", (("Cache-Control", cache_control),), b"body")


def test_entries_expire() -> None:
    now = [1000.0]
    cache = ResponseCache(clock=lambda: now[0])
    assert cache.put("/300/a.avif", response("max-age=10")) == 10
    assert cache.get("/300/a.avif") is not None
    now[0] += 10
    assert cache.get("/300/a.avif") is None
    assert len(cache) == 0


def test_uncacheable_responses_are_not_stored() -> None:
    cache = ResponseCache()
    cache.put("/a", response("no-store"))
    cache.put("/b", response("max-age=60", status=503))
    assert cache.keys() == []


def test_collapsed_serialises_one_key_only() -> None:
    cache = ResponseCache()
    inside: list[str] = []
    peak = [0]
    lock = threading.Lock()

    def work(key: str) -> None:
        with cache.collapsed(key):
            with lock:
                inside.append(key)
                peak[0] = max(peak[0], inside.count("same"))
            time.sleep(0.02)
            with lock:
                inside.remove(key)

    threads = [threading.Thread(target=work, args=("same",)) for _ in range(5)]
    threads += [threading.Thread(target=work, args=(f"other-{n}",)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 1
    assert cache._key_locks == {}  # released locks are dropped
