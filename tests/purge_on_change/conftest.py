"""Fixtures of the purge-on-change tests: a moto distribution, and the function composed for a test."""

from collections.abc import Callable, Iterator

import pytest

from edge.config import Config
from purge_on_change import handler as purge_module
from purge_on_change.handler import DISTRIBUTION_ENV_VAR
from tests.conftest import (
    DEFAULT_CONFIG,
    CloudFrontClient,
    ConfigSetter,
    Handler,
    Handlers,
    S3Client,
    create_distribution,
)

Purge = Callable[..., Handler]


@pytest.fixture
def distribution(s3: S3Client) -> str:
    """A moto CloudFront distribution in front of the test bucket; its id."""
    return create_distribution()


@pytest.fixture
def clients(s3: S3Client) -> tuple[S3Client, CloudFrontClient]:
    """The function's S3 and CloudFront clients (moto), made by the code of its own (``_clients``: standard
    retries, a pool as large as the purge's workers) but not through its per-container cache: the test's own."""
    return purge_module._clients.__wrapped__()


@pytest.fixture
def purge(handlers: Handlers, distribution: str, clients: tuple[S3Client, CloudFrontClient]) -> Purge:
    """``purge(config)``: the purge-on-change handler of ``config`` (default: the defaults), invalidating in
    ``distribution``, with ``clients``."""

    def compose(config: Config = DEFAULT_CONFIG) -> Handler:
        return handlers.purge(config, distribution_id=distribution, clients=lambda: clients)

    return compose


@pytest.fixture
def warming(handlers: Handlers, distribution: str, clients: tuple[S3Client, CloudFrontClient]) -> Purge:
    """``warming(config)``: the purge-on-change handler of ``config`` with warming (``purge_on_change.warming``'s
    composition), invalidating in ``distribution``, with ``clients``."""

    def compose(config: Config) -> Handler:
        return handlers.warming(config, distribution_id=distribution, clients=lambda: clients)

    return compose


@pytest.fixture
def new_container(
    bundled_config: ConfigSetter, distribution: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfigSetter]:
    """For the Lambda entry points: ``bundled_config``, the distribution in ``IMGEDGE_DISTRIBUTION_ID`` and no
    clients cached in the container yet."""
    monkeypatch.setenv(DISTRIBUTION_ENV_VAR, distribution)
    purge_module._clients.cache_clear()
    yield bundled_config
    purge_module._clients.cache_clear()
