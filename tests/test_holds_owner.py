"""Two processes, one database: never two CMS records (issue 12, item 1).

Real `python -m bot` processes on 127.0.0.1, a CMS sandbox whose POST is slow (the record is
made only after the stall, so a second sender's check finds nothing), bounded in time."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.store import Store
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import wait_until
from tests.support.serving import ROOT, serve_env, serving
from tests.support.slack_harness import SlackHarness

pytestmark = pytest.mark.slow

SECRET = "holds-owner-signing-secret"
TOKEN = "xoxb-holds-owner"
JOAN = {"contact_id": ("Joan Ellison", "1042"), "course_id": ("Safeguarding Foundations", "2")}
POSTS = "/v2/contacts/*/courses"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def env(tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn) -> dict[str, str]:
    return serve_env(
        tmp_path / "log.db", sandbox, slack, secret=SECRET, token=TOKEN, LOG_LEVEL="INFO"
    )


def row(env: dict[str, str], submission_id: int = 1) -> dict[str, Any] | None:
    path = env["DATABASE_PATH"]
    if not Path(path).exists():
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        try:
            found = conn.execute("SELECT * FROM submissions WHERE id = ?", [submission_id])
            result = found.fetchone()
        except sqlite3.OperationalError:
            return None
    conn.close()
    return dict(result) if result is not None else None


def run(env: dict[str, str], *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
        check=False,
    )


def posts(sandbox: CMSSandbox) -> list[Any]:
    return [c for c in sandbox.calls if c[0] == "POST"]


def submit_and_stall(
    env: dict[str, str], slack: SlackStandIn, sandbox: CMSSandbox, url: str, seconds: float
) -> None:
    """Submit Joan's form to the bot at `url`, its POST held `seconds` before the CMS acts."""
    sandbox.stall_next(seconds, method="POST", path=POSTS, commit=False)
    harness = SlackHarness(url, SECRET, standin=slack)
    try:
        assert harness.command("").status_code == 200
        view = slack.wait_for("views.open", ok=True)[-1].response["view"]
        assert harness.view_submission(view, JOAN).json() == {"response_action": "clear"}
    finally:
        harness.close()
    sending(env)


def sending(env: dict[str, str]) -> None:
    """Wait until the submission is `sending` (the sandbox logs a call once it answers)."""
    wait_until(
        lambda: (r := row(env)) is not None and r["state"] == "sending",
        timeout=15,
        what="the POST to leave",
    )


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize("second", ["serve", "resume", "shell"])
def test_a_second_owner_refuses_while_the_first_is_sending(
    second: str, env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    with serving(env, tmp_path, run=1) as (first, url):
        submit_and_stall(env, slack, sandbox, url, seconds=4)
        assert row(env)["state"] == "sending"  # type: ignore[index]
        args = {"serve": ["serve", "--port", "0", "--host", "127.0.0.1"]}.get(second, [second])
        done = run(env, *args, timeout=20)
        assert done.returncode == 1, done.stderr
        line = one_line(done.stderr)
        assert line.startswith("error: The database ")
        assert f"in use by another bot (pid {first.pid}, serve)" in line
        final = wait_until(
            lambda: (r := row(env)) is not None and r["reported"] == 1 and r,
            timeout=30,
            what="the first bot to finish",
        )
    assert isinstance(final, dict)
    assert final["state"] == "recorded"
    assert len(sandbox.records(1042)) == 1
    assert len(posts(sandbox)) == 1


def test_a_second_serve_on_the_same_port_fails_on_the_port_before_sending(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # Its own database holds an unfinished submission: were it started before the port was
    # bound, it would be sent.
    other = tmp_path / "other.db"
    with Store(other) as store:
        store.create(
            {
                "key": "cli:left-over",
                "frontend": "cli",
                "contact_id": 1043,
                "course_id": 2,
                "completed_at": "2026-01-05",
                "typed": {},
                "assumed": [],
                "notes": {},
            }
        )
    with serving(env, tmp_path, run=1) as (_first, url):
        port = re.search(r":(\d+)", url.removeprefix("http://"))
        assert port is not None
        done = run(
            {**env, "DATABASE_PATH": str(other)},
            "serve",
            "--port",
            port.group(1),
            "--host",
            "127.0.0.1",
        )
        assert done.returncode == 1
        line = one_line(done.stderr)
        assert line.startswith(f"error: Cannot listen on 127.0.0.1:{port.group(1)}")
    assert posts(sandbox) == []
    assert sandbox.records(1043) == []


def test_record_beside_a_starting_serve_is_sent_once(
    env: dict[str, str], tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    # `record` is sending (slowly) when a `serve` starts on the same file and resumes what
    # is unfinished: it must leave `record`'s submission alone.
    already = len(sandbox.records(1001))
    sandbox.stall_next(5, method="POST", path=POSTS, commit=False)
    out = (tmp_path / "record.out").open("w")
    record = subprocess.Popen(
        [sys.executable, "-m", "bot", "record", "1001", "--course", "2", "--completed", "today"],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sending(env)
        with serving(env, tmp_path, run=1):
            assert record.wait(timeout=30) == 0, (tmp_path / "record.out").read_text()
            wait_until(
                lambda: (r := row(env)) is not None and r["state"] == "recorded",
                timeout=10,
                what="the submission to be recorded",
            )
    finally:
        if record.poll() is None:
            record.kill()
            record.wait()
        out.close()
    assert len(sandbox.records(1001)) == already + 1
    assert len(posts(sandbox)) == 1
