"""The real app, in process, over HTTP on 127.0.0.1: for the fault, hostile-input and secrets
tests (and `bench/bench_load.py`).

`live_app(...)` starts the Bolt app behind waitress with its own store, recorder and CMS
client, pointed at a running `SlackStandIn` and `CMSSandbox`, and closes everything it
started on the way out. Start it again on the same database to play a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.cms.client import CMSClient
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import Message, SlackStandIn
from bot.recording import Recorder
from bot.settings import Settings, load_settings
from bot.slack.app import SlackBot, create_app
from bot.slack.server import HttpServer
from bot.store import Store, Submission
from tests.support.slack_harness import CHANNEL_ID, USER_ID, SlackHarness

T = TypeVar("T")

SECRET = "live-app-signing-secret-5b0c"
TOKEN = "xoxb-live-app-token-77a1"

#: The record form filled in with the least it needs: Joan Ellison, Safeguarding Foundations.
JOAN = {"contact_id": ("Joan Ellison", "1042"), "course_id": ("Safeguarding Foundations", "2")}


@dataclass
class LiveApp:
    slack: SlackStandIn
    sandbox: CMSSandbox
    settings: Settings
    bot: SlackBot
    server: HttpServer
    harness: SlackHarness
    store: Store
    recorder: Recorder

    def open_form(self, text: str = "") -> dict[str, Any]:
        """Run the command and return the modal it opened."""
        before = len(self.slack.calls("views.open", ok=True))
        response = self.harness.command(text)
        assert response.status_code == 200, response.text
        calls = self.slack.wait_for("views.open", count=before + 1, ok=True)
        view: dict[str, Any] = calls[-1].response["view"]
        return view

    def submit(self, values: dict[str, Any], view: dict[str, Any] | None = None) -> Submission:
        """Open the form (unless `view` is given), submit `values`; the stored submission."""
        view = view or self.open_form()
        answer = self.harness.view_submission(view, values)
        assert answer.status_code == 200
        assert answer.json() == {"response_action": "clear"}, answer.text
        return self.store.recent(1)[0]

    def thread(self, timeout: float = 10.0) -> tuple[Message, list[Message]]:
        """Wait for the newest parent message to have a reply; return it and its replies."""

        def found() -> tuple[Message, list[Message]] | None:
            tops = parents(self.slack)
            if not tops:
                return None
            replies = self.slack.messages(CHANNEL_ID, thread_ts=tops[-1].ts)
            replies = [r for r in replies if r.ts != tops[-1].ts]
            return (tops[-1], replies) if replies else None

        return wait_until(found, timeout=timeout, what="a thread reply")

    def settled(self, submission_id: int, timeout: float = 20.0) -> Submission:
        """Wait until the submission is final and its outcome told; return it."""
        return wait_until(
            lambda: _settled(self.store.get(submission_id)),
            timeout=timeout,
            what=f"submission {submission_id} to be final and reported",
        )


def _settled(submission: Submission) -> Submission | None:
    return submission if submission.state.final and submission.reported else None


def wait_until(check: Callable[[], T | None], *, timeout: float = 20.0, what: str = "") -> T:
    """Poll `check` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(0.02)


def cms_client(
    sandbox: CMSSandbox,
    *,
    timeout: float = 5.0,
    api_id: str = SANDBOX_API_ID,
    secret_key: str = SANDBOX_SECRET_KEY,
    diocese_id: int = SANDBOX_DIOCESE_ID,
    settle: float = 0.0,
    **kwargs: Any,
) -> CMSClient:
    """A real client over HTTP to the running sandbox, with a read timeout of `timeout` and
    no settle pause on lost writes (`settle`)."""
    http = httpx.Client(base_url=sandbox.base_url, timeout=httpx.Timeout(timeout, connect=2.0))
    client = CMSClient(http, api_id=api_id, secret_key=secret_key, diocese_id=diocese_id, **kwargs)
    client.reconcile_settle = settle
    return client


def app_settings(
    database: Path, slack: SlackStandIn, sandbox: CMSSandbox, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.url,
        "cms_base_url": sandbox.base_url,
        "cms_api_id": SANDBOX_API_ID,
        "cms_secret_key": SANDBOX_SECRET_KEY,
        "cms_diocese_id": SANDBOX_DIOCESE_ID,
        "database_path": database,
        "allowed_users": USER_ID,
    }
    values.update(extra)
    return load_settings(_env_file=None, **values)


@contextmanager
def live_app(
    database: Path,
    slack: SlackStandIn,
    sandbox: CMSSandbox,
    *,
    cms: CMSClient | None = None,
    retry_delays: tuple[float, ...] = (0.1, 0.1),
    threads: int = 8,
    **settings: Any,
) -> Iterator[LiveApp]:
    """The app running on `database`, talking to `slack` and `sandbox`."""
    config = app_settings(database, slack, sandbox, **settings)
    cms = cms or cms_client(sandbox)
    store = Store(config.database_path)
    recorder = Recorder(store, cms, retry_delays=retry_delays)
    try:
        bot = create_app(config, recorder)
    except BaseException:
        cms.close()
        store.close()
        raise
    bot.catalogue.refresh()
    recorder.start()
    server = HttpServer(bot.app, host="127.0.0.1", port=0, threads=threads).start()
    harness = SlackHarness(server.url, SECRET, standin=slack)
    try:
        yield LiveApp(slack, sandbox, config, bot, server, harness, store, recorder)
    finally:
        harness.close()
        server.close()
        recorder.stop()
        bot.close()
        cms.close()
        store.close()


def thread_replies(slack: SlackStandIn, channel: str = CHANNEL_ID) -> list[Message]:
    return [m for m in slack.messages(channel) if m.thread_ts is not None]


def parents(slack: SlackStandIn, channel: str = CHANNEL_ID) -> list[Message]:
    return [m for m in slack.messages(channel) if m.thread_ts is None]


def events(store: Store, submission_id: int) -> list[str]:
    return [e["event"] for e in store.events(submission_id)]


def cms_posts(sandbox: CMSSandbox) -> list[tuple[str, str, int | None]]:
    """The sandbox's calls that were POSTs: (method, path, status, or None if it never answered)."""
    return [c for c in sandbox.calls if c[0] == "POST"]
