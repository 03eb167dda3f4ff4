"""The command line, run as a person runs it: `python -m bot ...` in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from tests.support.repo import ROOT


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


def run(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command(env: dict[str, str]) -> None:
    result = run(env, "--help")
    assert result.returncode == 0
    for command in ("serve", "shell", "sandbox", "record", "history", "dates", "resume"):
        assert command in result.stdout


def test_record_success_prints_the_cms_names(env: dict[str, str], sandbox: CMSSandbox) -> None:
    result = run(
        env,
        "record",
        "1042",
        "--course",
        "2",
        "--qualification",
        "22",
        "--completed",
        "12/03/2025",
        "--expires",
        "3 years",
    )
    assert result.returncode == 0, result.stderr
    held = sandbox.records(1042)
    assert len(held) == 1
    assert (  # the contact named (issue 14), no longer "for contact 1042"
        "Recorded Safeguarding Foundations for Joan Patricia Ellison (#1042) "
        f"(CMS record {held[0]['id']})." in result.stdout
    )
    assert "Qualification: Safeguarding Foundations certificate" in result.stdout
    assert "completed 2025-03-12, expires 2028-03-12" in result.stdout


def test_record_json(env: dict[str, str], sandbox: CMSSandbox) -> None:
    result = run(env, "record", "1001", "--course", "1", "--attended", "1/10/2026", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["state"] == "recorded"
    assert out["course_name"] == "Safeguarding Basic Awareness"
    assert out["attended_at"] == "2026-10-01"
    assert out["record_id"] == sandbox.records(1001)[-1]["id"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["abc", "--course", "2"], "Contact"),
        (["1042", "--course", "2", "--completed", "tbc"], "Completed"),
        (["1042", "--course", "2", "--booked", "<!channel>"], "Booked"),
        (["1042", "--course", "x" * 5000], "Course"),
        (["1042", "--course", "2", "--expires", ""], None),
    ],
)
def test_record_refuses_bad_input_before_sending(
    env: dict[str, str], sandbox: CMSSandbox, args: list[str], field: str | None
) -> None:
    before = sandbox.records()
    result = run(env, "record", *args)
    if field is None:  # an empty optional date is simply left out
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2
    assert result.stderr.startswith(f"{field}: ")
    assert sandbox.records() == before


def test_record_refusal_as_json(env: dict[str, str]) -> None:
    result = run(env, "record", "1042", "--course", "2", "--completed", "soon", "--json")
    assert result.returncode == 2
    out = json.loads(result.stdout)
    assert out["state"] == "refused"
    assert list(out["errors"]) == ["completed_at"]


def test_record_cms_400_exits_3(env: dict[str, str]) -> None:
    result = run(env, "record", "1042", "--course", "999", "--json")
    assert result.returncode == 3
    assert "course_id" in json.loads(result.stdout)["errors"]


def test_record_unknown_contact_is_refused_before_sending(env: dict[str, str]) -> None:
    # Issue 14: the contact is looked up first, so an unknown number is refused (2), not a
    # 404 after sending (4).
    result = run(env, "record", "424242", "--course", "2")
    assert result.returncode == 2
    assert "The CMS has no contact 424242 in this diocese" in result.stderr


def test_record_cms_down_exits_1(env: dict[str, str], sandbox: CMSSandbox) -> None:
    sandbox.fail_next(503, times=20)
    result = run(env, "record", "1042", "--course", "2")
    assert result.returncode == 1
    assert SANDBOX_SECRET_KEY not in result.stdout + result.stderr


def test_record_without_cms_settings_says_what_is_missing(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "CMS_SECRET_KEY"}
    result = run(env, "record", "1042", "--course", "2")
    assert result.returncode == 1
    assert "CMS_SECRET_KEY" in result.stderr


def test_record_same_thing_twice_is_warned(env: dict[str, str], sandbox: CMSSandbox) -> None:
    assert run(env, "record", "1042", "--course", "2", "--completed", "1/11/2026").returncode == 0
    again = run(env, "record", "1042", "--course", "2", "--completed", "1/11/2026")
    assert again.returncode == 2
    assert "--allow-duplicate" in again.stderr
    assert len(sandbox.records(1042)) == 1
    forced = run(
        env, "record", "1042", "--course", "2", "--completed", "1/11/2026", "--allow-duplicate"
    )
    assert forced.returncode == 0
    assert len(sandbox.records(1042)) == 2


def test_history_lists_submissions(env: dict[str, str]) -> None:
    run(env, "record", "1042", "--course", "2", "--completed", "1/11/2026")
    run(env, "record", "1042", "--course", "999")
    text = run(env, "history")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert len(lines) == 2
    assert "rejected" in lines[0]
    assert "course_id:" in lines[0]
    assert "completed=2026-11-01" in lines[1]
    assert "recorded" in lines[1]
    as_json = json.loads(run(env, "history", "--limit", "1", "--json").stdout)
    assert [s["state"] for s in as_json] == ["rejected"]


def test_history_empty(env: dict[str, str]) -> None:
    result = run(env, "history")
    assert result.returncode == 0
    assert result.stdout == "No submissions yet.\n"


def test_reading_commands_never_create_the_log(env: dict[str, str]) -> None:
    log = Path(env["DATABASE_PATH"])
    assert not log.exists()
    for command in ("history", "expiring"):
        result = run(env, command)
        assert result.returncode == 0
        assert f"There is no log at {log} yet" in result.stderr
    assert not log.exists()  # a mistyped DATABASE_PATH is told, not made


def test_dates_command(env: dict[str, str]) -> None:
    ok = run(env, "dates", "--today", "2026-11-27", "last", "Tuesday")
    assert ok.returncode == 0
    assert ok.stdout.startswith("2026-11-24")
    refused = run(env, "dates", "--today", "2026-11-27", "03/25/2025")
    assert refused.returncode == 2
    assert "day first" in refused.stderr
    future = run(env, "dates", "--role", "future", "--today", "2026-11-27", "Wednesday")
    assert future.stdout.startswith("2026-12-02")


def test_killed_while_posting_then_resumed_records_exactly_once(
    env: dict[str, str], sandbox: CMSSandbox
) -> None:
    # The POST is carried out by the CMS, but its answer is held back: kill the process
    # while it waits, as a crash or a deploy would.
    sandbox.stall_next(30, method="POST", commit=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "record",
            "1042",
            "--course",
            "2",
            "--completed",
            "1/11/2026",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not sandbox.records(1042) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert len(sandbox.records(1042)) == 1
    sandbox.clear_faults()

    before = json.loads(run(env, "history", "--json").stdout)
    assert [s["state"] for s in before] == ["sending"]
    resumed = run(env, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "recorded" in resumed.stdout
    assert len(sandbox.records(1042)) == 1
    after = json.loads(run(env, "history", "--json").stdout)
    assert [s["state"] for s in after] == ["recorded"]
    assert after[0]["record_id"] == sandbox.records(1042)[0]["id"]


def test_killed_before_sending_then_resumed_records_once(
    env: dict[str, str], sandbox: CMSSandbox
) -> None:
    # Nothing reaches the CMS: the POST is held before it is carried out, and the process
    # is killed; the CMS then never sees it (dropped without committing).
    sandbox.drop_next(method="POST", commit=False)
    sandbox.stall_next(30, method="POST", commit=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "record", "1042", "--course", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not any(c[0] == "POST" for c in sandbox.calls) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    sandbox.clear_faults()
    assert sandbox.records(1042) == []
    resumed = run(env, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert len(sandbox.records(1042)) == 1
