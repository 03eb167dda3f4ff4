"""Fixtures shared by the tests, once; and the rule that marks the slow ones.

The stand-ins each run a real server on 127.0.0.1: `sandbox` (the CMS), `slack` (Slack's Web
API), and `app` (the Bolt app behind waitress, pointed at both). Every test that uses one of
them, directly or through another fixture, talks over sockets and is marked `slow` by
`pytest_collection_modifyitems` below; tests that start a process or a server of their own
are marked in their module. `pytest -m "not slow"` is the fast loop.
"""

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
from bot.local.slack_standin import SlackStandIn
from bot.recording import Recorder
from bot.store import Store
from tests.support.fast_guard import guard
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, cms_client, live_app
from tests.support.repo import load_manifest

# CI replays the same examples every run (a failure there is reproducible, and a submission
# never fails on a new random draw); a developer's runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

#: A fixed "now" for tests of the core: Friday 27 November 2026, 10:00 in London.
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)

#: Fixtures that start a server on 127.0.0.1 (or a process); a test using any of them, even
#: through another fixture, waits on the network and is slow.
NETWORK_FIXTURES = frozenset({"sandbox", "slack", "app"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NETWORK_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_means_no_process_and_no_socket(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test left in the fast loop fails if it starts a process or opens a socket."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    with guard():
        yield


# ---------------------------------------------------------------------- the stand-ins


@pytest.fixture
def sandbox() -> Iterator[CMSSandbox]:
    """The CMS sandbox, serving on a free port."""
    with CMSSandbox() as cms:
        yield cms


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """The Slack Web API stand-in, serving on a free port."""
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def app(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    """The real app over HTTP with its defaults, on a fresh log, talking to `slack` and
    `sandbox`. Modules that need it set up otherwise define their own `app`."""
    with live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


# ---------------------------------------------------------------------- the core


@pytest.fixture
def cms(sandbox: CMSSandbox) -> Iterator[CMSClient]:
    """A real client over HTTP to `sandbox`."""
    client = cms_client(sandbox)
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


# ---------------------------------------------------------------------- the docs


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    """`manifest.yml`, loaded once."""
    return load_manifest()
