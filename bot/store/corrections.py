"""The corrections of CMS records (`CorrectionLog`), beside the submissions."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.errors import StoreError
from bot.store.log import Store
from bot.store.models import (
    CORRECTED_COLUMNS,
    Correction,
    CorrectionState,
    correction_from_row,
    correction_row,
    utc_text,
)

log = logging.getLogger(__name__)


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
                "at": utc_text(at),
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
        row = correction_row(
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
                return correction_from_row(found[0]), False
            new_id = store._insert("corrections", row)
            correction = self._get(new_id)
            self._event(correction, now, state.value, {"changes": values.get("changes")})
        return correction, True

    def _get(self, correction_id: int) -> Correction:
        rows = self._store._rows("SELECT * FROM corrections WHERE id = ?", [correction_id])
        if not rows:
            raise StoreError(f"No correction {correction_id} in the log.")
        return correction_from_row(rows[0])

    def get(self, correction_id: int) -> Correction:
        with self._store._lock:
            return self._get(correction_id)

    def by_key(self, key: str) -> Correction | None:
        with self._store._lock:
            rows = self._store._rows("SELECT * FROM corrections WHERE key = ?", [key])
        return correction_from_row(rows[0]) if rows else None

    def update(self, correction_id: int, event: str, **changes: Any) -> Correction:
        """Change a correction and append `event` to the log, in one transaction. When it
        reaches `corrected`, the submission that made the record takes the record's new
        values (so `expiring` and the App Home read the corrected dates)."""
        store = self._store
        now = store._clock()
        row = correction_row({**changes, "updated_at": now})
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
        values = {name: after.get(name) for name in CORRECTED_COLUMNS}
        assignments = ", ".join(f"{name} = ?" for name in values)
        for row in rows:
            self._store._db.conn.execute(
                f"UPDATE submissions SET {assignments}, cms_body = ?, updated_at = ? "  # noqa: S608
                "WHERE id = ?",
                [*values.values(), json.dumps(after, default=str), utc_text(now), row["id"]],
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
                    utc_text(now),
                    utc_text(sent_at),
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
        return [correction_from_row(r) for r in rows]

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
