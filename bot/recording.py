"""The recording core: one submission, checked, logged, sent exactly once.

Every front end (the Slack listeners, the local console, `python -m bot record`) turns its
input into a `Typed` submission and an `Origin`, and calls the same `Recorder`:

1. `check(typed)` reads and checks everything that can be checked without the CMS (dates by
   `bot.dates`, their order, ids, required fields) and raises `SubmissionInvalid` keyed by
   CMS parameter name (the modal's block ids).
2. `submit(typed, origin)` stores the submission as `pending` and returns at once. A second
   submit with the same origin key returns the first submission, unchanged.
3. `process(id)` sends it and records the outcome. `start()` runs `process` on worker threads
   of our own (never the caller's), at most `workers` CMS calls in flight, and resumes what a
   previous run left `pending` or `sending`.

A POST that may have reached the CMS (the submission was `sending` when the process died, or
an earlier attempt lost its answer) is never sent again before the CMS has been asked
whether the record exists.

A submission is sent by one process at a time: `claim` takes its lease for this recorder's
`holder`, and one that another live process holds is left alone (looked at again when the
lease runs out). The outcome of a CMS call is never lost to a locked or full database: it is
kept in memory and written again with back-off until the log takes it, and only then told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from queue import Queue
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.bulk import name_in_label
from bot.cms.client import CMSClient
from bot.cms.models import CourseRecord, NewCourseRecord
from bot.correcting import Corrector
from bot.errors import (
    CMSAnswerLost,
    CMSAuthError,
    CMSError,
    CMSNotFound,
    CMSRateLimited,
    CMSUnavailable,
    CMSValidationError,
)
from bot.fields import DATE_FIELDS
from bot.once import Later, OneAtATime
from bot.renewals import RenewalRules
from bot.store import Batch, BatchState, Holder, State, Store, StoreError, Submission
from bot.submission import Checked, CourseNames, Origin, Typed, check

log = logging.getLogger(__name__)


#: How far back a probable duplicate is looked for.
DUPLICATE_WINDOW = dt.timedelta(hours=1)
#: How far before an earlier attempt's send time a reconciliation looks for the record.
RECONCILE_MARGIN = dt.timedelta(minutes=5)
#: Back-off between attempts to write an outcome to a locked or full log (seconds), the last
#: repeated; and how long to keep trying once the recorder is stopping.
WRITE_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)
WRITE_GRACE = 10.0
#: Seconds before a submission whose claim could not be written is tried again.
CLAIM_RETRY = 2.0
#: Longest wait before looking again at a submission another process is sending.
LEASE_RECHECK = 30.0


def record_of(submission: Submission) -> NewCourseRecord:
    """The CMS parameters a stored submission sends."""
    return NewCourseRecord(
        course_id=submission.course_id,
        qualification_id=submission.qualification_id,
        **{name: getattr(submission, name) for name in DATE_FIELDS},
    )


Listener = Callable[[Submission], None]
#: A contact's name by id, from memory at once (None when not known; never the CMS on the
#: caller's thread).
ContactNames = Callable[[int], str | None]
#: Longest name kept in the log.
MAX_NAME = 200


class Notifier(Protocol):
    """What a front end does for its submissions to be sent and told.

    The core names no front end: each one (the Slack app, the command line) attaches its
    notifier under the `frontend` name its submissions carry (`Recorder.attach`), and the
    core calls it.
    """

    def accepted(self, submission: Submission, send: Callable[[], None]) -> None:
        """A new submission was stored. Announce it if the front end does (Slack posts the
        thread's parent message), then call `send()`, from any thread: until then it is
        not sent, so an outcome never overtakes its announcement."""

    def accepted_batch(
        self, batch: Batch, submissions: Sequence[Submission], send: Callable[[], None]
    ) -> None:
        """A confirmed batch's submissions were stored: as `accepted`, once for them all."""

    def outcome(self, submission: Submission) -> None:
        """The submission reached an outcome (final, or a retry scheduled): tell the person.
        Called again after a restart for any outcome not yet marked reported."""


class Recorder:
    """The core. Build one per process with its store and CMS client; `start()` its workers."""

    def __init__(
        self,
        store: Store,
        cms: CMSClient,
        *,
        zone: ZoneInfo | str = "Europe/London",
        workers: int = 2,
        retry_delays: Sequence[float] = (5.0, 30.0, 120.0),
        now: Callable[[], dt.datetime] | None = None,
        renewals: RenewalRules | None = None,
        course_names: CourseNames | None = None,
        holder: Holder | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        #: Whose lease this recorder's claims take (`record` is not the log's owner).
        self.holder = holder or Holder("owner")
        self._sleep = sleep
        #: Course renewal periods that fill in a blank expiry (none by default).
        self.renewals = renewals or RenewalRules()
        #: A course's name by id, for rules keyed by name (the Slack app sets its catalogue's;
        #: it must answer at once, from memory).
        self.course_names = course_names
        #: A contact's name by id, at once, from memory (the Slack app sets its contact
        #: book's): kept in the log as the name last seen.
        self.contact_names: ContactNames | None = None
        self.cms = cms
        self.zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        self.workers = workers
        self.retry_delays = tuple(retry_delays)
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._listeners: list[Listener] = []
        self._notifiers: dict[str, Notifier] = {}
        self._queue: Queue[int | Callable[[], None] | None] = Queue()
        self._jobs_running = 0
        self._threads: list[threading.Thread] = []
        self._later = Later()
        self._sending = OneAtATime()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        #: Corrections of CMS records (`bot.correcting`), sent on these same workers.
        self.corrections = Corrector(
            store,
            cms,
            run=self.run_job,
            now=self._now,
            today=self.today,
            retry_delays=self.retry_delays,
        )

    # -- reading --------------------------------------------------------------------------

    def today(self) -> dt.date:
        return self._now().astimezone(self.zone).date()

    def check(self, typed: Typed) -> Checked:
        return check(
            typed, today=self.today(), renewals=self.renewals, course_names=self.course_names
        )

    def probable_duplicate(self, checked: Checked, *, key: str = "") -> Submission | None:
        """A submission of the same record in the last hour, recorded or on its way."""
        return self.store.find_similar(
            contact_id=checked.contact_id,
            fields=checked.record.model_dump(),
            since=self._now() - DUPLICATE_WINDOW,
            exclude_key=key or None,
        )

    # -- storing --------------------------------------------------------------------------

    def seen(self, key: str, typed: Typed) -> tuple[str, Submission | None]:
        """The key a submission of `typed` under `key` is stored with, and the submission
        already stored with that key and the same content (a repeat), if there is one.

        A key seen before with *different* content (a front end that reuses ids, such as a
        stand-in restarted) is a new submission: it gets a key of its own, derived from the
        content, so that repeating *it* is a repeat in turn. Never a silent drop."""
        existing = self.store.by_key(key)
        if existing is None or existing.typed == typed.model_dump():
            return key, existing
        content = json.dumps(typed.model_dump(), sort_keys=True).encode()
        derived = f"{key}~{hashlib.sha256(content).hexdigest()[:16]}"
        return derived, self.store.by_key(derived)

    def submit(
        self,
        typed: Typed,
        origin: Origin,
        *,
        checked: Checked | None = None,
        batch_id: int | None = None,
        contact_name: str | None = None,
    ) -> Submission:
        """Store a checked submission as `pending` and return it; do not send it.

        With the key of an earlier submission of the same content, returns that one
        unchanged; the key of an earlier one with other content is stored anew (`seen`).
        `contact_name`: the contact's name as the front end saw it (else `contact_names` is
        asked).
        """
        key = origin.key or f"{origin.frontend}:{uuid.uuid4()}"
        if origin.key:
            key, existing = self.seen(key, typed)
            if existing is not None:  # do not read the dates of a repeat again
                return existing
        if checked is None:
            checked = self.check(typed)
        submission, created = self.store.create(
            {
                "key": key,
                "frontend": origin.frontend,
                "team_id": origin.team_id,
                "channel_id": origin.channel_id,
                "user_id": origin.user_id,
                "user_name": origin.user_name,
                "contact_id": checked.contact_id,
                **checked.record.model_dump(),
                "typed": typed.model_dump(),
                "assumed": list(checked.assumed),
                "notes": checked.notes,
                "filled": checked.filled,
                "batch_id": batch_id,
                "contact_name": self.seen_name(checked.contact_id, contact_name),
            }
        )
        if created:
            log.info("submission %s stored (%s)", submission.id, origin.frontend)
            notifier = self._notifiers.get(origin.frontend)
            if notifier is not None and batch_id is None:
                notifier.accepted(submission, partial(self.dispatch, submission.id))
        return submission

    def submit_batch(self, batch: Batch, contact_ids: Sequence[int]) -> list[Submission]:
        """Store one `pending` submission per contact of a confirmed batch, each with its
        own key (a repeat returns the stored ones), and mark the batch `recording`."""
        typed = Typed(**batch.typed)
        checked = self.check_common(typed)
        labels = {
            int(m["contact_id"]): str(m.get("label") or "")
            for m in batch.matches
            if isinstance(m.get("contact_id"), int)
        }
        submissions = []
        for contact_id in contact_ids:
            person = Typed(**{**typed.model_dump(), "contact_id": str(contact_id)})
            origin = Origin(
                frontend=batch.frontend,
                key=f"batch:{batch.id}:{contact_id}",
                team_id=batch.team_id,
                channel_id=batch.channel_id,
                user_id=batch.user_id,
                user_name=batch.user_name,
            )
            submissions.append(
                self.submit(
                    person,
                    origin,
                    checked=replace(checked, contact_id=contact_id),
                    batch_id=batch.id,
                    contact_name=name_in_label(labels.get(contact_id, ""), contact_id),
                )
            )
        self.store.update_batch(batch.id, state=BatchState.RECORDING, contact_ids=list(contact_ids))
        notifier = self._notifiers.get(batch.frontend)
        if notifier is not None:

            def send() -> None:
                for submission in submissions:
                    self.dispatch(submission.id)

            notifier.accepted_batch(self.store.batch(batch.id), submissions, send)
        return submissions

    def check_common(self, typed: Typed) -> Checked:
        """Check what the people of a batch share (course, qualification, dates)."""
        return check(
            typed,
            today=self.today(),
            contact_required=False,
            renewals=self.renewals,
            course_names=self.course_names,
        )

    def seen_name(self, contact_id: int, given: str | None = None) -> str | None:
        """The contact's name as last seen: the contact book's (the newest), else `given`
        (what the front end saw), cut to `MAX_NAME`. Never asks the CMS on this thread."""
        known = None
        if self.contact_names is not None:
            try:
                known = self.contact_names(contact_id)
            except Exception:
                log.exception("could not tell contact %d's name", contact_id)
        name = (known or given or "").strip()
        return name[:MAX_NAME] or None

    def set_message(self, submission_id: int, message_ts: str, channel_id: str) -> Submission:
        """Remember the message a front end posted about a submission (its thread's parent)."""
        return self._write(
            submission_id, "message_posted", message_ts=message_ts, channel_id=channel_id
        )

    def mark_reported(self, submission_id: int, how: str = "thread") -> None:
        """Remember that the person has been told the outcome (`how`: thread, dm, console)."""
        self._write(submission_id, f"reported ({how})", reported=1)

    def _write(self, submission_id: int, event: str, **changes: object) -> Submission:
        """`store.update`, tried again with back-off while the log is locked or full: what
        it holds (a CMS outcome) stays in memory meanwhile. Gives up (raises `StoreError`)
        only when the recorder is stopping and the log stayed unwritable for `WRITE_GRACE`
        seconds; a `sending` row left so is reconciled with the CMS on the next start."""
        given_up_at: float | None = None
        for attempt in range(1_000_000):
            try:
                return self.store.update(submission_id, event, **changes)
            except StoreError as exc:
                if self._stopping.is_set():
                    given_up_at = given_up_at or time.monotonic() + WRITE_GRACE
                    if time.monotonic() > given_up_at:
                        log.error("submission %s: %s; giving up (%s)", submission_id, exc, event)
                        raise
                delay = WRITE_BACKOFF[min(attempt, len(WRITE_BACKOFF) - 1)]
                log.warning(
                    "submission %s: %s; writing %r again in %ss", submission_id, exc, event, delay
                )
                self._sleep(delay)
        raise AssertionError("unreachable")

    # -- sending --------------------------------------------------------------------------

    def process(self, submission_id: int) -> Submission:
        """Send one submission and record the outcome. Runs on the calling thread."""
        return self._sending.run(submission_id, self._process, busy=self.store.get)

    def _process(self, submission_id: int) -> Submission:
        submission = self.store.get(submission_id)
        if submission.state.final and submission.state is not State.FAILED:
            return submission
        record = record_of(submission)
        may_exist = submission.sent_at is not None
        # From here a POST may reach the CMS: the log says so before it is sent.
        try:
            claimed = self.store.claim(
                submission_id,
                sent=sent_params(submission),
                sent_at=self._now(),
                holder=self.holder,
            )
        except StoreError as exc:  # the log is locked or full: nothing was sent
            if not self._threads:
                raise
            log.warning("submission %s: %s; trying again in %ss", submission_id, exc, CLAIM_RETRY)
            self._schedule(submission_id, CLAIM_RETRY)
            return submission
        if claimed is None:
            current = self.store.get(submission_id)
            until = self.store.leased_until(submission_id)
            if not current.state.final and until is not None:
                # Another process is sending it: look again later (it is ours to send if
                # that process ends without finishing it, or when its lease runs out).
                log.info("submission %s: another process is sending it", submission_id)
                if self._threads:
                    wait = (until - self._now()).total_seconds()
                    self._schedule(submission_id, min(max(1.0, wait), LEASE_RECHECK))
            return current
        started = time.monotonic()
        try:
            created: CourseRecord | None = None
            if may_exist:
                since = (submission.sent_at or submission.created_at) - RECONCILE_MARGIN
                created = self.cms.find_course_record(submission.contact_id, record, since=since)
                if created is not None:
                    try:
                        self.store.note(submission_id, "reconciled", {"record_id": created.id})
                    except StoreError as exc:  # the outcome below still holds it
                        log.warning("submission %s: %s (reconciled)", submission_id, exc)
            if created is None:
                created = self.cms.create_course_record(submission.contact_id, record)
        except CMSValidationError as exc:
            return self._finish(
                submission_id,
                State.REJECTED,
                started,
                cms_status=400,
                cms_body=exc.body,
                errors=exc.errors,
                reason=exc.message,
            )
        except CMSNotFound as exc:
            return self._finish(
                submission_id,
                State.NOT_FOUND,
                started,
                cms_status=404,
                cms_body=exc.body,
                reason=f"Contact {submission.contact_id} was not found in the CMS.",
            )
        except (CMSAnswerLost, CMSUnavailable, CMSRateLimited) as exc:
            return self._retry_or_fail(submission_id, started, exc)
        except (CMSAuthError, CMSError) as exc:
            return self._failed(submission_id, started, exc, exc.message)
        except Exception:
            log.exception("submission %s: unexpected error while sending", submission_id)
            return self._finish(
                submission_id,
                State.FAILED,
                started,
                reason="An unexpected error stopped this submission; it can be retried.",
            )
        return self._finish(
            submission_id,
            State.RECORDED,
            started,
            cms_status=200,
            cms_body=created.model_dump(mode="json"),
            record_id=created.id,
            course_name=created.course_name,
            qualification_name=created.qualification_name,
        )

    def _finish(
        self, submission_id: int, state: State, started: float, **changes: object
    ) -> Submission:
        if self.contact_names is not None and "contact_name" not in changes:
            try:  # the name as last seen, kept with the outcome (best effort)
                before = self.store.get(submission_id)
            except StoreError:
                before = None
            if before is not None:
                name = self.seen_name(before.contact_id, before.contact_name)
                if name != before.contact_name:
                    changes["contact_name"] = name
        submission = self._write(
            submission_id,
            state.value,
            state=state,
            finished_at=self._now(),
            cms_ms=round((time.monotonic() - started) * 1000, 1),
            claimed_by=None,
            lease_until=None,
            **changes,
        )
        log.info("submission %s: %s", submission_id, state.value)
        self._notify(submission)
        return submission

    def _retry_or_fail(self, submission_id: int, started: float, exc: CMSError) -> Submission:
        submission = self.store.get(submission_id)
        attempt = submission.attempts  # claim() counted this one
        if attempt <= len(self.retry_delays) and not self._stopping.is_set():
            delay = self.retry_delays[attempt - 1]
            # A lost answer stays `sending`, so the next attempt asks the CMS first.
            state = State.SENDING if isinstance(exc, CMSAnswerLost) else State.PENDING
            submission = self._write(
                submission_id,
                "retry_scheduled",
                state=state,
                cms_status=exc.status_code,
                cms_body=exc.body,
                reason=exc.message,
                cms_ms=round((time.monotonic() - started) * 1000, 1),
                claimed_by=None,
                lease_until=None,
            )
            log.warning("submission %s: %s; retrying in %ss", submission_id, exc.message, delay)
            self._notify(submission)
            self._schedule(submission_id, delay)
            return submission
        reason = exc.message
        if isinstance(exc, CMSAnswerLost):
            reason += (
                " It is not known whether the CMS made the record; a retry asks the CMS first."
            )
        return self._failed(submission_id, started, exc, reason)

    def _failed(self, submission_id: int, started: float, exc: CMSError, reason: str) -> Submission:
        """Record that the CMS call failed for good, with what the CMS said, if anything."""
        return self._finish(
            submission_id,
            State.FAILED,
            started,
            cms_status=exc.status_code,
            cms_body=exc.body,
            reason=reason,
        )

    def retry(self, submission_id: int, *, by: Mapping[str, str] | None = None) -> Submission:
        """Send a failed submission again (the CMS is asked first if it may have the record).
        The old failure's reason is dropped; `by` (who asked: `user_id`, `user_name`) goes
        into the log's `retry_requested` event as `by_user_id`, `by_user_name`."""
        submission = self.store.get(submission_id)
        if submission.state is not State.FAILED:
            return submission
        submission = self.store.update(
            submission_id,
            "retry_requested",
            state=State.PENDING,
            attempts=0,
            reported=0,
            reason=None,
            errors=None,
            note={f"by_{k}": v for k, v in (by or {}).items()},
        )
        self.enqueue(submission_id)
        return submission

    # -- listeners ------------------------------------------------------------------------

    def attach(self, frontend: str, notifier: Notifier) -> None:
        """Let `notifier` announce and tell the submissions whose front end is `frontend`."""
        self._notifiers[frontend] = notifier

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(submission)` after each outcome (final, or a retry scheduled), for
        every front end (the App Home refreshes on them)."""
        self._listeners.append(listener)

    def _notify(self, submission: Submission) -> None:
        notifier = self._notifiers.get(submission.frontend)
        tellers = [notifier.outcome] if notifier is not None else []
        for listener in [*tellers, *self._listeners]:
            try:
                listener(submission)
            except Exception:
                log.exception("submission %s: a listener failed", submission.id)

    # -- workers --------------------------------------------------------------------------

    def enqueue(self, submission_id: int) -> None:
        self._queue.put(submission_id)

    def run_job(self, job: Callable[[], None]) -> None:
        """Run `job` on the workers when they run, else at once on the calling thread."""
        if self._threads:
            self._queue.put(job)
        else:
            job()

    def dispatch(self, submission_id: int) -> None:
        """Send a submission: on the workers when they run (`start()`), else at once on
        the calling thread (a command-line tool that sends one submission and exits)."""
        if self._threads:
            self.enqueue(submission_id)
        else:
            self.process(submission_id)

    def _schedule(self, submission_id: int, delay: float) -> None:
        def fire() -> None:
            if not self._stopping.is_set():
                self.enqueue(submission_id)

        self._later.call(delay, fire)

    def _work(self) -> None:
        while True:
            submission_id = self._queue.get()
            if submission_id is None:
                return
            if callable(submission_id):
                self._run_job(submission_id)
                continue
            try:
                self.process(submission_id)
            except Exception:
                log.exception("submission %s: worker error", submission_id)

    def _run_job(self, job: Callable[[], None]) -> None:
        with self._lock:
            self._jobs_running += 1
        try:
            job()
        except Exception:
            log.exception("a job on the workers failed")
        finally:
            with self._lock:
                self._jobs_running -= 1

    def start(self) -> None:
        """Start the workers, resume unfinished submissions, re-report unreported outcomes."""
        self._stopping.clear()
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"recorder-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        for submission in self.store.unfinished():
            log.info("resuming submission %s (%s)", submission.id, submission.state.value)
            self.enqueue(submission.id)
        for submission in self.store.unreported():
            self._notify(submission)
        self.corrections.resume()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work; let the calls in flight finish (up to `timeout` seconds)."""
        self._stopping.set()
        self.corrections.stop()
        self._later.cancel()
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until the queue is empty and nothing is being sent (for tools and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = not self._jobs_running
            idle = idle and self._later.idle and self._sending.idle
            if idle and self._queue.empty() and self.corrections.idle:
                return True
            time.sleep(0.01)
        return False


def sent_params(submission: Submission) -> Mapping[str, str]:
    """The parameters the CMS was (or will be) sent, as logged (never `sig` or the secret)."""
    return {"contact_id": str(submission.contact_id), **record_of(submission).params()}
