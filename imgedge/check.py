"""``imgedge check``: is a deployment working? End-to-end checks of a live distribution (or the emulator), from
outside, over plain HTTP(S).

``run_checks`` takes the distribution's base URL, optionally an original's path, a signing key and a WAF probe,
and returns one ``Check`` per property, in order. Each check sends its own requests (never following redirects)
and compares what comes back with what the edge pair promises:

- the original passes through (an image, no ``x-amz-meta-*`` header leaks);
- a missing original is a short-cached ``404 text/plain``, never S3's XML;
- the original's path is not under a spec-shaped folder while ``variant_prefix`` is unset (``namespace_warning``);
- a variant renders, and a second request for it is a cache hit (``X-Cache: Hit from cloudfront`` or an ``Age``);
- ``format=auto`` picks AVIF, WebP and the original's family by ``Accept``, as documented;
- variant responses carry ``Vary: Accept``, a long public ``Cache-Control``, the right ``Content-Type`` and an
  ``ETag`` that a conditional request turns into a 304;
- a bad parameter is a ``400 text/plain`` and is not rendered;
- a viewer-sent ``x-imgedge-original`` header changes nothing;
- with a signing key: an unsigned render is refused (403) and a signed one works;
- with a WAF probe: the probe request is refused (403).

A check whose inputs are missing (no path, no key, no probe) is ``skipped``, never passed. With the originals
bucket named (``versioning_check``, read with the caller's AWS credentials), an unversioned bucket is a
``warning``: a risk, never a failed run.
"""

from __future__ import annotations

import http.client
import secrets
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from edge.config import Config
from edge.keys import namespace_warning
from edge.marker import MARKER_HEADER
from edge.signing import signed_query

#: What each kind of client sends for an ``<img>``: a current browser, a WebP-only browser, a plain client.
ACCEPT_AVIF = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
ACCEPT_WEBP = "image/webp,image/apng,image/*,*/*;q=0.8"
ACCEPT_PLAIN = "*/*"
#: A variant is cached for at least a day when it passes this check.
MIN_VARIANT_MAX_AGE = 86_400
TIMEOUT_SECONDS = 30.0


class Outcome(StrEnum):
    """What a check found."""

    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    FAIL = "fail"
    SKIP = "skipped"
    WARN = "warning"  # a risk the operator chose or must fix, not a broken deployment: never fails the run


@dataclass(frozen=True)
class Check:
    """One property of the deployment: its name, the outcome and a one-line detail (what was seen)."""

    name: str
    outcome: Outcome
    detail: str


@dataclass(frozen=True)
class Answer:
    """One HTTP response: status, headers (names lowercased, first value of each) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    all_headers: tuple[tuple[str, str], ...] = field(default=())

    def header(self, name: str) -> str:
        """The header's value, or ``""`` when absent."""
        return self.headers.get(name.lower(), "")

    @property
    def content_type(self) -> str:
        return self.header("content-type").split(";")[0].strip().lower()


#: Sends one GET: (url, request headers) -> Answer. Raises ``OSError`` when the server cannot be reached.
Fetch = Callable[[str, Mapping[str, str]], Answer]


def http_get(url: str, headers: Mapping[str, str]) -> Answer:
    """GET ``url`` with ``headers`` over HTTP or HTTPS, without following redirects."""
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.netloc, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    elif parts.scheme == "http":
        connection = http.client.HTTPConnection(parts.netloc, timeout=TIMEOUT_SECONDS)
    else:
        raise OSError(f"not an http(s) URL: {url}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("GET", target, headers=dict(headers))
        response = connection.getresponse()
        body = response.read()
        pairs = tuple((name.lower(), value) for name, value in response.getheaders())
    finally:
        connection.close()
    first: dict[str, str] = {}
    for name, value in pairs:
        first.setdefault(name, value)
    return Answer(response.status, first, body, pairs)


def _family_type(path: str) -> str:
    """The Content-Type ``format=auto`` falls back to for an original at ``path`` (PNG for PNG/GIF sources)."""
    extension = path.rpartition(".")[2].lower()
    return "image/png" if extension in ("png", "gif") else "image/jpeg"


def _max_age(cache_control: str) -> int | None:
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().isdigit():
            return int(value.strip())
    return None


def _is_hit(answer: Answer) -> bool:
    return "hit" in answer.header("x-cache").lower() or answer.header("age").isdigit()


class _Checker:
    def __init__(self, base_url: str, fetch: Fetch) -> None:
        self.base = base_url.rstrip("/")
        self.fetch = fetch
        self.results: list[Check] = []

    def get(self, path_and_query: str, accept: str = ACCEPT_PLAIN, **extra: str) -> Answer:
        return self.fetch(self.base + path_and_query, {"Accept": accept, **extra})

    def record(self, name: str, ok: bool, detail: str) -> bool:
        self.results.append(Check(name, Outcome.PASS if ok else Outcome.FAIL, detail))
        return ok

    def skip(self, name: str, why: str) -> None:
        self.results.append(Check(name, Outcome.SKIP, why))


def _describe(answer: Answer) -> str:
    parts = [str(answer.status), answer.content_type or "no content-type", f"{len(answer.body)} bytes"]
    cache = answer.header("x-cache")
    if cache:
        parts.append(f"x-cache {cache}")
    return ", ".join(parts)


def run_checks(
    base_url: str,
    path: str | None = None,
    *,
    width: int = 300,
    signing_key: bytes | None = None,
    config: Config | None = None,
    waf_probe: str | None = None,
    fetch: Fetch = http_get,
) -> list[Check]:
    """Check the deployment at ``base_url`` end to end; see the module docstring for the list.

    ``path`` is an original's path (``/photos/cat.jpg``) the checks render from; ``width`` a width the size policy
    keeps; ``signing_key`` (with the deployment's ``config`` for the signature's canonical form) turns on the
    signing checks; ``waf_probe`` is a path and query the WAF must refuse. Raises ``OSError`` when the first
    request cannot reach the server.
    """
    config = config or Config()
    checker = _Checker(base_url, fetch)
    missing = f"/imgedge-check-{secrets.token_hex(6)}.jpg"
    gone = checker.get(missing)
    checker.record(
        "missing original is a 404",
        gone.status == 404 and gone.content_type == "text/plain" and b"<Error>" not in gone.body,
        f"{missing}: {_describe(gone)}",
    )
    bad = checker.get(f"{path or missing}?w=abc")
    checker.record(
        "bad parameter is a 400",
        bad.status == 400 and bad.content_type == "text/plain" and not bad.content_type.startswith("image/"),
        f"?w=abc: {_describe(bad)}: {bad.body[:80].decode('utf-8', 'replace').strip()}",
    )
    if path is None:
        for name in ("original passes through", "variant renders", "variant is cached", "negotiation",
                     "variant headers", "revalidation", "viewer marker ignored"):  # fmt: skip
            checker.skip(name, "give --path, an original's path, to check renders")
    else:
        _check_renders(checker, path, width, signing_key, config)
    if waf_probe is None:
        checker.skip("WAF refuses the probe", "give --waf-probe PATH?QUERY, a request the web ACL blocks")
    else:
        probe = checker.get(waf_probe if waf_probe.startswith("/") else "/" + waf_probe)
        checker.record("WAF refuses the probe", probe.status == 403, f"{waf_probe}: {_describe(probe)}")
    return checker.results


def _check_renders(checker: _Checker, path: str, width: int, signing_key: bytes | None, config: Config) -> None:
    if not path.startswith("/"):
        path = "/" + path
    warning = namespace_warning(path.lstrip("/").partition("?")[0], config)
    if warning is not None:  # viewer-request refuses image parameters there: every render check would fail
        checker.record("original outside variant folders", False, warning)
    original = checker.get(path)
    leaked = sorted(name for name, _ in original.all_headers if name.startswith("x-amz-meta-"))
    checker.record(
        "original passes through",
        original.status == 200 and original.content_type.startswith("image/") and not leaked,
        _describe(original) + (f"; leaks {', '.join(leaked)}" if leaked else ""),
    )
    query = f"w={width}"
    if signing_key is not None:
        unsigned = checker.get(f"{path}?{query}", ACCEPT_AVIF)
        checker.record("unsigned render refused", unsigned.status == 403, f"?{query}: {_describe(unsigned)}")
        query = signed_query(path, query, signing_key, config)
    else:
        checker.skip("unsigned render refused", "give --key-file or --secret-id to check signing")
    first = checker.get(f"{path}?{query}", ACCEPT_AVIF)
    rendered = checker.record(
        "variant renders", first.status == 200 and first.content_type.startswith("image/"), _describe(first)
    )
    if signing_key is not None:
        checker.record("signed render works", rendered, f"?{query}: {first.status}")
    else:
        checker.skip("signed render works", "give --key-file or --secret-id to check signing")
    if not rendered:
        for name in ("variant is cached", "negotiation", "variant headers", "revalidation", "viewer marker ignored"):
            checker.skip(name, "the variant did not render")
        return
    second = checker.get(f"{path}?{query}", ACCEPT_AVIF)
    checker.record(
        "variant is cached",
        second.status == 200 and _is_hit(second) and second.body == first.body,
        f"first: {first.header('x-cache') or 'no x-cache'}; second: {second.header('x-cache') or 'no x-cache'}, "
        f"age {second.header('age') or '-'}",
    )
    webp = checker.get(f"{path}?{query}", ACCEPT_WEBP)
    plain = checker.get(f"{path}?{query}", ACCEPT_PLAIN)
    family = _family_type(path)
    seen = f"avif-capable: {first.content_type}; webp-only: {webp.content_type}; plain: {plain.content_type}"
    checker.record(
        "negotiation",
        (first.content_type, webp.content_type, plain.content_type) == ("image/avif", "image/webp", family),
        seen + f" (expected image/avif, image/webp, {family})",
    )
    _check_variant_headers(checker, {"avif": first, "webp": webp, "plain": plain})
    etag = first.header("etag")
    if etag:
        again = checker.get(f"{path}?{query}", ACCEPT_AVIF, **{"If-None-Match": etag})
        checker.record("revalidation", again.status == 304 and not again.body, f"If-None-Match {etag}: {again.status}")
    else:
        checker.skip("revalidation", "the variant has no ETag")
    _check_marker(checker, path, width, signing_key, config)


def _check_variant_headers(checker: _Checker, answers: Mapping[str, Answer]) -> None:
    """``Vary: Accept``, a long public ``Cache-Control`` and an ``ETag`` on each negotiated variant response."""
    problems = []
    for label, answer in answers.items():
        vary = {token.strip().lower() for token in answer.header("vary").split(",")}
        if "accept" not in vary:
            problems.append(f"{label}: no Vary: Accept")
        cache_control = answer.header("cache-control")
        max_age = _max_age(cache_control)
        if "public" not in cache_control.lower() or max_age is None or max_age < MIN_VARIANT_MAX_AGE:
            problems.append(f"{label}: Cache-Control {cache_control!r}")
        if not answer.header("etag"):
            problems.append(f"{label}: no ETag")
    checker.record("variant headers", not problems, "; ".join(problems) or "Vary, Cache-Control, ETag as documented")


def _check_marker(checker: _Checker, path: str, width: int, signing_key: bytes | None, config: Config) -> None:
    """A viewer-sent marker header changes nothing."""
    # A forged marker naming a missing original, on a variant of its own (a miss on the first run): honoured, it
    # would make origin-response look for that original and answer 404; ignored, the variant renders.
    png_query = f"w={width}&format=png"
    if signing_key is not None:
        png_query = signed_query(path, png_query, signing_key, config)
    marked = checker.get(f"{path}?{png_query}", ACCEPT_AVIF, **{MARKER_HEADER: "/imgedge-check-forged.jpg"})
    unmarked = checker.get(f"{path}?{png_query}", ACCEPT_AVIF)
    checker.record(
        "viewer marker ignored",
        marked.status == 200 and marked.content_type == "image/png" and marked.body == unmarked.body,
        f"forged {MARKER_HEADER}: {_describe(marked)}",
    )


def versioning_check(bucket: str, status: str | None) -> Check:
    """The row for the originals bucket's versioning, from S3's ``GetBucketVersioning`` ``Status`` (``None`` when
    versioning was never enabled): a pass when ``Enabled``, else a warning naming what to do (the bucket holds
    the only copy of every original; the stack's outputs say how to turn versioning on for an imported bucket)."""
    if status == "Enabled":
        return Check("originals bucket versioned", Outcome.PASS, f"s3://{bucket}: versioning Enabled")
    return Check(
        "originals bucket versioned",
        Outcome.WARN,
        f"s3://{bucket}: versioning {status or 'never enabled'}: an overwritten or deleted original cannot be"
        " recovered (aws s3api put-bucket-versioning --versioning-configuration Status=Enabled)",
    )
