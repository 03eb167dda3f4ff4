"""End to end (issue 14, "Who the contact is"): over HTTP with the Slack stand-in and the
CMS sandbox behind the real app, and `python -m bot record` in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.slack.live_form import note_block_id
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import CHANNEL_ID, LiveApp, live_app, wait_until
from tests.support.repo import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


def _contact_note(view: dict[str, Any]) -> str | None:
    for block in view["blocks"]:
        if block.get("block_id") == note_block_id("contact_id"):
            return str(block["elements"][0]["text"])
    return None


def _noted(app: LiveApp, view_id: str) -> dict[str, Any] | None:
    view = app.slack.view(view_id)
    return view if _contact_note(view) else None


def _selected_contact(view: dict[str, Any]) -> str:
    [block] = [b for b in view["blocks"] if b.get("block_id") == "contact_id"]
    return str(block["element"]["initial_option"]["text"]["text"])


def test_a_number_in_the_command_text_is_shown_by_name(app: LiveApp) -> None:
    view = app.open_form("1042 foundations")
    # Not known yet: the form opens with the number, and the live form shows who it is.
    assert _selected_contact(view) == "Contact #1042"
    shown = wait_until(
        lambda: _noted(app, view["id"]),
        timeout=10,
        what="the contact's card under the contact",
    )
    assert "Joan Patricia Ellison (#1042)" in (_contact_note(shown) or "")
    # Known now: the next form opens with the name at once.
    again = app.open_form("1042 foundations")
    assert _selected_contact(again).startswith("Joan Patricia Ellison (#1042)")
    assert "Joan Patricia Ellison (#1042)" in (_contact_note(again) or "")


def test_an_unknown_number_in_the_command_text_is_said_before_anything_is_sent(
    app: LiveApp,
) -> None:
    view = app.open_form("999999 foundations")
    shown = wait_until(
        lambda: _noted(app, view["id"]),
        timeout=10,
        what="the unknown contact's note",
    )
    assert "The CMS has no contact 999999" in (_contact_note(shown) or "")
    assert [c for c in app.sandbox.calls if c[0] == "POST"] == []


def test_the_name_is_kept_in_the_log_and_told_in_the_thread(app: LiveApp) -> None:
    submission = app.submit(
        {
            "contact_id": ("Joan Ellison", "1042"),
            "course_id": ("Safeguarding Foundations", "2"),
            "completed_at": "1/11/2026",
        }
    )
    done = app.settled(submission.id)
    assert done.contact_name == "Joan Patricia Ellison"
    parent, replies = app.thread()
    assert "for Joan Patricia Ellison (#1042)" in replies[0].text
    wait_until(
        lambda: "Joan Patricia Ellison (#1042)" in app.slack.message(CHANNEL_ID, parent.ts).text
    )


def test_a_hostile_name_is_kept_and_shown_safely(app: LiveApp) -> None:
    evil = app.sandbox.add_contact("<!channel>\u202e", "Ellison\x1b[2J" + "x" * 3000)
    submission = app.submit(
        {
            "contact_id": ("someone", str(evil["id"])),
            "course_id": ("Safeguarding Foundations", "2"),
            "completed_at": "1/11/2026",
        }
    )
    done = app.settled(submission.id)
    assert done.contact_name is not None
    _parent, replies = app.thread()
    for text in (replies[0].text, json.dumps(replies[0].blocks)):
        assert "<!channel>" not in text
        assert "\u202e" not in text
        assert "\\u202e" not in text
        assert "x" * 200 not in text


def test_the_correction_form_names_the_person(app: LiveApp) -> None:
    from bot.slack.listeners.correct import correction_form

    submission = app.submit(
        {
            "contact_id": ("1042", "1042"),
            "course_id": ("Safeguarding Foundations", "2"),
            "completed_at": "1/11/2026",
        }
    )
    done = app.settled(submission.id)
    assert done.record_id is not None
    nameless = app.store.update(done.id, "test", contact_name=None)  # as before issue 14
    record = app.recorder.corrections.fetch(1042, done.record_id)
    form = correction_form(app.bot, nameless, record)
    assert "for Joan Patricia Ellison (#1042)" in json.dumps(form["blocks"])


# -- python -m bot record ------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, sandbox: CMSSandbox) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMS_"))}
    return {
        **clean,
        "CMS_BASE_URL": sandbox.base_url,
        "CMS_API_ID": SANDBOX_API_ID,
        "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
        "DATABASE_PATH": str(tmp_path / "log.db"),
        "PYTHONPATH": str(ROOT),
    }


def _record(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "record", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_record_refuses_an_unknown_contact_before_sending(
    env: dict[str, str], sandbox: CMSSandbox
) -> None:
    result = _record(env, "999999", "--course", "2", "--completed", "1/11/2026")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Contact: The CMS has no contact 999999 in this diocese; nothing was sent. "
        "Check the number."
    ]
    assert [c for c in sandbox.calls if c[0] == "POST"] == []


def test_record_prints_the_name_and_keeps_it(env: dict[str, str]) -> None:
    result = _record(env, "1042", "--course", "2", "--completed", "1/11/2026")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Contact: Joan Patricia Ellison (#1042)")
    assert "for Joan Patricia Ellison (#1042) (CMS record" in lines[1]
    as_json = _record(env, "1042", "--course", "2", "--completed", "2/11/2026", "--json").stdout
    assert json.loads(as_json)["contact_name"] == "Joan Patricia Ellison"
