"""Fixtures shared by the tests of the core and the end-to-end tests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from bot.cms.client import CMSClient
from bot.local.sandbox import CMSSandbox
from bot.recording import Recorder
from bot.store import Store
from tests.support.live_app import cms_client

# CI replays the same examples every run (a failure there is reproducible, and a submission
# never fails on a new random draw); a developer's runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

#: A fixed "now" for tests of the core: Friday 27 November 2026, 10:00 in London.
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sandbox() -> Iterator[CMSSandbox]:
    with CMSSandbox() as cms:
        yield cms


def sandbox_client(sandbox: CMSSandbox, **kwargs: Any) -> CMSClient:
    """A real client talking over HTTP to the running sandbox (see `tests.support.live_app`)."""
    return cms_client(sandbox, **kwargs)


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
