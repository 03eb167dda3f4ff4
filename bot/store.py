"""The submission log in SQLite, through sqlite-utils. The only module that names tables.

Two tables:

- `submissions`: one row per submission, its state and everything needed to send it again,
  report it, or explain it later (what was typed, what was sent, what the CMS answered).
- `events`: every step of every submission, append-only, for the audit trail.

Secrets never reach this file: callers hand in the request parameters *without* `sig`, and
the client's secret key is not known here at all.

One process owns the database; a single connection is shared by every thread behind a lock
(SQLite in WAL mode, so readers in other processes, such as `python -m bot history` while the
app runs, are not blocked).

Two processes never send the same submission (`shared/design.md`, "one database, one owner"):

- `OwnerLock`: `serve`, `shell` and `resume` hold an exclusive `flock` on `<database>.lock`
  for their lifetime; a second one refuses to start, naming the first one's pid. The kernel
  drops the lock when its process dies (even by SIGKILL), so there is no stale lock to clean.
- A lease per submission (`claimed_by`, `lease_until`): `claim()` takes it, a final state or
  a scheduled retry gives it back, and nobody claims a submission another live process holds.
  `record` takes no owner lock (it sends only the submission it has just made, beside a
  serving bot); its lease keeps the owner's resume off that submission while it is sent.

Writes wait at most `busy_timeout` seconds (2 by default) for another process's write lock,
then raise `StoreError`: a request path answers a person within Slack's three seconds, and
the recorder keeps a CMS outcome in memory and writes it again with back-off.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlite_utils import Database

from bot.errors import StoreError as StoreError  # raised here; importers name it from here

log = logging.getLogger(__name__)


class State(StrEnum):
    """Where a submission is in its life."""

    PENDING = "pending"  # stored, not yet sent (or waiting to be retried)
    SENDING = "sending"  # a POST may be on its way: reconcile before sending again
    RECORDED = "recorded"  # the CMS created the record
    REJECTED = "rejected"  # the CMS answered 400
    NOT_FOUND = "not_found"  # the CMS answered 404
    FAILED = "failed"  # could not be completed; can be retried

    @property
    def final(self) -> bool:
        return self not in (State.PENDING, State.SENDING)


class Submission(BaseModel):
    """One row of the log, typed."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    state: State
    frontend: str
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    message_ts: str | None = None
    contact_id: int
    course_id: int
    qualification_id: int | None = None
    booked_at: dt.date | None = None
    attended_at: dt.date | None = None
    completed_at: dt.date | None = None
    expires_at: dt.date | None = None
    typed: dict[str, str]
    assumed: list[str]
    notes: dict[str, str]
    sent: dict[str, str] | None = None
    cms_status: int | None = None
    cms_body: Any = None
    record_id: int | None = None
    course_name: str | None = None
    qualification_name: str | None = None
    errors: dict[str, list[str]] | None = None
    reason: str | None = None
    attempts: int = 0
    reported: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    cms_ms: float | None = None
    batch_id: int | None = None
    #: Fields the bot filled in, each with how: {"expires_at": "3 years"} (a renewal period).
    filled: dict[str, str] = {}
    #: Who is sending it now (`Holder.token`), and until when the lease holds.
    claimed_by: str | None = None
    lease_until: dt.datetime | None = None
    #: The contact's name as last seen (the contact book, a session's match, the CMS).
    contact_name: str | None = None


class BatchState(StrEnum):
    """Where a batch (many contacts, one course) is in its life."""

    MATCHING = "matching"  # the pasted names are being looked up
    CONFIRMING = "confirming"  # the person is checking the matches
    RECORDING = "recording"  # its submissions are in the core
    DONE = "done"  # every submission is final
    ABANDONED = "abandoned"  # closed without confirming


class Batch(BaseModel):
    """One bulk recording: the common fields, the people, and how the names were matched."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    state: BatchState
    frontend: str
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    view_id: str | None = None
    message_ts: str | None = None
    typed: dict[str, str]
    attendance: list[str] = []
    picked: list[int] = []
    matches: list[dict[str, Any]] = []
    contact_ids: list[int] = []
    reported: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime


_JSON_COLUMNS = (
    "typed",
    "assumed",
    "notes",
    "sent",
    "cms_body",
    "errors",
    "attendance",
    "picked",
    "matches",
    "contact_ids",
    "filled",
)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _to_row(values: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in values.items():
        if name in _JSON_COLUMNS:
            row[name] = None if value is None else json.dumps(value, default=str)
        elif isinstance(value, dt.datetime):
            row[name] = _utc(value)
        elif isinstance(value, dt.date):
            row[name] = value.isoformat()
        elif isinstance(value, StrEnum):
            row[name] = value.value
        else:
            row[name] = value
    return row


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if v is not None or k not in _JSON_COLUMNS}
    for name in _JSON_COLUMNS:
        if values.get(name) is not None:
            values[name] = json.loads(values[name])
    values["reported"] = bool(values.get("reported"))
    return values


def _from_row(row: Mapping[str, Any]) -> Submission:
    return Submission.model_validate(_decoded(row))


# Each migration runs once, in order, and is recorded in `_migrations`; each is also written
# so that running it again changes nothing (sqlite-utils' create/if_not_exists pattern).
def _m001_create_submissions(db: Database) -> None:
    db.table("submissions").create(
        {
            "id": int,
            "key": str,
            "state": str,
            "frontend": str,
            "team_id": str,
            "channel_id": str,
            "user_id": str,
            "user_name": str,
            "message_ts": str,
            "contact_id": int,
            "course_id": int,
            "qualification_id": int,
            "booked_at": str,
            "attended_at": str,
            "completed_at": str,
            "expires_at": str,
            "typed": str,
            "assumed": str,
            "notes": str,
            "sent": str,
            "cms_status": int,
            "cms_body": str,
            "record_id": int,
            "course_name": str,
            "qualification_name": str,
            "errors": str,
            "reason": str,
            "attempts": int,
            "reported": int,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
            "finished_at": str,
            "cms_ms": float,
        },
        pk="id",
        not_null={"key", "state", "frontend", "contact_id", "course_id", "created_at"},
        defaults={"attempts": 0, "reported": 0},
        if_not_exists=True,
    )
    db.table("submissions").create_index(["key"], unique=True, if_not_exists=True)
    db.table("submissions").create_index(["state"], if_not_exists=True)
    db.table("submissions").create_index(["contact_id", "course_id"], if_not_exists=True)


def _m002_create_events(db: Database) -> None:
    db.table("events").create(
        {"id": int, "submission_id": int, "at": str, "event": str, "detail": str},
        pk="id",
        foreign_keys=[("submission_id", "submissions", "id")],
        if_not_exists=True,
    )
    db.table("events").create_index(["submission_id"], if_not_exists=True)


def _m003_add_filled(db: Database) -> None:
    if "filled" not in db.table("submissions").columns_dict:
        db.table("submissions").add_column("filled", str)


def _m004_create_batches(db: Database) -> None:
    db.table("batches").create(
        {
            "id": int,
            "key": str,
            "state": str,
            "frontend": str,
            "team_id": str,
            "channel_id": str,
            "user_id": str,
            "user_name": str,
            "view_id": str,
            "message_ts": str,
            "typed": str,
            "attendance": str,
            "picked": str,
            "matches": str,
            "contact_ids": str,
            "reported": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"key", "state", "frontend", "created_at"},
        defaults={"reported": 0},
        if_not_exists=True,
    )
    db.table("batches").create_index(["key"], unique=True, if_not_exists=True)
    if "batch_id" not in db.table("submissions").columns_dict:
        db.table("submissions").add_column("batch_id", int)
    db.table("submissions").create_index(["batch_id"], if_not_exists=True)


def _m005_create_corrections(db: Database) -> None:
    db.table("corrections").create(
        {
            "id": int,
            "key": str,
            "state": str,
            "frontend": str,
            "team_id": str,
            "channel_id": str,
            "thread_ts": str,
            "user_id": str,
            "user_name": str,
            "submission_id": int,
            "record_id": int,
            "contact_id": int,
            "course_id": int,
            "course_name": str,
            "before": str,
            "changes": str,
            "typed": str,
            "notes": str,
            "after": str,
            "meanwhile": str,
            "sent": str,
            "cms_status": int,
            "cms_body": str,
            "errors": str,
            "reason": str,
            "attempts": int,
            "reported": int,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
            "finished_at": str,
        },
        pk="id",
        not_null={"key", "state", "frontend", "record_id", "contact_id", "created_at"},
        defaults={"attempts": 0, "reported": 0},
        if_not_exists=True,
    )
    db.table("corrections").create_index(["key"], unique=True, if_not_exists=True)
    db.table("corrections").create_index(["state"], if_not_exists=True)
    db.table("corrections").create_index(["submission_id"], if_not_exists=True)
    db.table("corrections").create_index(["contact_id", "record_id"], if_not_exists=True)
    if "correction_id" not in db.table("events").columns_dict:
        db.table("events").add_column("correction_id", int)


def _m014_add_seen_names(db: Database) -> None:
    """Names as last seen (issue 14): each submission's contact name, and every
    qualification id and name seen in a CMS record (the CMS has no list of them)."""
    if "contact_name" not in db.table("submissions").columns_dict:
        db.table("submissions").add_column("contact_name", str)
    db.table("qualifications_seen").create(
        {"id": int, "name": str, "seen_at": str}, pk="id", if_not_exists=True
    )


def _m015_add_lease(db: Database) -> None:
    columns = db.table("submissions").columns_dict
    for name in ("claimed_by", "lease_until"):
        if name not in columns:
            db.table("submissions").add_column(name, str)


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("001_create_submissions", _m001_create_submissions),
    ("002_create_events", _m002_create_events),
    ("003_add_filled", _m003_add_filled),
    ("004_create_batches", _m004_create_batches),
    ("005_create_corrections", _m005_create_corrections),
    ("014_add_seen_names", _m014_add_seen_names),
    ("015_add_lease", _m015_add_lease),
]

#: The columns this bot's `submissions` table has (a table without them is not our log).
_SUBMISSION_COLUMNS = frozenset(Submission.model_fields)

#: Seconds a write waits for another process's write lock before it gives up.
BUSY_TIMEOUT = 2.0
#: Milliseconds a best-effort write (what is only kept for search) waits for a lock.
QUICK_WRITE_MS = 50
#: How long a lease on a submission holds unless given back (or its process is gone): longer
#: than any one send (each CMS call is bounded by CMS_TIMEOUT, rate-limit waits by 300 s).
LEASE = dt.timedelta(hours=1)


class Holder:
    """Who holds a lease: `owner` (a process holding the `OwnerLock`) or `record`.

    Its token reads `kind:host:pid:nonce`. An owner's lease is stale to the next owner (the
    owner lock proves the first is gone); a `record` lease is stale once its process is gone
    from this host, or when it expires.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.token = f"{kind}:{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"

    def outlived(self, token: str) -> bool:
        """Whether the lease `token` (another holder's) can be taken over by this holder."""
        kind, _, rest = token.partition(":")
        host, _, rest = rest.partition(":")
        pid_text = rest.partition(":")[0]
        if kind == "owner" and self.kind == "owner":
            return True
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class OwnerLock:
    """An exclusive `flock` on `<database>.lock`, for a process that sends whatever the log
    holds unfinished (`serve`, `shell`, `resume`). Raises `StoreError` naming the process
    that holds it. Released by `close()`, or by the kernel when the process ends."""

    def __init__(self, database: str | Path, command: str) -> None:
        self.path = f"{database}.lock"
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"Cannot open the database {database}: cannot create {self.path} "
                f"({exc.strerror or exc})."
            ) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self._fd, 200, 0).decode("utf-8", "replace").split()
            os.close(self._fd)
            self._fd = None
            who = f"pid {holder[0]}, {' '.join(holder[1:])}" if holder else "another process"
            raise StoreError(
                f"The database {database} is in use by another bot ({who}): stop it first, "
                "or give this one its own DATABASE_PATH."
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()} {command}\n".encode(), 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None

    def __enter__(self) -> OwnerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cannot_open(path: str, exc: BaseException) -> StoreError:
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        why = "it is not a SQLite database, or it is corrupt"
    elif "malformed" in text or "corrupt" in text:
        why = "it is corrupt (restore it from a backup)"
    elif "readonly" in text or "read-only" in text:
        why = "it is read-only: the bot must be able to write it and its folder"
    elif "unable to open" in text:
        why = "the file or its folder cannot be opened or written"
    else:
        why = text
    return StoreError(f"Cannot open the database {path}: {why}.")


class Store:
    """The submission log. Safe to use from several threads of one process."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
    ):
        self.path = str(path)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise _cannot_open(self.path, exc) from None
        try:
            self._db = Database(conn)
            if self.path != ":memory:":
                found = conn.execute("PRAGMA quick_check").fetchone()
                if found is None or found[0] != "ok":
                    raise sqlite3.DatabaseError("database disk image is malformed")
            self._check_ours()
            if self.path != ":memory:":
                self._db.enable_wal()  # synchronous stays FULL: a commit survives a power cut
            self.migrate()
            self._check_ours(migrated=True)
        except (sqlite3.Error, StoreError) as exc:
            conn.close()
            if isinstance(exc, StoreError):
                raise
            raise _cannot_open(self.path, exc) from None

    def _check_ours(self, *, migrated: bool = False) -> None:
        """Refuse a database that holds another application's tables (a wrong path)."""
        tables = {
            str(row[0])
            for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        }
        columns = set(self._db.table("submissions").columns_dict) if migrated else set()
        foreign = (tables and "_migrations" not in tables) or (
            migrated and not columns >= _SUBMISSION_COLUMNS
        )
        if foreign:
            raise StoreError(
                f"Cannot open the database {self.path}: it holds another application's tables, "
                "not this bot's log (check DATABASE_PATH)."
            )

    # -- housekeeping ---------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied; safe to call any number of times."""
        applied: list[str] = []
        with self._lock:
            self._db.table("_migrations").create(
                {"name": str, "applied_at": str}, pk="name", if_not_exists=True
            )
            done = {row["name"] for row in self._db.table("_migrations").rows}
            for name, migration in MIGRATIONS:
                if name in done:
                    continue
                migration(self._db)
                self._db.table("_migrations").insert(
                    {"name": name, "applied_at": _utc(self._clock())}
                )
                applied.append(name)
        return applied

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Database]:
        with self._lock:
            conn = self._db.conn
            try:
                with conn:
                    yield self._db
            except sqlite3.Error as exc:
                raise StoreError(f"The submission log could not be written: {exc}") from exc

    # Hot paths use plain SQL on the shared connection: sqlite-utils' table helpers ask the
    # schema on every call, which costs more than the query. Schema work stays with it.

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cursor = self._db.conn.execute(sql, list(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(f"The submission log could not be read: {exc}") from None

    def _insert(self, table: str, row: Mapping[str, Any]) -> int:
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cursor = self._db.conn.execute(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 (our own names)
            list(row.values()),
        )
        return int(cursor.lastrowid or 0)

    # -- writing --------------------------------------------------------------------------

    def create(self, values: Mapping[str, Any]) -> tuple[Submission, bool]:
        """Insert a new submission in state `pending`, or return the one with the same key.

        Returns the submission and whether it was created now.
        """
        now = self._clock()
        row = _to_row(
            {
                **values,
                "state": State.PENDING,
                "attempts": 0,
                "reported": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        with self._transaction() as db:
            existing = self._by_key(row["key"])
            if existing is not None:
                return existing, False
            new_id = self._insert("submissions", row)
            self._event(db, new_id, now, "submitted", {"typed": values.get("typed")})
        return self.get(new_id), True

    def update(
        self,
        submission_id: int,
        event: str,
        *,
        note: Any = None,  # a Mapping; Any, as callers pass their changes on as **kwargs
        **changes: Any,
    ) -> Submission:
        """Change a submission and append `event` to its history, in one transaction (the
        event's detail: the changes, and `note`, such as who asked for them)."""
        now = self._clock()
        detail = {k: v for k, v in changes.items() if k not in ("cms_body",)}
        detail.update(dict(note or {}))
        row = _to_row({**changes, "updated_at": now})
        with self._transaction() as db:
            assignments = ", ".join(f"{name} = ?" for name in row)
            db.conn.execute(
                f"UPDATE submissions SET {assignments} WHERE id = ?",  # noqa: S608
                [*row.values(), submission_id],
            )
            self._event(db, submission_id, now, event, detail)
        return self.get(submission_id)

    def claim(
        self,
        submission_id: int,
        *,
        sent: Mapping[str, str],
        sent_at: dt.datetime | None = None,
        holder: Holder | None = None,
    ) -> Submission | None:
        """Move a submission that is not yet final (or failed) to `sending`, atomically,
        counting the attempt. A submission already `sending` (left so by a crash or a lost
        answer) is claimed again: the caller reconciles it with the CMS before any POST.

        `sent_at` marks that a POST may leave from now on (kept from an earlier attempt when
        None). With a `holder`, the claim takes the submission's lease, and is refused while
        another live holder has it. Returns None when it is already recorded, rejected or not
        found, or leased by another process.
        """
        now = self._clock()
        token = holder.token if holder else None
        with self._transaction() as db:
            held = db.execute(
                "SELECT claimed_by FROM submissions WHERE id = ? AND lease_until > ?",
                [submission_id, _utc(now)],
            ).fetchone()
            other = held[0] if held and held[0] and held[0] != token else None
            if other is not None and (holder is None or not holder.outlived(other)):
                return None
            cursor = db.execute(
                "UPDATE submissions SET state = ?, sent = ?, updated_at = ?, "
                "sent_at = coalesce(?, sent_at), attempts = attempts + 1, "
                "claimed_by = ?, lease_until = ? "
                "WHERE id = ? AND state IN (?, ?, ?) AND (claimed_by IS ? OR claimed_by IS ? "
                "OR lease_until IS NULL OR lease_until <= ?)",
                [
                    State.SENDING.value,
                    json.dumps(dict(sent)),
                    _utc(now),
                    _utc(sent_at) if sent_at else None,
                    token,
                    _utc(now + LEASE) if token else None,
                    submission_id,
                    State.PENDING.value,
                    State.SENDING.value,
                    State.FAILED.value,
                    token,
                    other,
                    _utc(now),
                ],
            )
            if cursor.rowcount != 1:
                return None
            self._event(db, submission_id, now, "sending", {"sent": dict(sent), "by": token})
        return self.get(submission_id)

    def leased_until(self, submission_id: int) -> dt.datetime | None:
        """When another's lease on the submission runs out (None when it has none)."""
        with self._lock:
            rows = self._rows(
                "SELECT lease_until FROM submissions WHERE id = ? AND claimed_by IS NOT NULL",
                [submission_id],
            )
        value = rows[0]["lease_until"] if rows else None
        return dt.datetime.fromisoformat(value) if value else None

    def note(self, submission_id: int, event: str, detail: Mapping[str, Any] | None = None) -> None:
        """Append an event without changing the submission."""
        with self._transaction() as db:
            self._event(db, submission_id, self._clock(), event, dict(detail or {}))

    def _event(
        self, db: Database, submission_id: int, at: dt.datetime, event: str, detail: Any
    ) -> None:
        self._insert(
            "events",
            {
                "submission_id": submission_id,
                "at": _utc(at),
                "event": event,
                "detail": json.dumps(detail, default=str),
            },
        )

    # -- batches --------------------------------------------------------------------------

    def create_batch(self, values: Mapping[str, Any]) -> tuple[Batch, bool]:
        """Insert a batch in state `matching`, or return the one with the same key."""
        now = self._clock()
        row = _to_row(
            {**values, "state": BatchState.MATCHING, "created_at": now, "updated_at": now}
        )
        with self._transaction():
            existing = self._rows("SELECT * FROM batches WHERE key = ?", [row["key"]])
            if existing:
                return Batch.model_validate(_decoded(existing[0])), False
            batch_id = self._insert("batches", row)
        return self.batch(batch_id), True

    def batch(self, batch_id: int) -> Batch:
        with self._lock:
            rows = self._rows("SELECT * FROM batches WHERE id = ?", [batch_id])
        if not rows:
            raise StoreError(f"No batch {batch_id} in the log.")
        return Batch.model_validate(_decoded(rows[0]))

    def update_batch(self, batch_id: int, **changes: Any) -> Batch:
        row = _to_row({**changes, "updated_at": self._clock()})
        assignments = ", ".join(f"{name} = ?" for name in row)
        with self._transaction() as db:
            db.conn.execute(
                f"UPDATE batches SET {assignments} WHERE id = ?",  # noqa: S608 (our names)
                [*row.values(), batch_id],
            )
        return self.batch(batch_id)

    def claim_batch(self, batch_id: int, from_state: BatchState, to_state: BatchState) -> bool:
        """Move a batch from `from_state` to `to_state` if it is still in `from_state`, at
        once (compare and set); whether this call moved it. Of two confirms of one page,
        only the one that claims the batch goes on."""
        now = _to_row({"updated_at": self._clock()})["updated_at"]
        with self._transaction() as db:
            cursor = db.conn.execute(
                "UPDATE batches SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                [to_state.value, now, batch_id, from_state.value],
            )
            return bool(cursor.rowcount == 1)

    def batch_submissions(self, batch_id: int) -> list[Submission]:
        with self._lock:
            rows = self._rows(
                "SELECT * FROM submissions WHERE batch_id = ? ORDER BY id", [batch_id]
            )
        return [_from_row(r) for r in rows]

    # -- reading --------------------------------------------------------------------------

    def _by_key(self, key: str) -> Submission | None:
        rows = self._rows("SELECT * FROM submissions WHERE key = ?", [key])
        return _from_row(rows[0]) if rows else None

    def get(self, submission_id: int) -> Submission:
        with self._lock:
            rows = self._rows("SELECT * FROM submissions WHERE id = ?", [submission_id])
        if not rows:
            raise StoreError(f"No submission {submission_id} in the log.")
        return _from_row(rows[0])

    def by_key(self, key: str) -> Submission | None:
        with self._lock:
            return self._by_key(key)

    def recent(self, limit: int = 20, *, user_id: str | None = None) -> list[Submission]:
        where, args = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock:
            rows = self._rows(
                f"SELECT * FROM submissions {where} ORDER BY id DESC LIMIT ?",  # noqa: S608
                [*args, limit],
            )
        return [_from_row(r) for r in rows]

    def unfinished(self) -> list[Submission]:
        """Every submission still `pending` or `sending`, oldest first (to resume on start)."""
        with self._lock:
            rows = self._rows(
                "SELECT * FROM submissions WHERE state IN (?, ?) ORDER BY id",
                [State.PENDING.value, State.SENDING.value],
            )
        return [_from_row(r) for r in rows]

    def unreported(self) -> list[Submission]:
        """Final submissions whose outcome has not yet reached the person."""
        finals = [s.value for s in State if s.final]
        marks = ", ".join("?" for _ in finals)
        with self._lock:
            rows = self._rows(
                f"SELECT * FROM submissions WHERE reported = 0 AND state IN ({marks}) "  # noqa: S608
                "ORDER BY id",
                finals,
            )
        return [_from_row(r) for r in rows]

    def find_similar(
        self,
        *,
        contact_id: int,
        fields: Mapping[str, Any],
        since: dt.datetime,
        exclude_key: str | None = None,
    ) -> Submission | None:
        """The newest submission for the same contact, course, qualification and dates,
        created since `since` and recorded or still on its way (a probable duplicate)."""
        states = [State.RECORDED.value, State.PENDING.value, State.SENDING.value]
        with self._lock:
            rows = self._rows(
                "SELECT * FROM submissions WHERE contact_id = ? AND created_at >= ? "
                "AND state IN (?, ?, ?) ORDER BY id DESC",
                [contact_id, _utc(since), *states],
            )
            wanted = _to_row(fields)
            for row in rows:
                if exclude_key is not None and row["key"] == exclude_key:
                    continue
                if all(row.get(name) == value for name, value in wanted.items()):
                    return _from_row(row)
        return None

    def expiring(self, today: dt.date, until: dt.date) -> list[Submission]:
        """Recorded submissions whose expiry falls from `today` to `until` (both included),
        soonest first: for each contact and course only the one with the latest expiry,
        so a renewal recorded since (expiring later, in the window or beyond it) hides the
        record it renews."""
        recorded = State.RECORDED.value
        with self._lock:
            rows = self._rows(
                "SELECT s.* FROM submissions AS s "
                "WHERE s.state = ? AND s.expires_at >= ? AND s.expires_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM submissions AS r "
                "WHERE r.state = ? AND r.contact_id = s.contact_id "
                "AND r.course_id = s.course_id AND (r.expires_at > s.expires_at "
                "OR (r.expires_at = s.expires_at AND r.id > s.id))) "
                "ORDER BY s.expires_at, s.id",
                [recorded, today.isoformat(), until.isoformat(), recorded],
            )
        return [_from_row(r) for r in rows]

    def failed(self, *, user_id: str | None = None, limit: int = 100) -> list[Submission]:
        """Submissions in state `failed` (they can be retried), newest first."""
        where, args = ("AND user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock:
            rows = self._rows(
                f"SELECT * FROM submissions WHERE state = ? {where} "  # noqa: S608
                "ORDER BY id DESC LIMIT ?",
                [State.FAILED.value, *args, limit],
            )
        return [_from_row(r) for r in rows]

    def known_qualifications(self) -> list[tuple[int, str]]:
        """Qualification ids and names the CMS has returned so far (there is no CMS list)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT qualification_id, max(qualification_name) FROM submissions "
                "WHERE record_id IS NOT NULL AND qualification_id IS NOT NULL "
                "AND qualification_name IS NOT NULL GROUP BY qualification_id "
                "UNION SELECT id, name FROM qualifications_seen "
                "WHERE id NOT IN (SELECT qualification_id FROM submissions WHERE record_id IS "
                "NOT NULL AND qualification_id IS NOT NULL AND qualification_name IS NOT NULL) "
                "ORDER BY 2"
            ).fetchall()
        return [(int(qid), str(name)) for qid, name in rows]

    def remember_qualifications(self, records: Iterable[Any]) -> None:
        """Keep the qualification id and name of each CMS record seen (objects with
        `qualification_id` and `qualification_name`), so they can be searched by name."""
        rows = {
            int(r.qualification_id): str(r.qualification_name)
            for r in records
            if getattr(r, "qualification_id", None) and getattr(r, "qualification_name", None)
        }
        if not rows:
            return
        with self._lock:
            known = dict(self._db.execute("SELECT id, name FROM qualifications_seen").fetchall())
        rows = {qid: name for qid, name in rows.items() if known.get(qid) != name}
        if not rows:
            return  # nothing new: no write at all
        seen = _utc(self._clock())
        # Best effort, for search only: never wait on another process's write lock (this runs
        # beside request-path writes, which share this connection and its lock).
        with self._lock:
            conn = self._db.conn
            conn.execute(f"PRAGMA busy_timeout = {QUICK_WRITE_MS}")
            try:
                with conn:
                    conn.executemany(
                        "INSERT INTO qualifications_seen (id, name, seen_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
                        "seen_at = excluded.seen_at",
                        [(qid, name, seen) for qid, name in rows.items()],
                    )
            except sqlite3.OperationalError as exc:
                log.info("qualifications seen not kept (the log is busy): %s", exc)
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")

    def events(self, submission_id: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._rows(
                "SELECT * FROM events WHERE submission_id = ? ORDER BY id", [submission_id]
            )
            return [{**r, "detail": json.loads(r["detail"])} for r in rows]

    def count(self, state: State | None = None) -> int:
        with self._lock:
            if state is None:
                return int(self._db.conn.execute("SELECT count(*) FROM submissions").fetchone()[0])
            return int(
                self._db.conn.execute(
                    "SELECT count(*) FROM submissions WHERE state = ?", [state.value]
                ).fetchone()[0]
            )


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """The names of the migrations a database has had, in order, without changing it.

    An empty list for a database the bot has not yet opened. For `python -m bot check`,
    which compares them with `MIGRATIONS`.
    """
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if found is None:
        return []
    return [str(row[0]) for row in conn.execute("SELECT name FROM _migrations ORDER BY name")]


# --- corrections ---------------------------------------------------------------------------


class CorrectionState(StrEnum):
    """Where a correction (a PUT of an existing CMS record) is in its life."""

    PENDING = "pending"  # stored, not yet sent (or waiting to be retried)
    SENDING = "sending"  # a PUT may be on its way: the record is read before sending again
    CORRECTED = "corrected"  # the CMS holds the corrected values
    UNCHANGED = "unchanged"  # the form changed nothing: nothing was sent
    CONFLICT = "conflict"  # someone changed the record since the form opened: not sent
    REJECTED = "rejected"  # the CMS answered 400
    NOT_FOUND = "not_found"  # the CMS has no such record (or contact)
    FAILED = "failed"  # could not be completed

    @property
    def final(self) -> bool:
        return self not in (CorrectionState.PENDING, CorrectionState.SENDING)


class Correction(BaseModel):
    """One row of the `corrections` table, typed: who corrected which CMS record, the
    record as it was when the form opened (`before`), what was to change (`changes`, the PUT's
    parameters), and the record as the CMS then held it (`after`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    state: CorrectionState
    frontend: str
    team_id: str | None = None
    channel_id: str | None = None
    #: The thread the correction is told in (the original submission's).
    thread_ts: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    #: The submission that made the record, when the bot made it.
    submission_id: int | None = None
    record_id: int
    contact_id: int
    course_id: int | None = None
    course_name: str | None = None
    before: dict[str, Any]
    changes: dict[str, str]
    typed: dict[str, str] = {}
    notes: dict[str, str] = {}
    after: dict[str, Any] | None = None
    #: The record as found just before sending, when someone else had changed it.
    meanwhile: dict[str, Any] | None = None
    sent: dict[str, str] | None = None
    cms_status: int | None = None
    cms_body: Any = None
    errors: dict[str, list[str]] | None = None
    reason: str | None = None
    attempts: int = 0
    reported: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


_CORRECTION_JSON = (
    "before",
    "changes",
    "typed",
    "notes",
    "after",
    "meanwhile",
    "sent",
    "cms_body",
    "errors",
)
#: The columns of a submission a correction changes (the CMS's record as it now is).
_CORRECTED_COLUMNS = (
    "qualification_id",
    "booked_at",
    "attended_at",
    "completed_at",
    "expires_at",
    "qualification_name",
)


def _correction_row(values: Mapping[str, Any]) -> dict[str, Any]:
    row = _to_row({k: v for k, v in values.items() if k not in _CORRECTION_JSON})
    for name in _CORRECTION_JSON:
        if name in values:
            value = values[name]
            row[name] = None if value is None else json.dumps(value, default=str)
    return row


def _correction_from_row(row: Mapping[str, Any]) -> Correction:
    values = {k: v for k, v in row.items() if v is not None}
    for name in _CORRECTION_JSON:
        if values.get(name) is not None:
            values[name] = json.loads(values[name])
    values["reported"] = bool(values.get("reported"))
    return Correction.model_validate(values)


class CorrectionLog:
    """The corrections in the submission log (table `corrections`; their steps go to
    `events`, under the original submission where there is one)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _event(self, correction: Correction, at: dt.datetime, event: str, detail: Any) -> None:
        self._store._insert(
            "events",
            {
                "submission_id": correction.submission_id,
                "correction_id": correction.id,
                "at": _utc(at),
                "event": f"correction {event}",
                "detail": json.dumps(detail, default=str),
            },
        )

    def create(
        self, values: Mapping[str, Any], *, state: CorrectionState = CorrectionState.PENDING
    ) -> tuple[Correction, bool]:
        """Insert a correction (`pending`, or final such as `unchanged`), or return the one
        with the same key; and whether it was created now."""
        store = self._store
        now = store._clock()
        row = _correction_row(
            {
                **values,
                "state": state,
                "attempts": 0,
                "reported": 0,
                "created_at": now,
                "updated_at": now,
                **({"finished_at": now} if state.final else {}),
            }
        )
        with store._transaction():
            found = store._rows("SELECT * FROM corrections WHERE key = ?", [row["key"]])
            if found:
                return _correction_from_row(found[0]), False
            new_id = store._insert("corrections", row)
            correction = self._get(new_id)
            self._event(correction, now, state.value, {"changes": values.get("changes")})
        return correction, True

    def _get(self, correction_id: int) -> Correction:
        rows = self._store._rows("SELECT * FROM corrections WHERE id = ?", [correction_id])
        if not rows:
            raise StoreError(f"No correction {correction_id} in the log.")
        return _correction_from_row(rows[0])

    def get(self, correction_id: int) -> Correction:
        with self._store._lock:
            return self._get(correction_id)

    def by_key(self, key: str) -> Correction | None:
        with self._store._lock:
            rows = self._store._rows("SELECT * FROM corrections WHERE key = ?", [key])
        return _correction_from_row(rows[0]) if rows else None

    def update(self, correction_id: int, event: str, **changes: Any) -> Correction:
        """Change a correction and append `event` to the log, in one transaction. When it
        reaches `corrected`, the submission that made the record takes the record's new
        values (so `expiring` and the App Home read the corrected dates)."""
        store = self._store
        now = store._clock()
        row = _correction_row({**changes, "updated_at": now})
        with store._transaction() as db:
            assignments = ", ".join(f"{name} = ?" for name in row)
            db.conn.execute(
                f"UPDATE corrections SET {assignments} WHERE id = ?",  # noqa: S608 (our names)
                [*row.values(), correction_id],
            )
            correction = self._get(correction_id)
            detail = {k: v for k, v in changes.items() if k not in ("cms_body",)}
            self._event(correction, now, event, detail)
            if correction.state is CorrectionState.CORRECTED and correction.after is not None:
                self._apply(correction, now)
        return correction

    def _apply(self, correction: Correction, now: dt.datetime) -> None:
        after = correction.after or {}
        rows = self._store._rows(
            "SELECT id FROM submissions WHERE record_id = ? AND contact_id = ?",
            [correction.record_id, correction.contact_id],
        )
        values = {name: after.get(name) for name in _CORRECTED_COLUMNS}
        assignments = ", ".join(f"{name} = ?" for name in values)
        for row in rows:
            self._store._db.conn.execute(
                f"UPDATE submissions SET {assignments}, cms_body = ?, updated_at = ? "  # noqa: S608
                "WHERE id = ?",
                [*values.values(), json.dumps(after, default=str), _utc(now), row["id"]],
            )
            self._store._event(
                self._store._db,
                row["id"],
                now,
                "corrected",
                {"correction_id": correction.id, "by": correction.user_id or correction.user_name},
            )

    def claim(
        self, correction_id: int, *, sent: Mapping[str, str], sent_at: dt.datetime
    ) -> Correction | None:
        """Move a correction not yet final (or failed) to `sending`, counting the attempt;
        `sent_at` is kept from an earlier attempt. None when it is already final."""
        store = self._store
        now = store._clock()
        with store._transaction() as db:
            cursor = db.execute(
                "UPDATE corrections SET state = ?, sent = ?, updated_at = ?, "
                "sent_at = coalesce(sent_at, ?), attempts = attempts + 1 "
                "WHERE id = ? AND state IN (?, ?, ?)",
                [
                    CorrectionState.SENDING.value,
                    json.dumps(dict(sent)),
                    _utc(now),
                    _utc(sent_at),
                    correction_id,
                    CorrectionState.PENDING.value,
                    CorrectionState.SENDING.value,
                    CorrectionState.FAILED.value,
                ],
            )
            if cursor.rowcount != 1:
                return None
            correction = self._get(correction_id)
            self._event(correction, now, "sending", {"sent": dict(sent)})
        return correction

    def _select(self, where: str, params: Sequence[Any]) -> list[Correction]:
        with self._store._lock:
            rows = self._store._rows(
                f"SELECT * FROM corrections {where}",  # noqa: S608 (our own clauses)
                params,
            )
        return [_correction_from_row(r) for r in rows]

    def unfinished(self) -> list[Correction]:
        """Corrections still `pending` or `sending`, oldest first (to resume on start)."""
        return self._select(
            "WHERE state IN (?, ?) ORDER BY id",
            [CorrectionState.PENDING.value, CorrectionState.SENDING.value],
        )

    def unreported(self) -> list[Correction]:
        """Final corrections whose outcome has not yet reached the person."""
        finals = [s.value for s in CorrectionState if s.final]
        marks = ", ".join("?" for _ in finals)
        return self._select(f"WHERE reported = 0 AND state IN ({marks}) ORDER BY id", finals)

    def of_record(self, contact_id: int, record_id: int) -> list[Correction]:
        return self._select(
            "WHERE contact_id = ? AND record_id = ? ORDER BY id", [contact_id, record_id]
        )

    def of_submissions(self, submission_ids: Sequence[int]) -> dict[int, list[Correction]]:
        """The corrections made to each submission's record, oldest first."""
        if not submission_ids:
            return {}
        marks = ", ".join("?" for _ in submission_ids)
        found: dict[int, list[Correction]] = {}
        for c in self._select(
            f"WHERE submission_id IN ({marks}) ORDER BY id", list(submission_ids)
        ):
            assert c.submission_id is not None
            found.setdefault(c.submission_id, []).append(c)
        return found

    def recent(self, limit: int = 20) -> list[Correction]:
        return self._select("ORDER BY id DESC LIMIT ?", [limit])

    def maker(self, contact_id: int, record_id: int) -> int | None:
        """The id of the submission that made a CMS record, when the bot made it."""
        with self._store._lock:
            rows = self._store._rows(
                "SELECT id FROM submissions WHERE record_id = ? AND contact_id = ? "
                "ORDER BY id LIMIT 1",
                [record_id, contact_id],
            )
        return int(rows[0]["id"]) if rows else None
