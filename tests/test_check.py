"""`python -m bot check`: every finding, against the CMS sandbox and the Slack stand-in."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.check import (
    MANIFEST_SCOPES,
    Check,
    Status,
    ready,
    render_json,
    render_text,
    run_checks,
    storage_warnings,
)
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.settings import Settings, load_settings
from bot.store import Store
from tests.support.faulty_slack import FaultySlackStandIn

#: Every check talks to Slack and the CMS (stand-ins on 127.0.0.1).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-check-token-1234"
SIGNING = "signing-secret-for-check"
APP_TOKEN = "xapp-1-check-app-token"


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env, no renewals.toml
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn(token=TOKEN, team="St Ives Diocese", scopes=MANIFEST_SCOPES) as standin:
        yield standin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def make_settings(
    tmp_path: Path, slack: SlackStandIn | None, sandbox: CMSSandbox | None, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_signing_secret": SIGNING,
        "slack_api_url": slack.url if slack else f"http://127.0.0.1:{free_port()}/api/",
        "cms_base_url": sandbox.base_url if sandbox else f"http://127.0.0.1:{free_port()}",
        "cms_api_id": SANDBOX_API_ID,
        "cms_secret_key": SANDBOX_SECRET_KEY,
        "cms_diocese_id": SANDBOX_DIOCESE_ID,
        "database_path": tmp_path / "log.db",
        "allowed_users": "U0ADMIN",
    }
    values.update(extra)
    values = {k: v for k, v in values.items() if v is not None}
    return load_settings(_env_file=None, **values)


def checks_for(settings: Settings, environ: dict[str, str] | None = None) -> list[Check]:
    return run_checks(settings, environ=environ or {}, timeout=2.0)


def find(checks: list[Check], group: str, name: str | None = None) -> Check:
    found = [c for c in checks if c.group == group and (name is None or c.name == name)]
    assert len(found) == 1, found
    return found[0]


def failures(checks: list[Check]) -> list[tuple[str, str]]:
    return [(c.group, c.name) for c in checks if c.status is Status.FAIL]


# --- all ready ---------------------------------------------------------------------------


def test_everything_ready(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> None:
    checks = checks_for(make_settings(tmp_path, slack, sandbox))
    assert failures(checks) == []
    assert [c for c in checks if c.status is Status.WARN] == []
    assert ready(checks)
    token = find(checks, "slack", "bot token")
    assert token.detail == "valid: bot @record-course (U0BOT) in St Ives Diocese (T0STANDIN)."
    assert find(checks, "slack", "scopes").status is Status.OK
    cms = find(checks, "cms")
    assert cms.detail == (
        f"{sandbox.base_url} accepted the signed call; diocese {SANDBOX_DIOCESE_ID} has "
        f"{len(sandbox.courses)} course(s)."
    )
    assert sandbox.calls == [("GET", "/v2/courses", 200)]  # one read-only call
    assert [c.method for c in slack.calls()] == ["auth.test"]
    assert not (tmp_path / "log.db").exists()  # nothing created
    text = render_text(checks)
    assert text.endswith("\nReady.")
    assert "  ✓ CMS_SECRET_KEY: set\n" in text


def test_every_setting_is_a_line_and_secrets_are_never_shown(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    settings = make_settings(tmp_path, slack, sandbox, slack_app_token=APP_TOKEN)
    checks = checks_for(settings)
    names = [c.name for c in checks if c.group == "settings"]
    assert names == [name.upper() for name in Settings.model_fields]
    shown = {c.name: c.detail for c in checks if c.group == "settings"}
    for secret in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CMS_SECRET_KEY"):
        assert shown[secret] == "set"
    assert shown["CMS_API_ID"] == SANDBOX_API_ID
    assert shown["BOT_TIMEZONE"] == "Europe/London (default)"
    output = render_text(checks) + render_json(checks)
    for value in (TOKEN, SIGNING, APP_TOKEN, SANDBOX_SECRET_KEY):
        assert value not in output


def test_json_output(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> None:
    checks = checks_for(make_settings(tmp_path, slack, sandbox, cms_api_id="nobody"))
    parsed = json.loads(render_json(checks))
    assert parsed["ready"] is False
    cms = [c for c in parsed["checks"] if c["group"] == "cms"]
    assert cms == [
        {
            "group": "cms",
            "name": "credentials",
            "status": "fail",
            "ok": False,
            "detail": "The CMS answered 401 (credentials not accepted): Invalid credentials.",
            "fix": "Check CMS_API_ID and CMS_SECRET_KEY: copy them again exactly as the CMS "
            "administrator issued them (no spaces or quotes).",
        }
    ]


def test_manifest_scopes_are_the_ones_checked() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == MANIFEST_SCOPES


# --- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unset", "name"),
    [
        ("slack_bot_token", "SLACK_BOT_TOKEN"),
        ("cms_api_id", "CMS_API_ID"),
        ("cms_secret_key", "CMS_SECRET_KEY"),
        ("cms_diocese_id", "CMS_DIOCESE_ID"),
        ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
    ],
)
def test_a_required_setting_not_set(tmp_path: Path, unset: str, name: str) -> None:
    settings = make_settings(tmp_path, None, None, **{unset: None})
    check = find(run_checks(settings, environ={}, timeout=0.5), "settings", name)
    assert check.status is Status.FAIL
    assert check.detail == "not set"
    assert check.fix.startswith(f"Set {name}")


def test_signing_secret_not_needed_in_socket_mode(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, None, None, slack_signing_secret=None, slack_app_token=APP_TOKEN
    )
    checks = run_checks(settings, environ={}, timeout=0.5)
    assert find(checks, "settings", "SLACK_SIGNING_SECRET").status is Status.OK
    assert find(checks, "slack", "mode").detail.startswith("Socket Mode: SLACK_APP_TOKEN is set")


def test_nobody_allowed_to_record(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None, allowed_users=None)
    checks = run_checks(settings, environ={}, timeout=0.5)
    for name in ("ALLOWED_USERS", "ALLOWED_USERGROUP"):
        check = find(checks, "settings", name)
        assert check.status is Status.FAIL
        assert "nobody may record" in check.fix
    with_group = make_settings(tmp_path, None, None, allowed_users=None, allowed_usergroup="S1")
    checks = run_checks(with_group, environ={}, timeout=0.5)
    assert find(checks, "settings", "ALLOWED_USERS").status is Status.OK


def test_tokens_of_the_wrong_kind(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, None, None, slack_bot_token="xoxp-user-token", slack_app_token="xoxb-oops"
    )
    checks = run_checks(settings, environ={}, timeout=0.5)
    bot = find(checks, "settings", "SLACK_BOT_TOKEN")
    assert (bot.status, bot.detail) == (Status.FAIL, "set, but not a bot token")
    app = find(checks, "settings", "SLACK_APP_TOKEN")
    assert (app.status, app.detail) == (Status.FAIL, "set, but not an app-level token")
    mode = find(checks, "slack", "mode")
    assert mode.status is Status.FAIL
    assert "xoxp-user-token" not in render_text(checks) + render_json(checks)


def test_cms_over_plain_http_is_a_warning(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None, cms_base_url="http://cms.example.org")
    check = find(run_checks(settings, environ={}, timeout=0.5), "settings", "CMS_BASE_URL")
    assert check.status is Status.WARN
    assert "HTTPS" in check.fix


# --- the database ------------------------------------------------------------------------


def test_dyno_means_the_disk_is_wiped(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    checks = checks_for(make_settings(tmp_path, slack, sandbox), {"DYNO": "web.1"})
    check = find(checks, "database", "persistent storage")
    assert check.status is Status.FAIL
    assert check.detail.startswith("DYNO is set: this platform's disk is wiped")
    assert failures(checks) == [("database", "persistent storage")]
    assert not ready(checks)


def test_a_relative_database_path_is_a_warning(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    checks = checks_for(make_settings(tmp_path, slack, sandbox, database_path="log.db"))
    check = find(checks, "database", "persistent storage")
    assert check.status is Status.WARN
    assert check.detail == (
        f"DATABASE_PATH is relative (log.db): the log goes wherever the bot is started "
        f"(now {tmp_path / 'log.db'})."
    )
    assert ready(checks)  # a warning only
    assert render_text(checks).endswith("Ready, with 1 warning(s).")


def test_storage_warnings_for_serve(tmp_path: Path) -> None:
    absolute = make_settings(tmp_path, None, None)
    assert storage_warnings(absolute, {}) == []
    relative = make_settings(tmp_path, None, None, database_path="record-course.db")
    both = storage_warnings(relative, {"DYNO": "web.1"})
    assert len(both) == 2
    assert both[0].startswith("DYNO is set: this platform's disk is wiped on every restart")
    assert "persistent" in both[0]
    assert both[1].startswith("DATABASE_PATH is relative (record-course.db)")
    assert all("\n" not in w for w in both)


def test_the_folder_does_not_exist(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None, database_path=tmp_path / "no" / "log.db")
    check = find(run_checks(settings, environ={}, timeout=0.5), "database", "folder")
    assert check.status is Status.FAIL
    assert check.detail == f"The folder {tmp_path / 'no'} does not exist."


def deny_access(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `path` unwritable for this user; as root (who may write anywhere, as in CI's
    containers), by making `os.access` answer as it would for anyone else."""
    path.chmod(0o500 if path.is_dir() else 0o400)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        real = os.access

        def access(target: Any, mode: int) -> bool:
            if Path(target) == path and mode & os.W_OK:
                return False
            return real(target, mode)

        monkeypatch.setattr("bot.check.os.access", access)


def test_the_folder_is_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    deny_access(folder, monkeypatch)
    try:
        settings = make_settings(tmp_path, None, None, database_path=folder / "log.db")
        check = find(run_checks(settings, environ={}, timeout=0.5), "database", "folder")
    finally:
        folder.chmod(0o700)
    assert check.status is Status.FAIL
    assert "not writable" in check.detail


def test_the_file_is_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store(tmp_path / "log.db").close()
    deny_access(tmp_path / "log.db", monkeypatch)
    settings = make_settings(tmp_path, None, None)
    check = find(run_checks(settings, environ={}, timeout=0.5), "database", "file")
    assert check.status is Status.FAIL
    assert "not readable and writable" in check.detail


def test_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "log.db").write_text("this is a text file, not SQLite\n" * 100)
    settings = make_settings(tmp_path, None, None)
    check = find(run_checks(settings, environ={}, timeout=0.5), "database", "file")
    assert check.status is Status.FAIL
    assert check.detail.startswith(f"{tmp_path / 'log.db'} cannot be read as an SQLite database")


def test_a_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with Store(path) as store:
        for n in range(200):
            store.create(
                {
                    "key": f"k{n}",
                    "frontend": "cli",
                    "contact_id": 1042,
                    "course_id": 2,
                    "typed": {"contact_id": "1042", "notes": "x" * 200},
                    "assumed": [],
                    "notes": {},
                }
            )
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:  # scribble over pages in the middle of the file
        f.seek(page_size * 3)
        f.write(b"\xff" * page_size * 4)
    checks = run_checks(make_settings(tmp_path, None, None), environ={}, timeout=0.5)
    broken = [c for c in checks if c.group == "database" and c.status is Status.FAIL]
    assert len(broken) == 1
    assert broken[0].name in ("integrity", "file")
    assert "restore" in broken[0].fix


def test_schema_new_current_and_behind(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None)
    fresh = find(run_checks(settings, environ={}, timeout=0.5), "database", "file")
    assert (
        fresh.detail
        == f"{tmp_path / 'log.db'} does not exist yet: the bot creates it at first start."
    )
    Store(tmp_path / "log.db").close()
    schema = find(run_checks(settings, environ={}, timeout=0.5), "database", "schema")
    assert schema.status is Status.OK
    assert schema.detail.endswith(", up to date.")
    conn = sqlite3.connect(tmp_path / "log.db")
    with conn:
        last = conn.execute("SELECT max(name) FROM _migrations").fetchone()[0]
        conn.execute("DELETE FROM _migrations WHERE name = ?", [last])
    conn.close()
    behind = find(run_checks(settings, environ={}, timeout=0.5), "database", "schema")
    assert behind.status is Status.OK
    assert behind.detail.endswith("the bot will apply 1 newer migration(s) at start.")


def test_a_database_from_a_newer_bot(tmp_path: Path) -> None:
    Store(tmp_path / "log.db").close()
    conn = sqlite3.connect(tmp_path / "log.db")
    with conn:
        conn.execute("INSERT INTO _migrations VALUES ('999_from_the_future', '2030-01-01')")
    conn.close()
    settings = make_settings(tmp_path, None, None)
    check = find(run_checks(settings, environ={}, timeout=0.5), "database", "schema")
    assert check.status is Status.FAIL
    assert "999_from_the_future" in check.detail


def test_check_does_not_change_the_database(tmp_path: Path) -> None:
    Store(tmp_path / "log.db").close()
    before = (tmp_path / "log.db").read_bytes()
    run_checks(make_settings(tmp_path, None, None), environ={}, timeout=0.5)
    assert (tmp_path / "log.db").read_bytes() == before


# --- renewals ----------------------------------------------------------------------------


def test_renewal_rules(tmp_path: Path) -> None:
    rules = tmp_path / "renewals.toml"
    rules.write_text('[courses]\n"Safeguarding Foundations" = "3 years"\n2 = "36 months"\n')
    good = make_settings(tmp_path, None, None, renewals_path=rules)
    check = find(run_checks(good, environ={}, timeout=0.5), "renewals")
    assert (check.status, check.detail) == (Status.OK, f"2 rule(s) from {rules}.")
    rules.write_text('[courses]\n"Safeguarding Foundations" = "three-ish years"\n')
    bad = find(run_checks(good, environ={}, timeout=0.5), "renewals")
    assert bad.status is Status.FAIL
    assert str(rules) in bad.detail
    missing = make_settings(tmp_path, None, None, renewals_path=tmp_path / "gone.toml")
    gone = find(run_checks(missing, environ={}, timeout=0.5), "renewals")
    assert gone.status is Status.FAIL
    assert "no such file" in gone.detail


def test_no_renewals_file_at_the_default_path_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = make_settings(tmp_path, None, None, renewals_path=None)
    check = find(run_checks(settings, environ={}, timeout=0.5), "renewals")
    assert check.status is Status.OK
    assert check.detail.startswith("no file at renewals.toml")


# --- Slack -------------------------------------------------------------------------------


def test_slack_token_not_set(tmp_path: Path, slack: SlackStandIn) -> None:
    checks = checks_for(make_settings(tmp_path, slack, None, slack_bot_token=None))
    check = find(checks, "slack", "bot token")
    assert check.status is Status.FAIL
    assert check.detail == "not checked: SLACK_BOT_TOKEN is not set."
    assert slack.calls() == []


def test_slack_refuses_the_token(tmp_path: Path, slack: SlackStandIn) -> None:
    checks = checks_for(make_settings(tmp_path, slack, None, slack_bot_token="xoxb-wrong-one"))
    check = find(checks, "slack", "bot token")
    assert (check.status, check.detail) == (Status.FAIL, "Slack refused the token (invalid_auth).")
    assert "reinstall" in check.fix


def test_slack_revoked_token(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.fail("auth.test", "token_revoked")
    check = find(checks_for(make_settings(tmp_path, slack, None)), "slack", "bot token")
    assert (check.status, check.detail) == (Status.FAIL, "Slack refused the token (token_revoked).")


def test_slack_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None)
    check = find(checks_for(settings), "slack", "bot token")
    assert check.status is Status.FAIL
    assert check.detail.startswith(f"Slack could not be reached at {settings.slack_api_url}")
    assert "SLACK_API_URL" in check.fix


def test_slack_missing_scopes(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.scopes = ["commands", "chat:write", "channels:history"]
    check = find(checks_for(make_settings(tmp_path, slack, None)), "slack", "scopes")
    assert check.status is Status.FAIL
    assert check.detail == (
        "missing chat:write.public, im:write, usergroups:read "
        "(granted: channels:history, chat:write, commands)."
    )
    assert "reinstall the app" in check.fix


def test_slack_extra_scopes_are_fine(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.scopes = [*MANIFEST_SCOPES, "channels:history"]
    check = find(checks_for(make_settings(tmp_path, slack, None)), "slack", "scopes")
    assert check.status is Status.OK
    assert check.detail.endswith("; also granted: channels:history.")


def test_slack_without_a_scopes_header_is_a_warning(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.scopes = None
    check = find(checks_for(make_settings(tmp_path, slack, None)), "slack", "scopes")
    assert check.status is Status.WARN


def test_http_mode_without_a_signing_secret(tmp_path: Path, slack: SlackStandIn) -> None:
    checks = checks_for(make_settings(tmp_path, slack, None, slack_signing_secret=None))
    mode = find(checks, "slack", "mode")
    assert mode.status is Status.FAIL
    assert mode.detail.startswith("HTTP mode, but SLACK_SIGNING_SECRET is not set")


# --- the CMS -----------------------------------------------------------------------------


def test_cms_not_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None, cms_api_id=None, cms_secret_key=None)
    check = find(run_checks(settings, environ={}, timeout=0.5), "cms")
    assert check.status is Status.FAIL
    assert check.detail == "not checked: CMS_API_ID, CMS_SECRET_KEY not set."


def test_cms_wrong_secret(tmp_path: Path, sandbox: CMSSandbox) -> None:
    settings = make_settings(tmp_path, None, sandbox, cms_secret_key="not-the-secret")
    check = find(checks_for(settings), "cms")
    assert (check.name, check.status) == ("credentials", Status.FAIL)
    assert check.detail == "The CMS answered 401 (credentials not accepted): Invalid signature."
    assert "not-the-secret" not in render_text([check])


def test_cms_address_not_registered(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(403, path="/v2/courses")
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert (check.name, check.status) == ("server address", Status.FAIL)
    assert check.detail == (
        "The CMS answered 403 (forbidden): Forbidden. Most likely this server's address is not "
        f"registered with the CMS for api_id {SANDBOX_API_ID}."
    )
    assert "register it" in check.fix


def test_cms_credentials_for_another_diocese(tmp_path: Path, sandbox: CMSSandbox) -> None:
    settings = make_settings(tmp_path, None, sandbox, cms_diocese_id=SANDBOX_DIOCESE_ID + 1)
    check = find(checks_for(settings), "cms")
    assert check.status is Status.FAIL
    assert "CMS_DIOCESE_ID" in check.fix


def test_cms_404_is_the_diocese(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(404, path="/v2/courses")
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert (check.name, check.status) == ("diocese", Status.FAIL)
    assert "CMS_DIOCESE_ID" in check.fix


def test_cms_no_courses_is_the_diocese(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(200, path="/v2/courses", body=[])
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert (check.name, check.status) == ("diocese", Status.FAIL)
    assert check.detail == (
        f"The credentials work, but the CMS lists no courses for diocese {SANDBOX_DIOCESE_ID}."
    )


def test_cms_400_is_the_diocese(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(
        400, path="/v2/courses", body={"errors": {"diocese_id": ["The diocese id is invalid."]}}
    )
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert (check.name, check.status) == ("diocese", Status.FAIL)
    assert "The diocese id is invalid." in check.detail


def test_cms_unreachable_is_the_host(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, None)
    check = find(checks_for(settings), "cms")
    assert (check.name, check.status) == ("connection", Status.FAIL)
    assert check.detail == (
        f"The CMS at {settings.cms_base_url} could not be reached: "
        "The CMS could not be reached. Try again in a minute."
    )
    assert "CMS_BASE_URL" in check.fix


def test_cms_timeout_is_the_host(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.stall_next(3.0, path="/v2/courses")
    settings = make_settings(tmp_path, None, sandbox)
    check = find(run_checks(settings, environ={}, timeout=0.5), "cms")
    assert (check.name, check.status) == ("connection", Status.FAIL)
    assert "did not answer in time" in check.detail


def test_cms_answers_like_something_else(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(200, path="/v2/courses", body="<html>Welcome to nginx</html>")
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert (check.name, check.status) == ("connection", Status.FAIL)
    assert check.detail.startswith(f"The CMS at {sandbox.base_url} answered, but not as")


def test_cms_failing(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(500, path="/v2/courses")
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert check.status is Status.FAIL
    assert "HTTP 500" in check.detail


def test_cms_gone(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(410, path="/v2/courses")
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert check.status is Status.FAIL
    assert "HTTP 410" in check.detail


def test_cms_rate_limited_is_a_warning(tmp_path: Path, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(429, path="/v2/courses")
    check = find(checks_for(make_settings(tmp_path, None, sandbox)), "cms")
    assert check.status is Status.WARN
    assert "429" in check.detail


# --- the command -------------------------------------------------------------------------


def run_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", *args],
        env=env,
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def command_env(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in _SETTING_NAMES}
    return {
        **clean,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING,
        "SLACK_API_URL": slack.url,
        "CMS_BASE_URL": sandbox.base_url,
        "CMS_API_ID": SANDBOX_API_ID,
        "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
        "DATABASE_PATH": str(tmp_path / "log.db"),
        "ALLOWED_USERS": "U0ADMIN",
    }


_SETTING_NAMES = {name.upper() for name in Settings.model_fields} | {"DYNO"}


@pytest.mark.slow
def test_the_command_ready_and_not(
    tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox
) -> None:
    env = command_env(tmp_path, slack, sandbox)
    result = run_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("Ready.")
    assert "  ✓ SLACK_BOT_TOKEN: set\n" in result.stdout
    as_json = run_check(env, "--json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["ready"] is True
    broken = run_check({**env, "CMS_SECRET_KEY": "wrong", "DYNO": "web.1"})
    assert broken.returncode == 1
    assert "Traceback" not in broken.stderr
    assert "Not ready: 2 problem(s) to fix." in broken.stdout
    for secret in (TOKEN, SIGNING, SANDBOX_SECRET_KEY):
        assert secret not in broken.stdout + broken.stderr + result.stdout + as_json.stdout


@pytest.mark.slow
def test_the_command_with_nothing_reachable(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in _SETTING_NAMES}
    env = {
        **clean,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "CMS_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "DATABASE_PATH": str(tmp_path / "missing" / "log.db"),
    }
    result = run_check(env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "✗ SLACK_BOT_TOKEN: not set" in result.stdout
