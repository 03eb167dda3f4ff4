"""One-line messages instead of tracebacks at start, and settings that would start but
refuse everyone (issue 12, items 6 and 7)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings
from bot.store import Store, StoreError
from tests.support.serving import ROOT

# --- item 7: who may record, normalised where it is read -------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("U0ADMIN U0BOB", ["U0ADMIN", "U0BOB"]),
        ("U0ADMIN, U0BOB", ["U0ADMIN", "U0BOB"]),
        ("U0ADMIN,U0BOB,", ["U0ADMIN", "U0BOB"]),
        ("u0admin", ["U0ADMIN"]),
        ("<@U0ADMIN>", ["U0ADMIN"]),
        ("<@U0ADMIN|admin> <@u0bob|Bob Smith>", ["U0ADMIN", "U0BOB"]),
        ("U0ADMIN U0ADMIN", ["U0ADMIN"]),
        ("W0ENTERPRISE", ["W0ENTERPRISE"]),
        ("  ", []),
    ],
)
def test_allowed_users_are_normalised(text: str, users: list[str]) -> None:
    assert load_settings(_env_file=None, allowed_users=text).allowed_users == users


@pytest.mark.parametrize("text", ["U0ADMIN bob", "@admin", "U0-ADMIN", "<#C0123>", "S0GROUP"])
def test_garbage_user_ids_are_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^Invalid settings: ALLOWED_USERS: .* Slack user id"):
        load_settings(_env_file=None, allowed_users=text)


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("", None),
        ("   ", None),
        ("S0123", "S0123"),
        ("s0123", "S0123"),
        ("<!subteam^S0123|@admins>", "S0123"),
        ("<!subteam^S0123>", "S0123"),
    ],
)
def test_allowed_usergroup_is_normalised_and_blank_is_unset(text: str, group: str | None) -> None:
    assert load_settings(_env_file=None, allowed_usergroup=text).allowed_usergroup == group


def test_a_garbage_usergroup_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"ALLOWED_USERGROUP: .* user group id"):
        load_settings(_env_file=None, allowed_usergroup="admins")


# --- item 6: settings refused at settings time -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_API_URL", "not a url"),
        ("SLACK_API_URL", "ftp://slack.com/api/"),
        ("CMS_BASE_URL", "cmsapi.cofeportal.org"),
        ("CMS_TIMEOUT", "inf"),
        ("CMS_TIMEOUT", "nan"),
        ("CMS_TIMEOUT", "1e9"),
        ("CMS_TIMEOUT", "0"),
    ],
)
@pytest.mark.slow
def test_bad_urls_and_timeouts_are_refused_in_one_line(
    name: str, value: str, tmp_path: Path
) -> None:
    done = bot(tmp_path, "history", **{name: value, "DATABASE_PATH": str(tmp_path / "l.db")})
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line.startswith(f"error: Invalid settings: {name}: ")


def test_a_cms_timeout_up_to_five_minutes_is_taken() -> None:
    assert load_settings(_env_file=None, cms_timeout="300").cms_timeout == 300


# --- item 6: a database that cannot be opened ------------------------------------------------


def bot(
    folder: Path, *args: str, user: int | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMS_"))}
    full = {
        **clean,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-start-test",
        "SLACK_SIGNING_SECRET": "start-test-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "CMS_BASE_URL": "http://127.0.0.1:9",
        "CMS_API_ID": "api",
        "CMS_SECRET_KEY": "secret",
        "CMS_DIOCESE_ID": "1",
        "ALLOWED_USERS": "U0ADMIN",
        **env,
    }
    prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", *args],
        env=full,
        cwd=folder,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def _log(path: Path) -> Path:
    with Store(path) as store:
        for n in range(40):
            store.create(
                {
                    "key": f"k{n}",
                    "frontend": "cli",
                    "contact_id": 1042,
                    "course_id": 2,
                    "typed": {"note": "x" * 500},
                    "assumed": [],
                    "notes": {},
                }
            )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    return path


def corrupt(folder: Path) -> Path:
    path = _log(folder / "log.db")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 6] = os.urandom(page * 4)  # past the header: it still opens
    path.write_bytes(bytes(data))
    return path


def not_sqlite(folder: Path) -> Path:
    path = folder / "log.db"
    path.write_text("name,course\nJoan,Foundations\n" * 200)
    return path


def foreign(folder: Path) -> Path:
    path = folder / "log.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
    conn.close()
    return path


def foreign_submissions(folder: Path) -> Path:
    path = folder / "log.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        conn.execute("CREATE TABLE submissions (id INTEGER PRIMARY KEY, what TEXT)")
    conn.close()
    return path


def unwritable_folder(folder: Path) -> Path:
    blocker = folder / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    return blocker / "log.db"


KINDS = {
    "corrupt": (corrupt, "corrupt"),
    "not-sqlite": (not_sqlite, "not a SQLite database"),
    "foreign": (foreign, "another application's tables"),
    "foreign-submissions": (foreign_submissions, "another application's tables"),
    "unwritable-folder": (unwritable_folder, "cannot"),
}
COMMANDS = {
    "serve": ["serve", "--port", "0", "--host", "127.0.0.1"],
    "record": ["record", "1042", "--course", "2"],
    "history": ["history"],
    "resume": ["resume"],
    "expiring": ["expiring"],
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_database_that_cannot_be_opened_is_one_line(
    command: str, kind: str, tmp_path: Path
) -> None:
    make, says = KINDS[kind]
    path = make(tmp_path)
    done = bot(tmp_path, *COMMANDS[command], DATABASE_PATH=str(path))
    assert done.returncode == 1, done.stdout + done.stderr
    line = one_line(done.stderr)
    assert line.startswith(f"error: Cannot open the database {path}"), line
    assert says in line


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="holds-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
@pytest.mark.parametrize("command", ["serve", "record", "resume", "history", "expiring"])
def test_a_read_only_database_is_one_line(command: str, shared_folder: Path) -> None:
    # Root writes anywhere: the command runs as `nobody`, who may read but not write.
    path = _log(shared_folder / "log.db")
    path.chmod(0o444)
    shared_folder.chmod(0o555)
    done = bot(shared_folder, *COMMANDS[command], user=65534, DATABASE_PATH=str(path))
    if command in ("history", "expiring") and done.returncode == 0:
        return  # reading needs no writing: fine
    assert done.returncode == 1, done.stdout + done.stderr
    line = one_line(done.stderr)
    assert line.startswith(f"error: Cannot open the database {path}"), line


def test_store_error_is_the_one_path_for_a_database_that_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a SQLite database"):
        Store(not_sqlite(tmp_path))
