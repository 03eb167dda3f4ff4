"""No secret leaves the bot: a full flow with DEBUG logging (a command, a search, a recorded
submission, a 400, a lost answer, Slack refusing the channel, a stale request), then the logs,
the SQLite log (and its WAL) and every Slack call are searched for the Slack token, the
signing secret, the CMS secret and any request signature."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.sandbox import SANDBOX_DIOCESE_ID, CMSSandbox
from bot.logs import configure_logging
from bot.store import State
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, cms_client, live_app, wait_until
from tests.support.serving import serve_env, serving
from tests.support.slack_harness import CHANNEL_ID, USER_ID, Signing, SlackHarness

TOKEN = "xoxb-1111-2222-tokenvalue-a7f3c9"
SIGNING_SECRET = "signing-secret-4e1d9b7c2a"
CMS_API_ID = "secrets-test"
CMS_SECRET = "cms-secret-key-93b2f0d6e8"

#: A request signature, CMS (`sig=`) or Slack (`v0=`), or any bare 64-hex digest.
SIGNATURE = re.compile(r"sig=[0-9a-f]{64}|v0=[0-9a-f]{64}|(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


def leaks(text: str) -> list[str]:
    found = [s for s in (TOKEN, SIGNING_SECRET, CMS_SECRET) if s in text]
    return found + SIGNATURE.findall(text)


@pytest.fixture
def debug_logging(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The bot's own logging at DEBUG, to the stderr that `capfd` captures."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("DEBUG", secrets=[TOKEN, SIGNING_SECRET, CMS_SECRET])
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("slack_sdk").setLevel(logging.NOTSET)
    logging.getLogger("httpx").setLevel(logging.NOTSET)


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox, debug_logging: None) -> Iterator[LiveApp]:
    sandbox.add_credentials(CMS_API_ID, CMS_SECRET, SANDBOX_DIOCESE_ID)
    client = cms_client(sandbox, api_id=CMS_API_ID, secret_key=CMS_SECRET)
    with (
        FaultySlackStandIn(token=TOKEN) as slack,
        live_app(
            tmp_path / "log.db",
            slack,
            sandbox,
            cms=client,
            slack_bot_token=TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            cms_api_id=CMS_API_ID,
            cms_secret_key=CMS_SECRET,
        ) as running,
    ):
        running.harness.signing_secret = SIGNING_SECRET
        yield running


def database_text(path: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(path.parent.glob(path.name + "*"))
    )


def test_no_secret_in_logs_database_or_slack_calls(
    app: LiveApp, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "log.db"
    # A command with text, and a search of the CMS's contacts.
    app.open_form("1042 foundations completed yesterday")
    assert app.harness.block_suggestion("contact_id", "Holloway").status_code == 200
    # Recorded.
    recorded = app.settled(
        app.submit({"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}).id
    )
    # Refused by the CMS (400).
    rejected = app.settled(
        app.submit({"contact_id": ("Joan", "1042"), "course_id": ("Gone", "999")}).id
    )
    # The answer lost after the CMS made the record.
    app.sandbox.lose_answer_next()
    lost = app.settled(
        app.submit({"contact_id": ("Maggie", "1002"), "course_id": ("Foundations", "2")}).id
    )
    # Slack refuses the channel: the outcome goes by direct message.
    app.slack.leave_channels(CHANNEL_ID)
    dm = app.settled(
        app.submit({"contact_id": ("Someone", "1004"), "course_id": ("Foundations", "2")}).id
    )
    # A stale but correctly signed request, and a forged one.
    assert app.harness.command("1042", signing=Signing.stale()).status_code == 401
    assert app.harness.command("1042", signing=Signing.forged()).status_code == 401
    assert [s.state for s in (recorded, rejected, lost, dm)] == [
        State.RECORDED,
        State.REJECTED,
        State.RECORDED,
        State.RECORDED,
    ]
    assert app.slack.messages(app.slack.dm_channel(USER_ID))
    while_running = database_text(database)
    assert wait_until(lambda: app.recorder.wait_idle(5), what="the recorder to be idle")
    out, err = capfd.readouterr()

    assert "DEBUG" in err  # the flow was logged at DEBUG
    assert "submission 3" in err
    assert leaks(out + err) == []
    assert leaks(while_running) == []
    calls = app.slack.calls()
    assert {c.method for c in calls} >= {"views.open", "chat.postMessage", "conversations.open"}
    for call in calls:
        text = json.dumps({"args": dict(call.args), "response": dict(call.response)})
        assert leaks(text) == [], call.method
    # The CMS was signed, with the secret, all along.
    assert len([c for c in app.sandbox.calls if c[2] == 200]) >= 5


def test_the_database_holds_no_secret_after_the_app_stops(
    app: LiveApp, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app.sandbox.fail_next(500, method="POST")
    app.settled(app.submit({"contact_id": ("Joan", "1042"), "course_id": ("Foundations", "2")}).id)
    app.store.close()  # the WAL is folded into the database
    assert leaks(database_text(tmp_path / "log.db")) == []
    assert leaks("".join(capfd.readouterr())) == []


def test_serve_at_debug_leaks_nothing(
    tmp_path: Path, sandbox: CMSSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    """The same, through `python -m bot serve` with LOG_LEVEL=DEBUG: the command line must
    hand the settings' secrets to the log filter itself."""
    sandbox.add_credentials(CMS_API_ID, CMS_SECRET, SANDBOX_DIOCESE_ID)
    database = tmp_path / "log.db"
    with FaultySlackStandIn(token=TOKEN) as slack:
        env = serve_env(
            database,
            sandbox,
            slack,
            secret=SIGNING_SECRET,
            token=TOKEN,
            CMS_API_ID=CMS_API_ID,
            CMS_SECRET_KEY=CMS_SECRET,
            LOG_LEVEL="DEBUG",
        )
        with (
            serving(env, tmp_path, run=1) as (_process, url),
            SlackHarness(url, SIGNING_SECRET, standin=slack) as harness,
        ):
            for n, (contact, course) in enumerate([("1042", "2"), ("1042", "999"), ("1002", "2")]):
                if n == 2:
                    sandbox.lose_answer_next()
                    slack.leave_channels(CHANNEL_ID)
                assert harness.command(f"{contact} foundations").status_code == 200
                view = slack.wait_for("views.open", count=n + 1, ok=True)[-1].response["view"]
                answer = harness.view_submission(
                    view, {"contact_id": ("x", contact), "course_id": ("y", course)}
                )
                assert answer.json() == {"response_action": "clear"}
                if n < 2:  # told in the thread (the parent updated) before the next
                    slack.wait_for("chat.update", count=n + 1, timeout=20)
            assert harness.command("1042", signing=Signing.stale()).status_code == 401
            wait_until(lambda: slack.messages(slack.dm_channel(USER_ID)), what="the direct message")
            while_running = database_text(database)
        calls = slack.calls()
    log = (tmp_path / "serve-1.err").read_text()
    assert " DEBUG " in log
    assert "submission 3: recorded" in log
    assert leaks(log) == []
    assert leaks(while_running) == []
    assert leaks(database_text(database)) == []
    for call in calls:
        assert leaks(json.dumps({"args": dict(call.args), "response": dict(call.response)})) == []
    assert leaks("".join(capfd.readouterr())) == []
