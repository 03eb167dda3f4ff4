"""Tells people in Slack what happened to their submissions, on a thread of its own.

For each submission from Slack: a parent message in the channel where the command was run,
then, when the core has an outcome, a reply in that message's thread, and the parent updated
with the outcome. If the channel cannot be used (`not_in_channel`, an archived channel, Slack
down), the outcome goes to the person by direct message. Whatever Slack does, the outcome is
already in the log; an outcome not yet told is told again after a restart.

All Slack calls happen on this reporter's single worker thread, in order, so a reply never
overtakes its parent message, and Bolt's listener threads never wait on Slack or the CMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.recording import Recorder
from bot.slack.messages import (
    Message,
    direct_message,
    outcome_message,
    parent_message,
    retry_notice,
)
from bot.store import Submission

log = logging.getLogger(__name__)

CourseName = Callable[[int], str | None]

#: What a Web API call raises when Slack refuses it, fails, or cannot be reached (slack_sdk
#: lets urllib's connection errors, OSErrors, through as they are).
SLACK_FAILURES = (SlackApiError, SlackClientError, OSError)


def _problem(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "Slack refused the message")
    return "Slack could not be reached"


class SlackReporter:
    def __init__(
        self,
        client: WebClient,
        recorder: Recorder,
        *,
        course_name: CourseName = lambda _id: None,
    ) -> None:
        self._client = client
        self._recorder = recorder
        self._course_name = course_name
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="slack-reporter")
        recorder.add_listener(self.on_outcome)

    def close(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)

    # -- entry points (any thread) -------------------------------------------------------

    def announce(self, submission_id: int) -> None:
        """Post the parent message, then hand the submission to the core's workers."""
        self._executor.submit(self._guard, self._announce, submission_id)

    def on_outcome(self, submission: Submission) -> None:
        if submission.frontend != "slack":
            return
        self._executor.submit(self._guard, self._report, submission.id)

    # -- work (the reporter's thread) ----------------------------------------------------

    def _guard(self, work: Callable[[int], None], submission_id: int) -> None:
        try:
            work(submission_id)
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
        except SLACK_FAILURES as exc:
            log.warning("submission %s: no parent message: %s", submission.id, _problem(exc))
            self._recorder.store.note(submission.id, "parent_failed", {"error": _problem(exc)})
            return submission, _problem(exc)
        posted = self._recorder.set_message(
            submission.id, str(response["ts"]), str(response["channel"])
        )
        return posted, None

    def _announce(self, submission_id: int) -> None:
        submission = self._recorder.store.get(submission_id)
        try:
            self._post_parent(submission)
        finally:
            self._recorder.enqueue(submission_id)

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
            except SLACK_FAILURES as exc:
                problem = _problem(exc)
            else:
                # Told: say so before anything else can fail or a crash can strike, or a
                # restart would post the reply again.
                self._recorder.mark_reported(submission.id, "thread")
                self._update_parent(submission)
                return
        self._direct(submission, problem or "the channel could not be used")

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
        except SLACK_FAILURES as exc:
            log.warning("submission %s: parent not updated: %s", submission.id, _problem(exc))

    def _direct(self, submission: Submission, problem: str) -> None:
        if not submission.user_id:
            log.error("submission %s: outcome could not be delivered to anyone", submission.id)
            return
        try:
            opened = self._client.conversations_open(users=submission.user_id)
            channel = str(opened["channel"]["id"])
            message = direct_message(submission, channel_id=submission.channel_id, problem=problem)
            self._client.chat_postMessage(channel=channel, **message)
        except SLACK_FAILURES as exc:
            # Left unreported: it is told again when the app restarts.
            log.error("submission %s: direct message failed: %s", submission.id, _problem(exc))
            self._recorder.store.note(submission.id, "report_failed", {"error": _problem(exc)})
            return
        self._recorder.mark_reported(submission.id, "dm")
