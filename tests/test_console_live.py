"""The shell shows what the form answers as it is filled in (issue 14), and a Correct button
works like any other (issue 15).

The end-to-end tests drive `Console` in-process against the real app over its own HTTP
server (`live_app`), the Slack stand-in and the CMS sandbox, with a scripted terminal; the
forms' own behaviour is tested on `Form` with a fake `Changed`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.dates._calendar import full_date
from bot.local.console.form import Field, Form
from bot.local.console.live import field_action_payload, notes_of
from bot.local.console.render import Style
from bot.local.console.session import Console
from bot.local.console.terminal import Terminal
from bot.local.sandbox import CMSSandbox
from bot.local.slack_requests import USER_ID, USER_NAME
from bot.slack import views
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import SECRET, LiveApp, live_app, thread_replies
from tests.support.repo import ROOT


def _terminal(*lines: str, style: Style | None = None) -> tuple[Terminal, io.StringIO]:
    out = io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    return Terminal(stdin, out, interactive=False, style=style or Style()), out


def _date_view() -> dict[str, object]:
    return views.record_modal(private_metadata="{}")


# --- the form's side, with a fake app ---------------------------------------------------------


def test_a_refused_answer_is_asked_again_and_enter_leaves_it_empty() -> None:
    view = _date_view()
    told: list[str | None] = []

    def changed(form: Form, field: Field) -> str | None:
        told.append(field.text)
        return "⚠️ no such day" if field.text == "31/02/2025" else None

    terminal, out = _terminal("31/02/2025", "")
    form = Form(view, terminal, lambda field, text: [], changed)
    field = form.field("completed_at")
    assert field is not None
    assert field.dispatches
    form.ask(field)
    assert told == ["31/02/2025"]  # the empty answer is not told: nothing to read
    assert field.text is None
    shown = out.getvalue()
    assert "Completed: 31/02/2025\n  Answer again (the same answer keeps it, or Enter" in shown
    assert shown.endswith("Completed: \n")


def test_the_same_refused_answer_given_again_is_kept() -> None:
    terminal, out = _terminal("next friday", "31/02/2025", "31/02/2025")
    refusals = {"next friday": "⚠️ before booked", "31/02/2025": "⚠️ no such day"}
    form = Form(_date_view(), terminal, lambda f, t: [], lambda form, f: refusals.get(f.text))
    field = form.field("completed_at")
    assert field is not None
    form.ask(field)
    assert field.text == "31/02/2025"  # the submission checks it again
    assert out.getvalue().count("Answer again") == 2


def test_fields_that_do_not_dispatch_are_not_told() -> None:
    terminal, _out = _terminal()
    form = Form(_date_view(), terminal, lambda f, t: [])
    dispatching = {f.block_id for f in form.fields if f.dispatches}
    assert dispatching == {"contact_id", "booked_at", "attended_at", "completed_at", "expires_at"}


def test_a_fields_action_is_sent_as_slack_sends_it() -> None:
    view = {
        "id": "V1",
        "hash": "h1",
        "state": {
            "values": {"booked_at": {"booked_at": {"type": "plain_text_input", "value": "x"}}}
        },
        "blocks": [],
    }
    field = Field("booked_at", "booked_at", "plain_text_input", "Booked", dispatches=True)
    payload = field_action_payload(field, view, user_id="U1", user_name="u", trigger_id="t")
    assert payload["type"] == "block_actions"
    assert payload["container"] == {"type": "view", "view_id": "V1"}
    assert payload["view"]["hash"] == "h1"
    (action,) = payload["actions"]
    assert {k: action[k] for k in ("action_id", "block_id", "type", "value")} == {
        "action_id": "booked_at",
        "block_id": "booked_at",
        "type": "plain_text_input",
        "value": "x",
    }
    assert notes_of({"blocks": [{"type": "context", "block_id": "note_x", "elements": []}]}) == {
        "note_x": ""
    }


def test_record_them_again_lists_its_choices_with_the_held_one_kept_by_enter() -> None:
    view = views.bulk_confirm_modal(
        private_metadata="{}",
        summary="Foundations",
        certain=["Joan"],
        ambiguous=[],
        missing=[],
        repeated=["Joan Ellison (#1042)"],
    )
    terminal, out = _terminal("")
    form = Form(view, terminal, lambda field, text: [])
    form.ask_all()
    assert out.getvalue().splitlines()[1:] == [
        "    1. Leave them out",
        "    2. Record them again",
        "Pick 1-2 [1], or type to search again: ",
    ]
    assert form.values() == {views.AGAIN_BLOCK: ("Leave them out", views.LEAVE_OUT)}
    again, out = _terminal("2", "")
    form._terminal = again
    form.ask_all()
    form.ask_all()  # Enter keeps what it holds now: the second
    assert form.values() == {views.AGAIN_BLOCK: ("Record them again", views.AGAIN)}
    assert "Pick 1-2 [2], or type to search again: " in out.getvalue()


def test_bold_text_of_a_view_is_real_bold_on_a_colour_terminal() -> None:
    view = views.bulk_confirm_modal(
        private_metadata="{}", summary="Foundations", certain=["Joan"], ambiguous=[], missing=[]
    )
    terminal, _out = _terminal(style=Style(color=True))
    notes = Form(view, terminal, lambda f, t: []).notes()
    assert "\x1b[1mFound (1)\x1b[0m" in notes
    plain, _out = _terminal()
    assert "Found (1)" in Form(view, plain, lambda f, t: []).notes()
    assert not any("[1m" in line for line in Form(view, plain, lambda f, t: []).notes())


# --- end to end: the console, the real app, the stand-in and the sandbox ------------------------


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


def run_console(app: LiveApp, *lines: str) -> str:
    """The console on `app` with `lines` typed (then Ctrl-D); what it printed."""
    terminal, out = _terminal(*lines)
    console = Console(
        app.bot,
        app.slack,
        signing_secret=SECRET,
        terminal=terminal,
        history=lambda n: None,
        user_id=USER_ID,
        user_name=USER_NAME,
        reply_timeout=15,
    )
    assert console.run() == 0
    return out.getvalue()


def _after(text: str, marker: str) -> str:
    return text[text.index(marker) :]


@pytest.mark.slow
def test_readings_appear_under_each_date_as_it_is_typed(app: LiveApp) -> None:
    today = app.recorder.today()
    out = run_console(
        app,
        "/record-course 1042 foundations",
        "",  # contact: kept
        "",  # course: kept
        "",  # qualification: none
        "3 weeks ago",  # booked
        "",  # attended
        "31/02/2025",  # completed: refused under the field...
        "yesterday",  # ...and asked again
        "3 years",  # expires: read from the completion date
    )
    yesterday = today - dt.timedelta(days=1)
    booked = _after(out, "Booked: 3 weeks ago\n").splitlines()
    assert booked[1] == f"  ✓ {full_date(today - dt.timedelta(weeks=3))} (3 weeks ago)"
    completed = _after(out, "Completed: 31/02/2025\n").splitlines()
    assert completed[1].startswith(
        '  ⚠️ "31/02/2025" is not a real date: February 2025 has only 28 days.'
    )
    assert completed[2] == "  Answer again (the same answer keeps it, or Enter to leave it empty)."
    assert "Completed: yesterday" in completed[3:5]
    assert f"  ✓ {full_date(yesterday)} (yesterday)" in completed
    expires = _after(out, "Expires: 3 years\n").splitlines()
    assert expires[1].startswith("  ✓ ")
    assert "3 years after completion" in expires[1]
    assert "↳ ✅ Recorded Safeguarding Foundations for Joan Patricia Ellison (#1042)." in out
    (submission,) = app.store.recent(5)
    assert submission.typed["completed_at"] == "yesterday"


@pytest.mark.slow
def test_the_contact_card_is_shown_and_an_unknown_number_asked_again(app: LiveApp) -> None:
    out = run_console(
        app,
        "/record-course foundations",
        "424242",  # contact by number: unknown to the CMS
        "",  # pick it
        "1003",  # asked again: Susan Okafor
        "",
        "/cancel",
    )
    unknown = _after(out, "Contact: 424242").splitlines()
    refusal = next(line for line in unknown if "424242 in this" in line)
    assert refusal == "  ⚠️ The CMS has no contact 424242 in this diocese."
    assert "Contact: 1003" in unknown[unknown.index(refusal) + 1 : unknown.index(refusal) + 4]
    card = _after(out, "Contact: 1003").splitlines()
    assert "  ✓ Susan Okafor (#1003), Parish Safeguarding Officer, St Peter, Thornbury" in card
    assert "  Already in the CMS:" in card
    assert any("Safeguarding Basic Awareness" in line for line in card)
    assert "Form closed: nothing was recorded." in out
    assert app.store.recent(5) == []


@pytest.mark.slow
def test_correct_this_record_opens_the_form_and_corrects_in_the_same_thread(
    app: LiveApp,
) -> None:
    today = app.recorder.today()
    out = run_console(
        app,
        "/record-course 1042 foundations completed yesterday",
        *[""] * 7,
        "click correct",
        "",  # qualification
        "",  # booked
        "",  # attended
        "2 days ago",  # completed: corrected
        "",  # expires: kept
    )
    opened = _after(out, "> click correct")
    assert "── Correct a record ──" in opened
    assert "Correcting CMS record 5004" in opened
    yesterday, corrected = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    assert f"Completed [{yesterday.day} {yesterday:%B %Y}]: 2 days ago" in opened
    assert f"  ✓ {full_date(corrected)} (2 days ago)" in opened
    reply = (
        f"    ↳ ✏️ Corrected CMS record 5004: completed {yesterday.day} {yesterday:%B %Y} → "
        f"{corrected.day} {corrected:%B %Y}"
    )
    assert reply in opened.splitlines()
    assert opened.endswith("portal.\n> \nBye.\n")  # the prompt came back after the reply
    (record,) = app.sandbox.records(1042)
    assert record["completed_at"] == corrected.isoformat()
    replies = thread_replies(app.slack)
    assert len(replies) == 2
    assert replies[0].thread_ts == replies[1].thread_ts  # the same thread
    assert "Corrected CMS record 5004" in replies[1].text
    (correction,) = app.recorder.corrections.log.recent(5)
    assert correction.state.value == "corrected"


@pytest.mark.slow
def test_a_session_page_with_a_choice_sends_only_after_yes(app: LiveApp) -> None:
    out = run_console(
        app,
        "/record-course session foundations completed yesterday",
        "",  # people: none picked
        "Revd",  # the attendance list: two matches
        "",
        *[""] * 6,
        "2",  # which Revd: Ashworth
        "n",  # not yet: nothing is sent
    )
    check = _after(out, "── Check the names ──")
    assert "Pick 1-3 [1], or type to search again: 2\ny = Record, n = Cancel: n" in check
    assert "Form closed: nothing was recorded." in check
    assert app.store.recent(5) == []


# --- Ctrl-C, in a process -----------------------------------------------------------------------


class _Output:
    """What a process has written so far, read as it comes."""

    def __init__(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        self._process = process
        self._deadline = time.monotonic() + timeout
        self.seen = b""
        self._from = 0

    def until(self, marker: bytes) -> None:
        """Read until `marker` has appeared after the previous marker."""
        assert self._process.stdout is not None
        stream = self._process.stdout.fileno()
        while marker not in self.seen[self._from :]:
            left = self._deadline - time.monotonic()
            ready, _, _ = select.select([stream], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no {marker!r} in {self.seen.decode()!r}")
            chunk = os.read(stream, 4096)
            if not chunk:
                raise AssertionError(f"ended without {marker!r}: {self.seen.decode()!r}")
            self.seen += chunk
        self._from = self.seen.index(marker, self._from) + len(marker)


@pytest.mark.slow
def test_ctrl_c_in_a_form_closes_the_form_and_a_second_at_the_prompt_leaves(
    tmp_path: Path,
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CMS_", "ALLOWED_", "BOT_"))
        and k not in {"DATABASE_PATH", "LOG_LEVEL", "PORT"}
    }
    env |= {"DATABASE_PATH": str(tmp_path / "log.db"), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "shell"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    assert process.stdin is not None
    output = _Output(process, timeout=30)
    try:
        process.stdin.write(b"/record-course 1042 foundations\n")
        process.stdin.flush()
        output.until(b"Contact [Contact #1042]: ")
        process.send_signal(signal.SIGINT)
        output.until(b"nothing was recorded.\n> ")
        process.stdin.write(b"help\n")
        process.stdin.flush()
        output.until(b"Ctrl-D works too")
        output.until(b"> ")
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    text = (output.seen + rest).decode()
    assert process.returncode == 0, (process.returncode, text, err)
    assert b"Traceback" not in err
    assert "Form closed (Ctrl-C): nothing was recorded.\n> help\n" in text
    assert text.rstrip().endswith("Bye.")
