"""Correcting a CMS record: checked, logged, sent exactly once, told once.

The core of "Correct this record", beside `bot.recording` and like it naming no front end:

1. `fetch(contact_id, record_id)` reads the record as the CMS holds it now (a form or the
   command line starts from it, never from what the log remembers).
2. `check(typed, current)` (`bot.correction.check_correction`) reads what was typed and
   checks the whole corrected record.
3. `submit(...)` stores the correction in the log (`corrections`, linked to the submission
   that made the record and to the CMS record id) and hands it to the core's workers; a
   correction that changes nothing is stored as `unchanged` and told, with nothing sent.
4. `process(id)` reads the record again just before sending. If it already holds the
   corrected values (an earlier PUT whose answer was lost did arrive), that is the outcome. If
   someone changed it since the form was opened, nothing is sent: the correction ends as a
   `conflict` and the person is shown what changed and asked again, so nobody's correction is
   silently overwritten. Otherwise the PUT is sent.

A PUT is repeatable (the same values sent twice leave the same record, cms-api.md), so after
the record has been read and found without the corrected values, sending them again is safe,
unlike a POST; the record is still read first every time, both to learn whether a lost PUT
arrived and to catch a concurrent change.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from bot.cms.client import CMSClient
from bot.cms.models import CourseRecord, CourseRecordChanges
from bot.correction import CheckedCorrection, changed_fields, check_correction
from bot.errors import (
    CMSAnswerLost,
    CMSAuthError,
    CMSError,
    CMSNotFound,
    CMSRateLimited,
    CMSUnavailable,
    CMSValidationError,
)
from bot.once import Later, OneAtATime
from bot.store import Correction, CorrectionLog, CorrectionState, Store
from bot.submission import Origin, Typed

log = logging.getLogger(__name__)

Listener = Callable[[Correction], None]


class CorrectionNotifier(Protocol):
    """What a front end does to tell its corrections (attached by `Corrector.attach`)."""

    def correction_outcome(self, correction: Correction) -> None:
        """The correction reached an outcome (final, or a retry scheduled): tell the person.
        Called again after a restart for any final outcome not yet marked reported."""


def not_found_message(contact_id: int, record_id: int) -> str:
    return f"The CMS holds no record {record_id} for contact {contact_id}."


class Corrector:
    """Corrections on the core's workers; built by the `Recorder`, which runs its jobs."""

    def __init__(
        self,
        store: Store,
        cms: CMSClient,
        *,
        run: Callable[[Callable[[], None]], None],
        now: Callable[[], dt.datetime],
        today: Callable[[], dt.date],
        retry_delays: Sequence[float],
    ) -> None:
        self.store = store
        self.log = CorrectionLog(store)
        self.cms = cms
        self._run = run
        self._now = now
        self._today = today
        self.retry_delays = tuple(retry_delays)
        self._notifiers: dict[str, CorrectionNotifier] = {}
        self._listeners: list[Listener] = []
        self._sending = OneAtATime()
        self._later = Later()
        self._stopping = threading.Event()

    # -- reading --------------------------------------------------------------------------

    def fetch(self, contact_id: int, record_id: int) -> CourseRecord:
        """The record as the CMS holds it now (`GET /v2/contacts/{id}/courses`); raises
        `CMSNotFound` when the contact holds no such record."""
        for record in self.cms.list_course_records(contact_id):
            if record.id == record_id:
                return record
        raise CMSNotFound(not_found_message(contact_id, record_id), status_code=404)

    def check(self, typed: Typed, current: CourseRecord, *, blank_keeps: bool) -> CheckedCorrection:
        return check_correction(typed, current, today=self._today(), blank_keeps=blank_keeps)

    # -- storing --------------------------------------------------------------------------

    def submit(
        self,
        checked: CheckedCorrection,
        current: CourseRecord | dict[str, Any],
        origin: Origin,
        *,
        typed: Typed | None = None,
        submission_id: int | None = None,
        thread_ts: str | None = None,
    ) -> Correction:
        """Store the correction and hand it to the workers (a repeat of the same key
        returns the first one). `current` is the record as fetched when the form opened."""
        before = current.model_dump(mode="json") if isinstance(current, CourseRecord) else current
        if submission_id is None:
            submission_id = self.log.maker(int(before["contact_id"]), int(before["id"]))
        state = CorrectionState.PENDING if checked.changes else CorrectionState.UNCHANGED
        correction, created = self.log.create(
            {
                "key": origin.key or f"{origin.frontend}:correct:{time.time_ns()}",
                "frontend": origin.frontend,
                "team_id": origin.team_id,
                "channel_id": origin.channel_id,
                "thread_ts": thread_ts,
                "user_id": origin.user_id,
                "user_name": origin.user_name,
                "submission_id": submission_id,
                "record_id": before["id"],
                "contact_id": before["contact_id"],
                "course_id": before.get("course_id"),
                "course_name": before.get("course_name"),
                "before": before,
                "changes": checked.changes.params(),
                "typed": typed.model_dump() if typed else {},
                "notes": checked.notes,
            },
            state=state,
        )
        if created:
            log.info("correction %s stored (%s, %s)", correction.id, origin.frontend, state.value)
            if state.final:
                self._notify(correction)
            else:
                self.dispatch(correction.id)
        return correction

    def mark_reported(self, correction_id: int, how: str = "thread") -> None:
        self.log.update(correction_id, f"reported ({how})", reported=1)

    # -- sending --------------------------------------------------------------------------

    def dispatch(self, correction_id: int) -> None:
        """Send on the core's workers when they run, else at once on this thread."""

        def job() -> None:
            self.process(correction_id)

        self._run(job)

    def process(self, correction_id: int) -> Correction:
        return self._sending.run(correction_id, self._process, busy=self.log.get)

    def _process(self, correction_id: int) -> Correction:
        correction = self.log.get(correction_id)
        if correction.state.final and correction.state is not CorrectionState.FAILED:
            return correction
        may_have_arrived = correction.sent_at is not None
        changes = CourseRecordChanges.model_validate(correction.changes)
        claimed = self.log.claim(correction_id, sent=changes.params(), sent_at=self._now())
        if claimed is None:
            return self.log.get(correction_id)
        started = time.monotonic()
        try:
            # Read the record just before sending: an earlier PUT may have arrived, and
            # someone else may have corrected it since the form was opened.
            now = self.fetch(correction.contact_id, correction.record_id)
            if changes.held_by(now):
                if may_have_arrived:
                    self.log.update(correction_id, "reconciled", state=CorrectionState.SENDING)
                return self._finish(correction_id, CorrectionState.CORRECTED, started, after=now)
            if changed_fields(correction.before, now):
                return self._finish(
                    correction_id,
                    CorrectionState.CONFLICT,
                    started,
                    meanwhile=now.model_dump(mode="json"),
                    reason="The record was changed in the CMS after the form was opened.",
                )
            # Not applied, and as the form showed it: send. Resending after a lost answer
            # is safe because a PUT with the same values leaves the same record.
            after = self.cms.update_course_record(
                correction.contact_id, correction.record_id, changes
            )
        except CMSValidationError as exc:
            return self._finish(
                correction_id,
                CorrectionState.REJECTED,
                started,
                cms_status=400,
                cms_body=exc.body,
                errors=exc.errors,
                reason=exc.message,
            )
        except CMSNotFound as exc:
            return self._finish(
                correction_id,
                CorrectionState.NOT_FOUND,
                started,
                cms_status=404,
                cms_body=exc.body,
                reason=not_found_message(correction.contact_id, correction.record_id),
            )
        except (CMSAnswerLost, CMSUnavailable, CMSRateLimited) as exc:
            return self._retry_or_fail(correction_id, exc)
        except (CMSAuthError, CMSError) as exc:
            return self._finish(
                correction_id,
                CorrectionState.FAILED,
                started,
                cms_status=exc.status_code,
                cms_body=exc.body,
                reason=exc.message,
            )
        except Exception:
            log.exception("correction %s: unexpected error while sending", correction_id)
            return self._finish(
                correction_id,
                CorrectionState.FAILED,
                started,
                reason="An unexpected error stopped this correction.",
            )
        return self._finish(correction_id, CorrectionState.CORRECTED, started, after=after)

    def _finish(
        self,
        correction_id: int,
        state: CorrectionState,
        started: float,
        *,
        after: CourseRecord | None = None,
        **changes: Any,
    ) -> Correction:
        if after is not None:
            changes.update(after=after.model_dump(mode="json"), cms_status=200)
        correction = self.log.update(
            correction_id, state.value, state=state, finished_at=self._now(), **changes
        )
        log.info(
            "correction %s: %s (%.0f ms)",
            correction_id,
            state.value,
            (time.monotonic() - started) * 1000,
        )
        self._notify(correction)
        return correction

    def _retry_or_fail(self, correction_id: int, exc: CMSError) -> Correction:
        correction = self.log.get(correction_id)
        attempt = correction.attempts
        if attempt <= len(self.retry_delays) and not self._stopping.is_set():
            delay = self.retry_delays[attempt - 1]
            correction = self.log.update(
                correction_id,
                "retry_scheduled",
                state=CorrectionState.SENDING,  # read the record before sending again
                cms_status=exc.status_code,
                reason=exc.message,
            )
            log.warning("correction %s: %s; retrying in %ss", correction_id, exc.message, delay)
            self._notify(correction)
            self._schedule(correction_id, delay)
            return correction
        return self._finish(
            correction_id,
            CorrectionState.FAILED,
            time.monotonic(),
            cms_status=exc.status_code,
            reason=exc.message,
        )

    def _schedule(self, correction_id: int, delay: float) -> None:
        def fire() -> None:
            if not self._stopping.is_set():
                self.dispatch(correction_id)

        self._later.call(delay, fire)

    # -- front ends -----------------------------------------------------------------------

    def attach(self, frontend: str, notifier: CorrectionNotifier) -> None:
        self._notifiers[frontend] = notifier

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(correction)` after each outcome, for every front end."""
        self._listeners.append(listener)

    def _notify(self, correction: Correction) -> None:
        notifier = self._notifiers.get(correction.frontend)
        tellers = [notifier.correction_outcome] if notifier is not None else []
        for listener in [*tellers, *self._listeners]:
            try:
                listener(correction)
            except Exception:
                log.exception("correction %s: a listener failed", correction.id)

    # -- lifetime (the Recorder calls these) ----------------------------------------------

    def resume(self) -> None:
        """Send what a previous run left unfinished; tell what it left untold."""
        self._stopping.clear()
        for correction in self.log.unfinished():
            log.info("resuming correction %s (%s)", correction.id, correction.state.value)
            self.dispatch(correction.id)
        for correction in self.log.unreported():
            self._notify(correction)

    def stop(self) -> None:
        self._stopping.set()
        self._later.cancel()

    @property
    def idle(self) -> bool:
        return self._sending.idle and self._later.idle
