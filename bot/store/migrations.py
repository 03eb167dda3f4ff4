"""The log's schema, as migrations that are safe to run twice (sqlite-utils' pattern).

A new column or table is a new function here and a new entry at the end of `MIGRATIONS`;
names are never reused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database


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
