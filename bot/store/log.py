"""The submission log (`Store`): one shared connection behind a lock, in WAL mode."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.errors import StoreError
from bot.store.migrations import MIGRATIONS
from bot.store.models import (
    Batch,
    BatchState,
    State,
    Submission,
    decoded,
    from_row,
    to_row,
    utc_text,
)
from bot.store.owner import LEASE, Holder

log = logging.getLogger(__name__)


#: The columns this bot's `submissions` table has (a table without them is not our log).
_SUBMISSION_COLUMNS = frozenset(Submission.model_fields)

#: Seconds a write waits for another process's write lock before it gives up.
BUSY_TIMEOUT = 2.0
#: Milliseconds a best-effort write (what is only kept for search) waits for a lock.
QUICK_WRITE_MS = 50


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
                    {"name": name, "applied_at": utc_text(self._clock())}
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
        row = to_row(
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
        row = to_row({**changes, "updated_at": now})
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
                [submission_id, utc_text(now)],
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
                    utc_text(now),
                    utc_text(sent_at) if sent_at else None,
                    token,
                    utc_text(now + LEASE) if token else None,
                    submission_id,
                    State.PENDING.value,
                    State.SENDING.value,
                    State.FAILED.value,
                    token,
                    other,
                    utc_text(now),
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
                "at": utc_text(at),
                "event": event,
                "detail": json.dumps(detail, default=str),
            },
        )

    # -- batches --------------------------------------------------------------------------

    def create_batch(self, values: Mapping[str, Any]) -> tuple[Batch, bool]:
        """Insert a batch in state `matching`, or return the one with the same key."""
        now = self._clock()
        row = to_row({**values, "state": BatchState.MATCHING, "created_at": now, "updated_at": now})
        with self._transaction():
            existing = self._rows("SELECT * FROM batches WHERE key = ?", [row["key"]])
            if existing:
                return Batch.model_validate(decoded(existing[0])), False
            batch_id = self._insert("batches", row)
        return self.batch(batch_id), True

    def batch(self, batch_id: int) -> Batch:
        with self._lock:
            rows = self._rows("SELECT * FROM batches WHERE id = ?", [batch_id])
        if not rows:
            raise StoreError(f"No batch {batch_id} in the log.")
        return Batch.model_validate(decoded(rows[0]))

    def update_batch(self, batch_id: int, **changes: Any) -> Batch:
        row = to_row({**changes, "updated_at": self._clock()})
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
        now = to_row({"updated_at": self._clock()})["updated_at"]
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
        return [from_row(r) for r in rows]

    # -- reading --------------------------------------------------------------------------

    def _by_key(self, key: str) -> Submission | None:
        rows = self._rows("SELECT * FROM submissions WHERE key = ?", [key])
        return from_row(rows[0]) if rows else None

    def get(self, submission_id: int) -> Submission:
        with self._lock:
            rows = self._rows("SELECT * FROM submissions WHERE id = ?", [submission_id])
        if not rows:
            raise StoreError(f"No submission {submission_id} in the log.")
        return from_row(rows[0])

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
        return [from_row(r) for r in rows]

    def unfinished(self) -> list[Submission]:
        """Every submission still `pending` or `sending`, oldest first (to resume on start)."""
        with self._lock:
            rows = self._rows(
                "SELECT * FROM submissions WHERE state IN (?, ?) ORDER BY id",
                [State.PENDING.value, State.SENDING.value],
            )
        return [from_row(r) for r in rows]

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
        return [from_row(r) for r in rows]

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
                [contact_id, utc_text(since), *states],
            )
            wanted = to_row(fields)
            for row in rows:
                if exclude_key is not None and row["key"] == exclude_key:
                    continue
                if all(row.get(name) == value for name, value in wanted.items()):
                    return from_row(row)
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
        return [from_row(r) for r in rows]

    def failed(self, *, user_id: str | None = None, limit: int = 100) -> list[Submission]:
        """Submissions in state `failed` (they can be retried), newest first."""
        where, args = ("AND user_id = ?", [user_id]) if user_id else ("", [])
        with self._lock:
            rows = self._rows(
                f"SELECT * FROM submissions WHERE state = ? {where} "  # noqa: S608
                "ORDER BY id DESC LIMIT ?",
                [State.FAILED.value, *args, limit],
            )
        return [from_row(r) for r in rows]

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
        seen = utc_text(self._clock())
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
