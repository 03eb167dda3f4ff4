"""`python -m bot serve` killed (SIGKILL) while a correction's PUT is in flight, then started
again on the same database: the record is corrected once and the correction told once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack.messages import CORRECT_ACTION
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import thread_replies, wait_until
from tests.support.serving import serve_env, serving
from tests.support.slack_harness import SlackHarness
from tests.test_correct_e2e import JOAN, as_filled
from tests.test_crash import kill, row

SECRET = "crash-test-signing-secret"
TOKEN = "xoxb-crash-test"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


def correction_row(env: dict[str, str]) -> dict[str, object] | None:
    with sqlite3.connect(f"file:{env['DATABASE_PATH']}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        try:
            found = conn.execute("SELECT * FROM corrections WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return None
    conn.close()
    return dict(found) if found is not None else None


@pytest.mark.slow
def test_killed_mid_put_is_resumed_and_told_once(
    tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn
) -> None:
    env = serve_env(tmp_path / "log.db", sandbox, slack, secret=SECRET, token=TOKEN)
    with serving(env, tmp_path, run=1) as (process, url):
        harness = SlackHarness(url, SECRET, standin=slack)
        try:
            assert harness.command("").status_code == 200
            view = slack.wait_for("views.open", ok=True)[-1].response["view"]
            harness.view_submission(view, JOAN)
            wait_until(lambda: (r := row(env)) and r["reported"] == 1, what="recorded")
            harness.block_actions(CORRECT_ACTION, value="1")
            form = slack.wait_for("views.update", ok=True)[-1].response["view"]
            sandbox.stall_next(30, method="PUT")  # applied, then the answer waits
            harness.view_submission(form, as_filled(form, completed_at="4 March 2025"))
            wait_until(
                lambda: (
                    any(c[0] == "PUT" for c in sandbox.calls)
                    or sandbox.records(1042)[-1]["completed_at"] == "2025-03-04"
                ),
                what="the PUT to be on its way",
            )
            wait_until(
                lambda: sandbox.records(1042)[-1]["completed_at"] == "2025-03-04",
                what="the PUT applied",
            )
            kill(process)
        finally:
            harness.close()
    killed = correction_row(env)
    assert killed is not None
    assert killed["state"] == "sending"
    sandbox.clear_faults()
    with serving(env, tmp_path, run=2):
        wait_until(
            lambda: (c := correction_row(env)) is not None and c["reported"] == 1,
            timeout=30,
            what="the correction told after the restart",
        )
    final = correction_row(env)
    assert final is not None
    assert final["state"] == "corrected"
    told = [m for m in thread_replies(slack) if "Corrected CMS record" in m.text]
    assert len(told) == 1
    assert sandbox.records(1042)[-1]["completed_at"] == "2025-03-04"


@pytest.mark.slow
def test_the_correct_command_and_its_exit_codes(tmp_path: Path, sandbox: CMSSandbox) -> None:
    import os

    from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY
    from tests.test_cli import run

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMS_"))},
        "CMS_BASE_URL": sandbox.base_url,
        "CMS_API_ID": SANDBOX_API_ID,
        "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
        "DATABASE_PATH": str(tmp_path / "cli.db"),
    }
    made = run(env, "record", "1042", "--course", "2", "--completed", "3/3/2025", "--json")
    assert made.returncode == 0, made.stderr
    record_id = sandbox.records(1042)[-1]["id"]
    done = run(env, "correct", str(record_id), "--contact", "1042", "--completed", "4/3/2025")
    assert done.returncode == 0, done.stderr
    assert f"Corrected CMS record {record_id}: completed 3 March 2025 → 4 March 2025" in done.stdout
    assert "Recorded by mistake?" in done.stdout
    same = run(env, "correct", str(record_id), "--contact", "1042", "--completed", "4/3/2025")
    assert same.returncode == 0
    assert "Nothing to correct" in same.stdout
    bad = run(env, "correct", str(record_id), "--contact", "1042", "--completed", "31/02/2025")
    assert bad.returncode == 2
    rejected = run(env, "correct", str(record_id), "--contact", "1042", "--qualification", "21")
    assert rejected.returncode == 3
    missing = run(env, "correct", "999999", "--contact", "1042", "--booked", "1/3/2025")
    assert missing.returncode == 4
    history = run(env, "history")
    assert "correction" in history.stdout
    assert "completed 3 March 2025 → 4 March 2025" in history.stdout
