"""`python -m bot shell`, run as a process with scripted input, and its mrkdwn rendering.

Each run is the whole bot: the Bolt app, the Slack stand-in, the CMS sandbox, the SQLite log
in a temporary file. The script is what a person would type, one line per answer; the end of
the script is Ctrl-D.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.cms.client import CMSClient
from bot.local.console.form import Form
from bot.local.console.render import Style, message_lines, render_mrkdwn
from bot.local.console.terminal import Terminal
from bot.local.console.thread import ThreadPrinter
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import Call
from bot.recording import Recorder
from bot.slack import views
from bot.store import Store
from bot.submission import Origin, Typed
from tests.support.repo import ROOT


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CMS_", "ALLOWED_", "BOT_"))
        and k not in {"DATABASE_PATH", "LOG_LEVEL", "PORT"}
    }
    env["DATABASE_PATH"] = str(tmp_path / "log.db")
    env["PYTHONPATH"] = str(ROOT)
    return env


def shell(
    tmp_path: Path, *lines: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run the shell with `lines` typed (then Ctrl-D); (exit code, stdout, stderr)."""
    data = stdin if stdin is not None else ("\n".join(lines) + "\n").encode()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input=data,
        capture_output=True,
        cwd=tmp_path,  # no .env from the working tree
        env=_env(tmp_path) | (env or {}),
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def after(transcript: str, marker: str) -> str:
    """The transcript from the first line containing `marker` on."""
    index = transcript.index(marker)
    return transcript[transcript.rfind("\n", 0, index) + 1 :]


def assert_clean_exit(code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert "Traceback" not in err + out
    assert out.rstrip().endswith("Bye.")
    assert "\x1b[" not in out  # piped: no escape codes
    assert "[1m" not in out
    assert "[0m" not in out


# --- the scenarios of issue 6 ----------------------------------------------------------------


@pytest.mark.slow
def test_a_course_is_recorded_and_the_thread_shows_what_the_cms_holds(tmp_path: Path) -> None:
    code, out, err = shell(
        tmp_path,
        "/record-course 1042 foundations completed yesterday",
        "",  # contact: keep Contact #1042
        "",  # course: keep Safeguarding Foundations
        "22",  # qualification: search
        "",  # pick the only match
        "",  # booked
        "",  # attended
        "",  # completed: keep "yesterday"
        "3 years",  # expires
        "history",
    )
    assert_clean_exit(code, out, err)
    assert out.startswith("record-course shell:")
    assert "try: /record-course 1042 foundations completed yesterday" in out.lower()
    assert "Contact [Contact #1042]: " in out
    assert "Course [Safeguarding Foundations]: " in out
    assert "Completed [yesterday]: " in out
    thread = after(out, "[#training] record-course: @admin is recording Safeguarding Foundations")
    lines = thread.splitlines()
    assert "for Joan Patricia Ellison (#1042)" in lines[0]
    assert lines[1].startswith(
        "    ↳ ✅ Recorded Safeguarding Foundations for Joan Patricia Ellison (#1042)."
    )
    assert "      Qualification: Safeguarding Foundations certificate" in lines
    assert any(line.startswith("      CMS record: ") for line in lines)
    assert any(line.startswith("      Expires: ") for line in lines)
    history = after(out, "> history").splitlines()[1]
    assert "contact Joan Patricia Ellison (#1042)" in history
    assert "recorded" in history
    assert "record " in history


@pytest.mark.slow
def test_a_bad_date_comes_back_with_the_reason_and_only_that_field_is_asked_again(
    tmp_path: Path,
) -> None:
    code, out, err = shell(
        tmp_path,
        "/record-course 1042 foundations",
        "",
        "",
        "",  # no qualification
        "",
        "",
        "31/02/2025",  # completed: no such day, said under the field as it is typed
        "31/02/2025",  # the same again: kept (the submission checks it)
        "",
        "last tuesday",  # completed, asked again
        "history",
    )
    assert_clean_exit(code, out, err)
    typed = after(out, "Completed: 31/02/2025").splitlines()
    assert typed[1].startswith('  ⚠️ "31/02/2025" is not a real date')
    assert typed[2] == "  Answer again (the same answer keeps it, or Enter to leave it empty)."
    problems = after(out, "The form came back with problems:")
    before_thread = problems[: problems.index("[#training]")]
    assert '  ✗ "31/02/2025" is not a real date: February 2025 has only 28 days.' in (before_thread)
    prompts = [line for line in before_thread.splitlines() if "]: " in line or line.endswith(": ")]
    assert prompts == ["Completed [31/02/2025]: last tuesday"]
    assert "↳ ✅ Recorded Safeguarding Foundations for Joan Patricia Ellison (#1042)." in out
    assert "completed=" in after(out, "> history")


@pytest.mark.slow
def test_a_cms_refusal_is_shown_in_the_thread_and_the_form_reopens(tmp_path: Path) -> None:
    # Qualification 25 belongs to another course than 2: the CMS answers 400.
    code, out, err = shell(
        tmp_path,
        "click",
        "/record-course 1042 foundations completed yesterday",
        *["", "", "25", "", "", "", "", ""],
        "click nothing",
        "click open",  # [Open the form again]
        *["", "", "-", "", "", "", ""],  # the same, without the qualification
    )
    assert_clean_exit(code, out, err)
    assert "No message with buttons yet." in out
    thread = after(out, "[#training] record-course:")
    assert "↳ ❌ The CMS refused this record:" in thread
    assert "• Qualification: The selected qualification id does not belong" in thread
    assert "[Open the form again]" in thread
    assert "No such button. The last message has: [Open the form again]" in out
    reopened = after(out, "> click open")
    assert "Qualification [Qualification #25]: -" in reopened
    assert "Completed [yesterday]: " in reopened
    assert "↳ ✅ Recorded Safeguarding Foundations for Joan Patricia Ellison (#1042)." in reopened


@pytest.mark.slow
def test_an_unknown_contact_is_not_found(tmp_path: Path) -> None:
    code, out, err = shell(
        tmp_path, "/record-course 424242 foundations completed yesterday", *[""] * 7, "history"
    )
    assert_clean_exit(code, out, err)
    # issue 14: refused under the field before anything is sent, not a 404 after
    assert "The CMS has no contact 424242 in this diocese." in out
    assert "↳ ❌" not in out


@pytest.mark.slow
def test_someone_not_on_the_list_is_refused_politely(tmp_path: Path) -> None:
    code, out, err = shell(
        tmp_path, "as U0SOMEONE", "/record-course 1042 foundations", "history", "as U0ADMIN"
    )
    assert_clean_exit(code, out, err)
    assert "You are now @u0someone (U0SOMEONE)." in out
    refusal = after(out, "> /record-course 1042 foundations").splitlines()[1]
    assert refusal.startswith("(only visible to you) record-course: Sorry, you are not on the list")
    assert "── Record a course ──" not in out
    assert "No submissions yet." in out


@pytest.mark.slow
def test_a_duplicate_is_asked_as_a_yes_or_no_question(tmp_path: Path) -> None:
    form = ["/record-course 1042 foundations completed yesterday", *[""] * 7]
    code, out, err = shell(tmp_path, *form, *form, "maybe", "y", "history")
    assert_clean_exit(code, out, err)
    assert "This looks the same as a submission made earlier." in out
    assert "y = Record again, n = Back: maybe" in out
    assert out.count("↳ ✅ Recorded Safeguarding Foundations") == 2
    assert after(out, "> history").count("recorded") == 2


@pytest.mark.slow
def test_searching_and_picking_from_the_bots_options(tmp_path: Path) -> None:
    code, out, err = shell(
        tmp_path,
        "/record-course",
        "holloway",  # contact: search by name
        "",  # the one match
        "safeguarding",  # course: several matches
        "9",  # not a choice: searched for, nothing found
        "safeguarding",
        "found",  # search again
        "1",
        "",
        "/cancel",
    )
    assert_clean_exit(code, out, err)
    assert "1. Maggie Holloway (#1001)" in out
    assert "No matches for '9'." in out
    assert "Pick 1-" in out
    assert "Form closed: nothing was recorded." in out


@pytest.mark.slow
def test_garbage_and_the_end_of_input_leave_cleanly(tmp_path: Path) -> None:
    lines = [
        "",
        "<!channel>",
        "/foo bar",
        "x" * 100_000,
        "\x1b[31mred\x00",
        "as",
        "as !channel",
        "history x",
        "history 99999999999999999999",
        "help",
        "/record-course <!channel> *bold* &lt; " + "y" * 5000,
        "",  # contact required: asked again
        "<@U0ADMIN>",  # searched for, nothing found
        "1042",
        "",
        "",  # course: the whole list
        "2",
        "",
        "",
        "",
        "z" * 101,  # completed: too long for the field
        "today",
    ]
    script = ("\n".join(lines) + "\n").encode() + b"\xff\xfe bad bytes\n/record-course 1042"
    code, out, err = shell(tmp_path, stdin=script)  # ends in the middle of a form
    assert_clean_exit(code, out, err)
    assert "/foo is not a valid command here" in out
    assert "(that line was cut to its first 4000 characters)" in out
    assert "Type /record-course [text] to record a course, or help." in out
    assert "At most 100 characters, please." in out
    assert "\x00" not in out


@pytest.mark.slow
def test_ctrl_c_leaves_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "shell"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write(b"help\n")
        process.stdin.flush()
        deadline = time.monotonic() + 20
        seen = b""
        while b"Ctrl-D works too" not in seen and time.monotonic() < deadline:  # help's answer
            seen += process.stdout.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, (process.returncode, out, err)
    assert b"Traceback" not in err
    assert out.rstrip().endswith(b"Bye.")


@pytest.mark.slow
def test_with_allowed_users_set_the_console_is_the_first_of_them(tmp_path: Path) -> None:
    form = ["/record-course 1042 foundations completed yesterday", *[""] * 7]
    code, out, err = shell(
        tmp_path, *form, "as U0ADMIN", form[0], env={"ALLOWED_USERS": "U0BOSS,U0DEPUTY"}
    )
    assert_clean_exit(code, out, err)
    assert "You are @u0boss (U0BOSS) in #training." in out
    assert "@u0boss is recording Safeguarding Foundations" in out
    assert "↳ ✅ Recorded Safeguarding Foundations for Joan Patricia Ellison (#1042)." in out
    assert "(only visible to you) record-course: Sorry, you are not on the list" in out


@pytest.mark.slow
def test_with_cms_credentials_it_talks_to_that_cms(tmp_path: Path) -> None:
    with CMSSandbox() as cms:
        cms.add_course("Bell Ringing Safety")
        code, out, err = shell(
            tmp_path,
            "/record-course 1042 bell ringing completed yesterday",
            *[""] * 7,
            env={
                "CMS_BASE_URL": cms.base_url,
                "CMS_API_ID": SANDBOX_API_ID,
                "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
                "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
            },
        )
        posted = [c for c in cms.calls if c[0] == "POST"]
    assert_clean_exit(code, out, err)
    assert f"CMS: {cms.base_url} (the REAL CMS" in out
    assert "↳ ✅ Recorded Bell Ringing Safety for Joan Patricia Ellison (#1042)." in out
    assert len(posted) == 1


@pytest.mark.slow
def test_a_log_holding_work_for_real_slack_is_left_alone(tmp_path: Path) -> None:
    with (
        Store(tmp_path / "log.db") as store,
        CMSClient(httpx.Client(), api_id="a", secret_key="s", diocese_id=1) as cms,
    ):
        Recorder(store, cms).submit(
            Typed(contact_id="1042", course_id="2"),
            Origin(frontend="slack", key="slack:T0REAL:V1", team_id="T0REAL", user_id="U0X"),
        )
    code, _out, err = shell(tmp_path, "/record-course 1042")
    assert code == 1
    assert "holds 1 submission(s) not finished or not yet reported" in err
    assert "Traceback" not in err
    with Store(tmp_path / "log.db") as store:
        assert store.get(1).state.value == "pending"


# --- a whole training session (/record-course session) ------------------------------------


@pytest.mark.slow
def test_a_pasted_attendance_list_is_matched_checked_and_recorded(tmp_path: Path) -> None:
    # "Revd" finds two demo contacts (The Revd Maggie Holloway, The Revd Canon Ashworth).
    code, out, err = shell(
        tmp_path,
        "/record-course session foundations completed yesterday",
        "",  # people: none picked
        "Okafor",  # the attendance list, one per line
        "Revd",
        "1042",
        "",  # the empty line ends it
        *[""] * 6,  # course and completed kept, the rest left empty
        "2",  # which Revd: Ashworth
        "y",  # nothing is sent before yes
        "history 4",
    )
    assert_clean_exit(code, out, err)
    form = after(out, "── Record a session ──")
    pasted = (
        "Attendance list (one per line; an empty line ends): Okafor\n... Revd\n... 1042\n... \n"
    )
    assert pasted in form
    looking = after(form, "Looking up 3 names in the CMS…")
    check = after(looking, "── Check the names ──")
    assert check.splitlines()[1:9] == [
        "Safeguarding Foundations, completed yesterday: check the names, then Record.",
        "Found (2)",
        "• Susan Okafor (#1003), Parish Safeguarding Officer, St Peter, Thornbury  ← “Okafor”",
        "• Joan Patricia Ellison (#1042), Tower Captain, St Mary the Virgin, Little Ashby"
        "  ← “1042”",  # a pasted number shown by name (issue 14)
        "Which “Revd”? (required)",
        "    1. Maggie Holloway (#1001), Vicar, St Mary the Virgin, Little Ashby",
        "    2. Jonathan Mark Ashworth (#1009), Canon Precentor, Cathedral",
        "    3. None of these: leave this line out",
    ]
    thread = after(check, "[#training] record-course: @admin is recording Safeguarding Foundations")
    lines = thread.splitlines()
    assert lines[0].endswith("for 3 people: ⏳ 0 of 3 done")
    summary = lines.index("    ↳ Done: 3 of 3 recorded.")
    # Progress edits are not all shown: the latest state comes just before the summary.
    edits = lines[1:summary]
    assert 1 <= len(edits) <= 2
    assert all(line.startswith("  (edited) record-course: @admin is recording") for line in edits)
    assert edits[-1].endswith("for 3 people: ✅ all 3 recorded")
    assert len([line for line in lines[summary + 1 :] if line.startswith("      ✅ ")]) == 3
    # Each person recorded can be corrected: a row of buttons, then how to undo a mistake.
    assert lines[summary + 4].lstrip().startswith("[Correct Susan Okafor")
    assert "> history 4" in lines[summary + 5 : summary + 8]  # the prompt came back after it
    history = after(out, "> history 4").splitlines()[1:4]
    # Named in the history (issue 14): "contact Joan Patricia Ellison (#1042)".
    assert sorted(line.split("(#")[1].split(")")[0] for line in history) == [
        "1003",
        "1009",
        "1042",
    ]
    assert all("recorded" in line for line in history)


@pytest.mark.slow
def test_people_picked_from_the_list_are_confirmed_with_yes_or_no(tmp_path: Path) -> None:
    code, out, err = shell(
        tmp_path,
        "/record-course session foundations",
        "",  # nobody picked
        "",  # no list either
        *[""] * 6,
        "holloway",  # the form comes back: people are asked again
        "",  # the only match
        "revd",
        "1 2",  # both: Holloway again, and Ashworth
        "",  # done
        "maybe",
        "y",
    )
    assert_clean_exit(code, out, err)
    problems = after(out, "The form came back with problems:")
    assert "  ✗ Pick people here, or paste an attendance list below." in problems
    assert "  + Maggie Holloway (#1001), Vicar, St Mary the Virgin, Little Ashby" in problems
    assert "Pick 1-2 [1] (several: 1 3), or type to search again: 1 2" in problems
    assert "  Already picked: Maggie Holloway (#1001)" in problems
    assert "  + Jonathan Mark Ashworth (#1009), Canon Precentor, Cathedral" in problems
    assert "People [2 picked]: \n" in problems
    assert "Looking up" not in out
    check = after(out, "── Check the names ──")
    assert "Found (2)" in check
    assert "y = Record, n = Cancel: maybe\ny = Record, n = Cancel: y" in check
    assert "↳ Done: 2 of 2 recorded." in check
    assert 1 <= out.count("(edited)") <= 2


@pytest.mark.slow
def test_a_list_that_finds_nobody_is_shown_and_closed(tmp_path: Path) -> None:
    code, out, err = shell(
        tmp_path,
        "/record-course session foundations",
        "",
        "Nobody Whatever",
        "",
        *[""] * 6,
        "history",
    )
    assert_clean_exit(code, out, err)
    check = after(out, "── Check the names ──")
    assert "Not found, left out (1)\n• “Nobody Whatever”" in check
    assert "Nobody to record: go back and pick people or check the list." in check
    assert "Form closed: nothing was recorded.\n> history\nNo submissions yet." in check


# --- mrkdwn in a terminal ----------------------------------------------------------------------

NAMES = Style(names={"U0ADMIN": "admin"}, channels={"C0TRAINING": "training"})


@pytest.mark.parametrize(
    ("mrkdwn", "shown"),
    [
        ("*Safeguarding Foundations*", "Safeguarding Foundations"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("&lt;!channel&gt;", "<!channel>"),
        ("<!channel> <!here> <!everyone>", "@channel @here @everyone"),
        ("<!subteam^S0ADMINS|@admins>", "@admins"),
        ("<@U0ADMIN> and <@U0OTHER>", "@admin and @U0OTHER"),
        ("<@U0OTHER|jo>", "@jo"),
        ("in <#C0TRAINING> or <#C0OTHER|other>", "in #training or #other"),
        ("<https://example.org/a_b|the page>", "the page (https://example.org/a_b)"),
        ("<https://example.org>", "https://example.org"),
        (":white_check_mark: done :x: :warning:", "✅ done ❌ ⚠️"),
        (":hourglass_flowing_sand: sending", "⏳ sending"),
        (":not_an_emoji: at 10:30:00", ":not_an_emoji: at 10:30:00"),
        ("_italic_ and ~struck~", "italic and struck"),
        ("contact_id and snake_case_names", "contact_id and snake_case_names"),
        ("2*3*4 and a * b * c", "2*3*4 and a * b * c"),
        ("`code &lt;x&gt;`", "`code <x>`"),
        ("• *Qualification*: not &lt;25&gt;", "• Qualification: not <25>"),
        ("*bold <@U0ADMIN>*", "bold @admin"),
        ("\x1b[31mred\x07", "[31mred"),
        ("", ""),
    ],
)
def test_mrkdwn_as_plain_terminal_text(mrkdwn: str, shown: str) -> None:
    assert render_mrkdwn(mrkdwn, NAMES) == shown


def test_bold_and_italics_are_ansi_on_a_colour_terminal() -> None:
    style = Style(color=True)
    assert (
        render_mrkdwn("*Foundations* _now_", style) == "\x1b[1mFoundations\x1b[0m \x1b[3mnow\x1b[0m"
    )


def test_emoji_become_words_where_symbols_cannot_be_shown() -> None:
    style = Style(unicode=False)
    assert render_mrkdwn(":white_check_mark: :x: :warning: :hourglass:", style) == (
        "[ok] [x] [!] [...]"
    )


def test_a_message_is_shown_from_its_blocks() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":x: Refused:\n• *Course*: no"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by <@U0ADMIN>"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open the form again"}},
                {"type": "button", "text": {"type": "plain_text", "text": "Try again"}},
            ],
        },
    ]
    assert message_lines("ignored", blocks, NAMES) == [
        "❌ Refused:",
        "• Course: no",
        "by @admin",
        "[Open the form again]  [Try again]",
    ]
    assert message_lines("*only* text", [], NAMES) == ["only text"]


# --- the session form's fields, and edits, in-process ------------------------------------------


def _terminal(*lines: str) -> tuple[Terminal, io.StringIO]:
    out = io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    return Terminal(stdin, out, interactive=False, style=Style()), out


def test_several_people_and_several_lines_at_the_terminal() -> None:
    view = views.bulk_modal(private_metadata="{}")
    people = {"smith": [("Ann Smith (#1)", "1"), ("Bob Smith (#2)", "2"), ("Cy Smith (#3)", "3")]}
    terminal, out = _terminal(
        "smith",
        "3 1-2 1",  # several at once, a range, a repeat
        "-",  # start again
        "smith",
        "9",  # not a choice: searched for
        "smith",
        "2,3",
        "",
        "Joan Ellison",
        "  David Pritchard",
        "",
    )
    form = Form(view, terminal, lambda field, text: people.get(text.lower(), []))
    form.ask(form.fields[0])
    form.ask(form.fields[1])
    assert form.values()["contact_ids"] == [("Bob Smith (#2)", "2"), ("Cy Smith (#3)", "3")]
    assert form.values()["attendance"] == "Joan Ellison\n  David Pritchard"
    shown = out.getvalue()
    assert (
        "  + Cy Smith (#3)\n  + Ann Smith (#1)\n  + Bob Smith (#2)\nPeople [3 picked]: -" in shown
    )
    assert "  Nothing picked.\nPeople: smith" in shown
    assert "No matches for '9'." in shown
    assert "  Joan Ellison / David Pritchard / 1042\n" in shown  # the placeholder, on one line
    assert shown.endswith(
        "Attendance list (one per line; an empty line ends): Joan Ellison\n"
        "...   David Pritchard\n... \n"
    )
    again, out = _terminal("", "-", "")  # Enter keeps the lines; - clears them
    form._terminal = again
    form.ask(form.fields[1])
    assert "Attendance list [2 lines] (Enter keeps them" in out.getvalue()
    assert form.values()["attendance"] == "Joan Ellison\n  David Pritchard"
    form.ask(form.fields[1])
    assert form.values()["attendance"] is None


def test_a_choice_on_the_confirm_page_offers_its_options_at_once() -> None:
    view = views.bulk_confirm_modal(
        private_metadata="{}",
        summary="Foundations",
        certain=["Joan"],
        ambiguous=[(1, "Smith", [("Ann Smith (#1)", "1"), ("Bob Smith (#2)", "2")])],
        missing=[],
    )
    terminal, out = _terminal("3")
    form = Form(view, terminal, lambda field, text: [])
    form.ask_all()
    assert form.values() == {"choose_1": ("None of these: leave this line out", "skip")}
    assert out.getvalue().splitlines()[1:] == [
        "    1. Ann Smith (#1)",
        "    2. Bob Smith (#2)",
        "    3. None of these: leave this line out",
        "Pick 1-3 [1], or type to search again: 3",
    ]


def _call(method: str, ts: str, text: str, thread_ts: str | None = None) -> Call:
    args = {"channel": "C0TRAINING", "text": text, "ts": ts}
    if thread_ts:
        args["thread_ts"] = thread_ts
    response = {"ok": True, "channel": "C0TRAINING", "ts": ts}
    return Call(method, args, None, 0.0, 200, response)


def test_quick_edits_of_a_message_show_only_the_latest_before_its_reply() -> None:
    terminal, out = _terminal()
    printer = ThreadPrinter(terminal, edit_every=60)
    printer(_call("chat.postMessage", "1.1", "0 of 3 done"))
    printer(_call("chat.update", "1.1", "1 of 3 done"))  # the first edit: at once
    printer(_call("chat.update", "1.1", "2 of 3 done"))  # held, then replaced
    printer(_call("chat.update", "1.1", "all 3 done"))
    printer(_call("chat.postMessage", "1.2", "Done: 3 of 3 recorded.", thread_ts="1.1"))
    printer(_call("chat.postMessage", "1.3", "another"))
    printer(_call("chat.update", "1.3", "another, edited"))
    printer(_call("chat.update", "1.3", "another, edited again"))
    printer.flush()
    assert out.getvalue().splitlines() == [
        "[#C0TRAINING] record-course: 0 of 3 done",
        "  (edited) record-course: 1 of 3 done",
        "  (edited) record-course: all 3 done",
        "    ↳ Done: 3 of 3 recorded.",
        "[#C0TRAINING] record-course: another",
        "  (edited) record-course: another, edited",
        "  (edited) record-course: another, edited again",
    ]


@pytest.mark.slow  # waits for the printer's timer thread to end the edit window
def test_a_held_edit_is_printed_when_its_window_ends() -> None:
    terminal, out = _terminal()
    printer = ThreadPrinter(terminal, edit_every=0.2)
    printer(_call("chat.postMessage", "1.1", "0 of 2 done"))
    printer(_call("chat.update", "1.1", "1 of 2 done"))
    printer(_call("chat.update", "1.1", "2 of 2 done"))
    assert "2 of 2 done" not in out.getvalue()
    deadline = time.monotonic() + 5
    while "2 of 2 done" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert out.getvalue().splitlines()[-1] == "  (edited) record-course: 2 of 2 done"


@pytest.mark.slow
def test_history_in_the_shell_reads_the_shells_own_log(tmp_path: Path) -> None:
    """Without DATABASE_PATH the shell keeps its log in record-course-sandbox.db; `history`
    must read that log, not the (absent) default one."""
    env = {k: v for k, v in _env(tmp_path).items() if k != "DATABASE_PATH"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input=b"/record-course 1042 foundations completed yesterday\n\n\n\n\n\n\n\n\nhistory\n",
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "record-course-sandbox.db").exists()
    listed = out.split("> history", 1)[1]
    assert "No submissions yet." not in listed
    assert "recorded  record 5004" in listed
