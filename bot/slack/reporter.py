"""Tells people in Slack what happened to their submissions, on a thread of its own.

For a batch (a whole training session), one message in the channel updated as the people
are recorded, and a summary of each person's outcome in its thread.

For each submission from Slack: a parent message in the channel where the command was run,
then, when the core has an outcome, a reply in that message's thread, and the parent updated
with the outcome. If the channel cannot be used (`not_in_channel`, an archived channel, Slack
down), the outcome goes to the person by direct message. Whatever Slack does, the outcome is
already in the log; an outcome that could not be told at all is told again later (after
`RETELL_FIRST` seconds, then waits doubling to `RETELL_CAP`), and after a restart.

All Slack calls happen on this reporter's single worker thread, in order, so a reply never
overtakes its parent message, and Bolt's listener threads never wait on Slack or the CMS.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.errors import SlackFailure
from bot.recording import Recorder
from bot.slack.client import SlackClient
from bot.slack.messages import (
    Message,
    batch_message,
    batch_summary,
    direct_message,
    outcome_message,
    parent_message,
    retry_notice,
)
from bot.store import Batch, BatchState, Submission

log = logging.getLogger(__name__)

CourseName = Callable[[int], str | None]

#: Seconds before an outcome Slack would not take at all is told again; each wait doubles.
RETELL_FIRST = 30.0
RETELL_CAP = 600.0


#: Seconds between two progress updates of one batch's message (the last always goes).
BATCH_UPDATE_EVERY = 1.5


class _NoChannel(Exception):
    """The batch has no message in a channel to reply under."""


def _problem(exc: Exception) -> str:
    if isinstance(exc, SlackFailure) and not exc.unreachable:
        return exc.error
    return "Slack could not be reached"


class SlackReporter:
    def __init__(
        self,
        client: SlackClient,
        recorder: Recorder,
        *,
        course_name: CourseName = lambda _id: None,
    ) -> None:
        self._client = client
        self._recorder = recorder
        self._course_name = course_name
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="slack-reporter")
        self._lock = threading.Lock()
        self._batches_due: set[int] = set()
        self._batch_updated: dict[int, float] = {}
        self.retell_first = RETELL_FIRST
        self._retells: dict[int, threading.Timer] = {}
        self._retell_waits: dict[int, float] = {}
        self._closed = False

    def close(self, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
            timers, self._retells = list(self._retells.values()), {}
        for timer in timers:
            timer.cancel()
        self._executor.shutdown(wait=wait)

    # -- entry points (any thread) -------------------------------------------------------

    # The core's `Notifier` for the submissions from Slack.

    def accepted(self, submission: Submission, send: Callable[[], None]) -> None:
        """Post the parent message, then hand the submission to the core's workers."""
        self._executor.submit(self._guard, self._announce, submission.id, send)

    def accepted_batch(
        self, batch: Batch, submissions: Sequence[Submission], send: Callable[[], None]
    ) -> None:
        """Post the batch's message, then hand its submissions to the core's workers."""
        self._executor.submit(self._guard, self._announce_batch, batch.id, send)

    def outcome(self, submission: Submission) -> None:
        if submission.batch_id is not None:
            with self._lock:  # one pending update per batch is enough
                if submission.batch_id in self._batches_due:
                    return
                self._batches_due.add(submission.batch_id)
            self._executor.submit(self._guard, self._report_batch, submission.batch_id)
            return
        self._executor.submit(self._guard, self._report, submission.id)

    # -- work (the reporter's thread) ----------------------------------------------------

    def _guard(self, work: Callable[..., None], submission_id: int, *args: Any) -> None:
        try:
            work(submission_id, *args)
        except Exception:
            log.exception("submission %s: could not report to Slack", submission_id)

    def _post_parent(self, submission: Submission) -> tuple[Submission, str | None]:
        """Post the parent message if there is none yet; return the submission and what
        went wrong, if anything."""
        if submission.message_ts:
            return submission, None
        if not submission.channel_id:
            return submission, "no channel was given"
        message = parent_message(submission, course_name=self._course_name(submission.course_id))
        try:
            response = self._client.chat_postMessage(channel=submission.channel_id, **message)
        except SlackFailure as exc:
            log.warning("submission %s: no parent message: %s", submission.id, _problem(exc))
            self._recorder.store.note(submission.id, "parent_failed", {"error": _problem(exc)})
            return submission, _problem(exc)
        posted = self._recorder.set_message(
            submission.id, str(response["ts"]), str(response["channel"])
        )
        return posted, None

    def _announce(self, submission_id: int, send: Callable[[], None]) -> None:
        submission = self._recorder.store.get(submission_id)
        try:
            self._post_parent(submission)
        finally:
            send()

    def _report(self, submission_id: int) -> None:
        submission = self._recorder.store.get(submission_id)
        if not submission.state.final:
            # The core will try again by itself: say so once, on the first retry.
            if submission.attempts == 1 and submission.message_ts and submission.channel_id:
                self._reply(submission, retry_notice(submission))
            return
        if submission.reported:
            return
        submission, problem = self._post_parent(submission)
        if submission.message_ts and submission.channel_id:
            try:
                self._reply(submission, outcome_message(submission))
            except SlackFailure as exc:
                problem = _problem(exc)
            else:
                # Told: say so before anything else can fail or a crash can strike, or a
                # restart would post the reply again.
                self._recorder.mark_reported(submission.id, "thread")
                self._update_parent(submission)
                return
        self._direct(submission, problem or "the channel could not be used")

    # -- batches ---------------------------------------------------------------------------

    def _names(self, batch: Batch) -> dict[int, str]:
        return {
            int(m["contact_id"]): str(m.get("label") or "")
            for m in batch.matches
            if m.get("contact_id") is not None and m.get("label")
        }

    def _batch_message(self, batch: Batch, submissions: list[Submission]) -> Message:
        course_id = submissions[0].course_id if submissions else int(batch.typed["course_id"])
        return batch_message(
            user_id=batch.user_id,
            course_name=self._course_name(course_id),
            course_id=course_id,
            submissions=submissions,
        )

    def _post_batch_parent(
        self, batch: Batch, submissions: list[Submission]
    ) -> tuple[Batch, str | None]:
        if batch.message_ts:
            return batch, None
        if not batch.channel_id:
            return batch, "no channel was given"
        try:
            response = self._client.chat_postMessage(
                channel=batch.channel_id, **self._batch_message(batch, submissions)
            )
        except SlackFailure as exc:
            log.warning("batch %s: no parent message: %s", batch.id, _problem(exc))
            return batch, _problem(exc)
        store = self._recorder.store
        self._batch_updated[batch.id] = time.monotonic()
        return store.update_batch(
            batch.id, message_ts=str(response["ts"]), channel_id=str(response["channel"])
        ), None

    def _announce_batch(self, batch_id: int, send: Callable[[], None]) -> None:
        store = self._recorder.store
        submissions = store.batch_submissions(batch_id)
        try:
            self._post_batch_parent(store.batch(batch_id), submissions)
        finally:
            send()

    def _report_batch(self, batch_id: int) -> None:
        with self._lock:
            self._batches_due.discard(batch_id)
        store = self._recorder.store
        batch = store.batch(batch_id)
        submissions = store.batch_submissions(batch_id)
        finished = all(s.state.final for s in submissions)
        if batch.reported:
            return
        batch, problem = self._post_batch_parent(batch, submissions)
        recent = time.monotonic() - self._batch_updated.get(batch_id, 0.0) < BATCH_UPDATE_EVERY
        if batch.message_ts and batch.channel_id and (finished or not recent):
            self._batch_updated[batch_id] = time.monotonic()
            try:
                self._client.chat_update(
                    channel=batch.channel_id,
                    ts=batch.message_ts,
                    **self._batch_message(batch, submissions),
                )
            except SlackFailure as exc:
                log.warning("batch %s: progress not updated: %s", batch_id, _problem(exc))
        if not finished:
            return
        summary = batch_summary(submissions, self._names(batch))
        how = "thread"
        try:
            if not (batch.message_ts and batch.channel_id):
                raise _NoChannel(problem or "the channel could not be used")
            self._client.chat_postMessage(
                channel=batch.channel_id, thread_ts=batch.message_ts, **summary
            )
        except (_NoChannel, SlackFailure) as exc:
            reason = str(exc) if isinstance(exc, _NoChannel) else _problem(exc)
            direct = direct_message(summary, channel_id=batch.channel_id, problem=reason)
            if not batch.user_id or self._send_direct(batch.user_id, direct) is not None:
                return  # told again after a restart
            how = "dm"
        store.update_batch(batch_id, reported=1, state=BatchState.DONE)
        for submission in submissions:
            if not submission.reported:
                self._recorder.mark_reported(submission.id, how)
        self._batch_updated.pop(batch_id, None)

    def _send_direct(self, user_id: str, message: Message) -> str | None:
        """Post `message` to the person directly; what went wrong, or None once sent."""
        try:
            opened = self._client.conversations_open(users=user_id)
            self._client.chat_postMessage(channel=str(opened["channel"]["id"]), **message)
        except SlackFailure as exc:
            log.error("direct message to %s failed: %s", user_id, _problem(exc))
            return _problem(exc)
        return None

    def _reply(self, submission: Submission, message: Message) -> None:
        self._client.chat_postMessage(
            channel=submission.channel_id or "",
            thread_ts=submission.message_ts,
            text=message["text"],
            blocks=message["blocks"],
        )

    def _update_parent(self, submission: Submission) -> None:
        message = parent_message(submission, course_name=self._course_name(submission.course_id))
        try:
            self._client.chat_update(
                channel=submission.channel_id or "", ts=submission.message_ts or "", **message
            )
        except SlackFailure as exc:
            log.warning("submission %s: parent not updated: %s", submission.id, _problem(exc))

    def _direct(self, submission: Submission, problem: str) -> None:
        if not submission.user_id:
            log.error("submission %s: outcome could not be delivered to anyone", submission.id)
            return
        message = direct_message(
            outcome_message(submission),
            channel_id=submission.channel_id,
            problem=problem,
            subject="your submission",
        )
        failed = self._send_direct(submission.user_id, message)
        if failed is not None:
            # Left unreported: it is told again later, or when the app restarts.
            self._recorder.store.note(submission.id, "report_failed", {"error": failed})
            self._retell_later(submission.id)
            return
        self._recorder.mark_reported(submission.id, "dm")

    def _retell_later(self, submission_id: int) -> None:
        """Try telling the outcome again after a wait (Slack may be back by then)."""
        with self._lock:
            if self._closed or submission_id in self._retells:
                return
            wait = self._retell_waits.get(submission_id, self.retell_first)
            self._retell_waits[submission_id] = min(wait * 2, RETELL_CAP)
            timer = threading.Timer(wait, self._retell, [submission_id])
            timer.daemon = True
            self._retells[submission_id] = timer
        timer.start()

    def _retell(self, submission_id: int) -> None:
        with self._lock:  # submitting under the lock: close() cannot shut the executor meanwhile
            if self._retells.pop(submission_id, None) is None or self._closed:
                return
            self._executor.submit(self._guard, self._report, submission_id)
