"""A locked log never strands a result, and a reused form id never drops a submission
(issue 12, items 2 and 12). The app runs in process over real HTTP on 127.0.0.1; the lock
is held by another process; the CMS sandbox's POST is slow."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack.listeners.record import LOG_BUSY
from bot.store import State
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app, thread_replies, wait_until

JOAN = {"contact_id": ("Joan Ellison", "1042"), "course_id": ("Safeguarding Foundations", "2")}
MAGGIE = {"contact_id": ("Maggie Holloway", "1001"), "course_id": ("Foundations", "3")}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def app(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def hold_write_lock(database: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the log's write lock for `seconds`."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None
    assert locker.stdout.readline().strip() == "locked"
    return locker


@pytest.mark.slow
def test_a_result_that_meets_a_locked_log_is_written_and_told_when_it_frees(
    app: LiveApp, sandbox: CMSSandbox, slack: SlackStandIn, tmp_path: Path
) -> None:
    # Longer than the old 10 s busy timeout, so that the first write of the outcome fails.
    sandbox.stall_next(1.0, method="POST", path="/v2/contacts/*/courses")
    app.harness.view_submission(app.open_form(), JOAN)
    wait_until(lambda: app.store.get(1).state is State.SENDING, timeout=10, what="sending")
    locker = hold_write_lock(tmp_path / "log.db", 12)
    try:
        # A form submitted meanwhile is answered in time, in the form.
        view = app.open_form()
        started = time.monotonic()
        answer = app.harness.view_submission(view, MAGGIE)
        took = time.monotonic() - started
        assert answer.status_code == 200
        assert answer.json() == {"response_action": "errors", "errors": {"contact_id": LOG_BUSY}}
        assert took < 3.0
        assert app.store.get(1).state is State.SENDING  # the outcome waits in memory
        locker.wait(timeout=20)
    finally:
        if locker.poll() is None:
            locker.kill()
            locker.wait()
        assert locker.stdout is not None
        locker.stdout.close()
    done = app.settled(1, timeout=15)
    assert done.state is State.RECORDED
    assert len(sandbox.records(1042)) == 1
    [reply] = thread_replies(slack)
    assert reply.text.startswith(":white_check_mark: Recorded")
    # Submitted again once the log is free, the form is taken.
    again = app.harness.view_submission(view, MAGGIE)
    assert again.json() == {"response_action": "clear"}


def test_a_form_id_seen_before_with_other_content_is_a_new_submission(
    app: LiveApp, sandbox: CMSSandbox
) -> None:
    view = app.open_form()
    first = app.submit(JOAN, view)
    app.settled(first.id)
    # A front end that numbers its views afresh (the shell's stand-in after a restart)
    # sends a new form under the old id.
    answer = app.harness.view_submission(view, MAGGIE)
    assert answer.json() == {"response_action": "clear"}
    second = app.store.recent(1)[0]
    assert second.id != first.id
    assert second.contact_id == 1001
    assert app.settled(second.id).state is State.RECORDED
    # And that new form submitted twice is one submission.
    repeat = app.harness.view_submission(view, MAGGIE)
    assert repeat.json()["response_action"] == "update"
    assert app.store.count() == 2


def test_the_same_form_submitted_again_is_told_it_is_already_recorded(
    app: LiveApp, sandbox: CMSSandbox
) -> None:
    view = app.open_form()
    first = app.submit(JOAN, view)
    done = app.settled(first.id)
    answer = app.harness.view_submission(view, JOAN).json()
    assert answer["response_action"] == "update"
    [block] = answer["view"]["blocks"]
    assert block["text"]["text"] == (
        f"This form was already submitted (submission #{first.id}). "
        f"It was recorded at {done.created_at.astimezone(app.recorder.zone):%H:%M} "
        f"(CMS record {done.record_id}). See its thread."
    )
    assert app.store.count() == 1
    assert len(sandbox.records(1042)) == 1


@pytest.mark.slow
def test_the_standins_view_ids_differ_from_run_to_run() -> None:
    ids = []
    for _run in range(2):
        with FaultySlackStandIn() as standin:
            ids.append(standin._store_view({"type": "modal", "blocks": []})["id"])
    assert ids[0] != ids[1]


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 2 MB tmpfs of our own (root only; skipped where it cannot be mounted)."""
    folder = Path(tempfile.mkdtemp(prefix="holds-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Fill the disk until it refuses a byte more; the file that fills it."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


@pytest.mark.slow
def test_a_result_that_meets_a_full_disk_is_written_and_told_when_there_is_room(
    tiny_disk: Path, slack: SlackStandIn, sandbox: CMSSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    database = tiny_disk / "log.db"
    with live_app(database, slack, sandbox) as app:
        sandbox.stall_next(1.5, method="POST", path="/v2/contacts/*/courses")
        app.harness.view_submission(app.open_form(), JOAN)
        wait_until(lambda: app.store.get(1).state is State.SENDING, timeout=10, what="sending")
        with sqlite3.connect(database) as side:  # an empty WAL: any write needs new space
            side.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        side.close()
        filler = fill(tiny_disk)
        try:
            wait_until(
                lambda: "database or disk is full" in caplog.text,
                timeout=10,
                what="the outcome to meet the full disk",
            )
            time.sleep(1.0)
            assert app.store.get(1).state is State.SENDING  # the outcome waits in memory
            assert len(sandbox.records(1042)) == 1
        finally:
            filler.unlink()
        done = app.settled(1, timeout=15)
        assert done.state is State.RECORDED
        assert len(sandbox.records(1042)) == 1
        [reply] = thread_replies(slack)
        assert reply.text.startswith(":white_check_mark: Recorded")


@pytest.mark.slow
def test_a_session_form_submitted_while_the_log_is_locked_is_answered_in_time(
    app: LiveApp, slack: SlackStandIn, tmp_path: Path
) -> None:
    opened = len(slack.calls("views.open", ok=True))
    assert app.harness.command("session").status_code == 200
    view = slack.wait_for("views.open", opened + 1, ok=True)[-1].response["view"]
    values = {"attendance": "1042\n1001", "course_id": ("Leadership", "3")}
    locker = hold_write_lock(tmp_path / "log.db", 4)
    try:
        started = time.monotonic()
        answer = app.harness.view_submission(view, values)
        took = time.monotonic() - started
    finally:
        locker.wait(timeout=10)
        assert locker.stdout is not None
        locker.stdout.close()
    assert answer.json() == {"response_action": "errors", "errors": {"contact_ids": LOG_BUSY}}
    assert took < 3.0
    again = app.harness.view_submission(view, values).json()
    assert again["response_action"] == "update"
