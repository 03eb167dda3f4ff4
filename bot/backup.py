"""`python -m bot backup FILE`: a consistent copy of the SQLite log, safe while `serve` runs.

SQLite's online backup API (`sqlite3.Connection.backup`) copies the database as one read
transaction: the copy is the database as it was at one moment, with every transaction
committed by then and none half-written, and in WAL mode the bot goes on writing meanwhile.
The copy is written beside FILE under a temporary name, checked (`PRAGMA integrity_check`),
switched to a single self-contained file (no `-wal` beside it), and only then renamed to FILE,
so a failed backup never leaves a half-written FILE or destroys an older one.

This module knows nothing of the tables (`bot.store` is the only module that names them).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BotError


class BackupError(BotError):
    """The backup could not be made; the message says why, in one line."""


@dataclass(frozen=True)
class BackupResult:
    source: Path
    target: Path
    size: int
    pages: int

    def summary(self) -> str:
        return f"Backed up {self.source} to {self.target} ({_size(self.size)}, integrity check ok)."


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"
    return f"{n / 1024 / 1024:.1f} MB"


def _open_source(source: Path) -> sqlite3.Connection:
    """Open an existing database without ever creating one."""
    if not source.exists():
        raise BackupError(f"Cannot back up {source}: there is no such file (DATABASE_PATH).")
    if not source.is_file():
        raise BackupError(f"Cannot back up {source}: it is not a file (DATABASE_PATH).")
    if not os.access(source, os.R_OK):
        raise BackupError(f"Cannot back up {source}: this user may not read it.")
    uri = source.absolute().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=10)
    except sqlite3.Error:
        try:  # a read-only file (or folder) is still enough to copy from
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error as exc:
            raise BackupError(f"Cannot back up {source}: it cannot be opened ({exc}).") from None
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise BackupError(f"Cannot back up {source}: not an SQLite database ({exc}).") from None
    return conn


def _check_target(source: Path, target: Path, *, force: bool) -> None:
    if target.exists() or target.is_symlink():
        if target.is_dir():
            raise BackupError(f"{target} is a folder: give the backup a file name.")
        with contextlib.suppress(OSError):
            if target.samefile(source):
                raise BackupError(f"{target} is the database itself: choose another file.")
        if not force:
            raise BackupError(f"{target} already exists: choose another name, or add --force.")
    folder = target.parent.absolute()
    if not folder.is_dir():
        raise BackupError(f"Cannot write {target}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"Cannot write {target}: this user may not write in {folder}.")


def backup(source: str | Path, target: str | Path, *, force: bool = False) -> BackupResult:
    """Copy the database at `source` to `target` consistently, while others may write to it.

    Refuses to overwrite an existing `target` unless `force`. Raises `BackupError` with a
    one-line message for a missing or unreadable source and an unwritable target.
    """
    source, target = Path(source), Path(target)
    _check_target(source, target, force=force)
    src = _open_source(source)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        try:
            dst = sqlite3.connect(partial)
        except sqlite3.Error as exc:
            raise BackupError(f"Cannot write {target}: {exc}.") from None
        try:
            src.backup(dst)  # all pages in one step: one read transaction, one moment
            # One self-contained file: a copy in WAL mode would need its -wal beside it.
            dst.execute("PRAGMA journal_mode=DELETE").fetchone()
            result = [str(row[0]) for row in dst.execute("PRAGMA integrity_check").fetchall()]
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        except sqlite3.Error as exc:
            raise BackupError(f"The backup to {target} failed: {exc}.") from None
        finally:
            dst.close()
        if result != ["ok"]:
            raise BackupError(
                f"The copy failed its integrity check ({'; '.join(result[:2])}): "
                f"{source} may be damaged."
            )
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        try:
            os.replace(partial, target)
        except OSError as exc:
            raise BackupError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    except OSError as exc:
        raise BackupError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    finally:
        src.close()
        with contextlib.suppress(OSError):
            partial.unlink()
    return BackupResult(source=source, target=target, size=target.stat().st_size, pages=pages)
