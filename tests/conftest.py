"""Fixtures shared by the tests of the core and the end-to-end tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.cms.client import CMSClient
from bot.cms.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.recording import Recorder
from bot.store import Store

#: A fixed "now" for tests of the core: Friday 27 November 2026, 10:00 in London.
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sandbox() -> Iterator[CMSSandbox]:
    with CMSSandbox() as cms:
        yield cms


def sandbox_client(sandbox: CMSSandbox, **kwargs: object) -> CMSClient:
    """A real client talking over HTTP to the running sandbox."""
    http = httpx.Client(base_url=sandbox.base_url, timeout=httpx.Timeout(5.0, connect=2.0))
    client = CMSClient(
        http,
        api_id=SANDBOX_API_ID,
        secret_key=SANDBOX_SECRET_KEY,
        diocese_id=SANDBOX_DIOCESE_ID,
        **kwargs,  # type: ignore[arg-type]
    )
    client.reconcile_settle = 0.0  # the sandbox commits before it answers
    return client


@pytest.fixture
def cms(sandbox: CMSSandbox) -> Iterator[CMSClient]:
    client = sandbox_client(sandbox)
    yield client
    client.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "log.db") as s:
        yield s


@pytest.fixture
def recorder(store: Store, cms: CMSClient) -> Iterator[Recorder]:
    rec = Recorder(store, cms, retry_delays=(0.05, 0.05))
    yield rec
    rec.stop()
