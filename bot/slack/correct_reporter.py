"""Tells people in Slack what became of their corrections, on a thread of its own.

The reply goes in the thread of the record's submission (its parent message, or its
session's); when that thread cannot be used, to the person by direct message. A correction
that could not be told at all stays unreported and is told after a restart. The CMS result
is in the log whatever Slack does.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from bot.correcting import Corrector
from bot.errors import SlackFailure
from bot.slack.client import SlackClient
from bot.slack.messages import Message, correction_message, direct_message
from bot.store import Correction

log = logging.getLogger(__name__)


class CorrectionReporter:
    """The core's `CorrectionNotifier` for Slack."""

    def __init__(self, client: SlackClient, corrector: Corrector) -> None:
        self._client = client
        self._corrector = corrector
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="slack-corrections")

    def close(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)

    def correction_outcome(self, correction: Correction) -> None:
        try:
            self._executor.submit(self._guard, correction.id)
        except RuntimeError:  # closing: told after a restart
            log.info("correction %s: not told now (closing)", correction.id)

    def _guard(self, correction_id: int) -> None:
        try:
            self._report(correction_id)
        except Exception:
            log.exception("correction %s: could not report to Slack", correction_id)

    def _report(self, correction_id: int) -> None:
        correction = self._corrector.log.get(correction_id)
        message = correction_message(correction)
        if not correction.state.final:
            # The core tries again by itself: say so once, on the first retry.
            if correction.attempts == 1 and correction.channel_id and correction.thread_ts:
                self._post(correction, message)
            return
        if correction.reported:
            return
        problem = "the thread could not be used"
        if correction.channel_id and correction.thread_ts:
            try:
                self._post(correction, message)
            except SlackFailure as exc:
                problem = exc.error if not exc.unreachable else "Slack could not be reached"
            else:
                self._corrector.mark_reported(correction.id, "thread")
                return
        if not correction.user_id:
            log.error("correction %s: could not be told to anyone", correction.id)
            return
        try:
            opened = self._client.conversations_open(users=correction.user_id)
            self._client.chat_postMessage(
                channel=str(opened["channel"]["id"]),
                **direct_message(
                    message,
                    channel_id=correction.channel_id,
                    problem=problem,
                    subject="your correction",
                ),
            )
        except SlackFailure as exc:
            log.error("correction %s: direct message failed: %s", correction.id, exc)
            return  # told after a restart
        self._corrector.mark_reported(correction.id, "dm")

    def _post(self, correction: Correction, message: Message) -> None:
        self._client.chat_postMessage(
            channel=correction.channel_id or "",
            thread_ts=correction.thread_ts,
            text=message["text"],
            blocks=message["blocks"],
        )
