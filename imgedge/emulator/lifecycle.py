"""The emulator's process lifecycle: ``Emulator`` starts S3 (an embedded moto server, another S3-compatible
endpoint, or real S3), seeds it, sets the environment the handlers read, serves HTTP on a thread, and stops it all
again. Requests go through ``RequestFlow`` (``imgedge.emulator.flow``); the demo page reads ``DemoApi``
(``imgedge.emulator.demo_api``).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.config import Config
from edge.keys import namespace_warning
from edge.store import s3_client as handler_s3_client
from imgedge import bucket as bucket_ops
from imgedge.cache import ResponseCache
from imgedge.cloudfront import S3Origin
from imgedge.emulator.demo_api import DemoApi
from imgedge.emulator.flow import Handler, RequestFlow, RequestRecord
from imgedge.emulator.settings import Settings
from imgedge.local_config import load_local_config
from imgedge.samples import sample_originals
from imgedge.server import EdgeRequestHandler, EdgeServer

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
else:
    S3Client = Any

EMBEDDED_BUCKET = "imgedge-local"
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class EmulatorError(Exception):
    """The emulator cannot start (port taken, bucket missing, bad configuration...)."""


class Emulator(RequestFlow, DemoApi):
    """CloudFront in front of S3 with the two imgedge functions; see the ``imgedge.emulator`` docstring.

    ``viewer_handler`` and ``origin_handler`` default to the real handlers, built for the emulator's configuration
    (``make_handler``; tests inject broken ones).
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
        self._viewer_handler: Handler | None = viewer_handler
        self._origin_handler: Handler | None = origin_handler
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
        try:
            self.config = load_local_config(self.settings.config_path)
        except (ValueError, OSError) as err:
            raise EmulatorError(f"configuration: {err}") from None

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
        self._restore_env()
        handler_s3_client.cache_clear()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


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
