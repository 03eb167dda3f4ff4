"""`python -m bot backup FILE`: a consistent copy while submissions are being written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.backup import BackupError, backup
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent


def values(n: int) -> dict[str, object]:
    return {
        "key": f"backup-{n}",
        "frontend": "cli",
        "user_id": "U1",
        "contact_id": 1000 + n,
        "course_id": 2,
        "typed": {"contact_id": str(1000 + n), "completed_at": "yesterday"},
        "assumed": [],
        "notes": {},
    }


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def test_backup_while_submissions_are_written(tmp_path: Path) -> None:
    source = tmp_path / "log.db"
    Store(source).close()
    committed: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with Store(source) as store:
                n = 0
                while not stop.is_set():
                    submission, _ = store.create(values(n))
                    store.update(submission.id, "sent", attempts=1)
                    with lock:
                        committed.append(submission.id)
                    n += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(committed) < 50:
            threading.Event().wait(0.01)
        copies = []
        for i in range(5):
            with lock:
                before = list(committed)
            target = tmp_path / f"copy-{i}.db"
            result = backup(source, target)
            copies.append((target, before))
            assert result.target == target
            assert result.size == target.stat().st_size > 0
    finally:
        stop.set()
        thread.join()
    assert errors == []
    for target, before in copies:
        assert integrity(target) == ["ok"]
        assert not Path(f"{target}-wal").exists()  # one self-contained file
        with Store(target) as copy:
            held = copy.count()
            assert held >= len(before)
            for submission_id in before:
                assert copy.get(submission_id).attempts == 1
    assert copies[-1][1] != copies[0][1]  # the writer really was writing meanwhile
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source = tmp_path / "log.db"
    with Store(source) as store:
        store.create(values(1))
    target = tmp_path / "copy.db"
    target.write_text("an older backup")
    with pytest.raises(BackupError) as refused:
        backup(source, target)
    assert refused.value.message == f"{target} already exists: choose another name, or add --force."
    assert target.read_text() == "an older backup"
    backup(source, target, force=True)
    with Store(target) as copy:
        assert copy.count() == 1


def test_clear_messages_for_a_missing_source_and_a_bad_target(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"there is no such file \(DATABASE_PATH\)\.$"):
        backup(tmp_path / "nothing.db", tmp_path / "copy.db")
    assert not (tmp_path / "nothing.db").exists()  # not created by trying
    (tmp_path / "text.db").write_text("not a database at all\n" * 50)
    with pytest.raises(BackupError, match="not an SQLite database"):
        backup(tmp_path / "text.db", tmp_path / "copy.db")
    source = tmp_path / "log.db"
    Store(source).close()
    with pytest.raises(BackupError, match=r"the folder .* does not exist"):
        backup(source, tmp_path / "no" / "copy.db")
    with pytest.raises(BackupError, match="is the database itself"):
        backup(source, source, force=True)
    with pytest.raises(BackupError, match="is a folder"):
        backup(source, tmp_path)
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder(tmp_path: Path) -> None:
    source = tmp_path / "log.db"
    Store(source).close()
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(BackupError, match="may not write in"):
            backup(source, folder / "copy.db")
    finally:
        folder.chmod(0o700)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_the_command(tmp_path: Path) -> None:
    source = tmp_path / "log.db"
    with Store(source) as store:
        store.create(values(7))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMS_"))},
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_PATH": str(source),
    }
    made = run(env, "backup", str(tmp_path / "copy.db"))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"Backed up {source} to {tmp_path / 'copy.db'} (")
    again = run(env, "backup", str(tmp_path / "copy.db"))
    assert again.returncode == 1
    assert again.stderr == (
        f"error: {tmp_path / 'copy.db'} already exists: choose another name, or add --force.\n"
    )
    forced = run(env, "backup", "--force", str(tmp_path / "copy.db"))
    assert forced.returncode == 0
    missing = run({**env, "DATABASE_PATH": str(tmp_path / "gone.db")}, "backup", "x.db")
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert "Traceback" not in missing.stderr
