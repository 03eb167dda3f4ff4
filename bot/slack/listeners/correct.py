"""Correcting a record from Slack: the "Correct this record" button (under a success reply,
beside each person of a session's summary, and in the App Home), its form, and its
submission.

The button opens a "reading the record" page at once (the trigger id lives 3 seconds),
then, on a thread of our own, the record is read from the CMS as it is now and the page
becomes the form, filled in with it. The form carries the record as it was read
(`private_metadata`), so that the core can tell, just before sending, whether someone else
changed it meanwhile. Who may correct is who may record (`bot.slack.middleware`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt import Ack, App

from bot.cms.models import CourseRecord
from bot.correction import typed_from_record
from bot.errors import CMSError, CMSNotFound, SlackFailure, SubmissionInvalid
from bot.slack import views
from bot.slack.correct_reporter import CorrectionReporter
from bot.slack.deps import SlackBot, bind
from bot.slack.listeners.record import submission_of
from bot.slack.messages import CORRECT_ACTION
from bot.slack.payloads import actor, read_form, team_id
from bot.slack.previewer import LOOKUP_WAIT
from bot.store import StoreError, Submission
from bot.submission import Origin
from bot.text import person

log = logging.getLogger(__name__)

#: Longest name kept in the form's metadata (`private_metadata` holds 3000 characters).
_NAME_MAX = 200


class CorrectionMetadata(BaseModel):
    """What the correction form carries: where to reply, and the record as it was read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    submission_id: int
    channel_id: str | None = Field(default=None, max_length=40)
    thread_ts: str | None = Field(default=None, max_length=40)
    person: str = Field(default="", max_length=_NAME_MAX)
    before: CourseRecord

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, text: str | None) -> CorrectionMetadata | None:
        try:
            return cls.model_validate_json(text or "{}")
        except ValidationError:
            return None


def register(app: App, bot: SlackBot) -> None:
    reporter = CorrectionReporter(bot.client, bot.recorder.corrections)
    bot.recorder.corrections.attach("slack", reporter)
    bot.closers.append(reporter.close)
    app.action(CORRECT_ACTION)(bind(open_correction, bot))
    app.view(views.CORRECT_CALLBACK_ID)(bind(submit_correction, bot))


def open_correction(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    """Answer at once; open the page and read the record on a thread of our own."""
    ack()
    submission = submission_of(bot, body)
    if submission is None or submission.record_id is None:
        return
    trigger_id = str(body.get("trigger_id", ""))
    bot.views.submit(_open_guarded, bot, trigger_id, submission)


def _open_guarded(bot: SlackBot, trigger_id: str, submission: Submission) -> None:
    try:
        _open(bot, trigger_id, submission)
    except Exception:
        log.exception("submission %s: could not open the correction form", submission.id)


def _thread(bot: SlackBot, submission: Submission) -> tuple[str | None, str | None]:
    """The channel and thread where the record was told (its own, or its session's)."""
    if submission.message_ts:
        return submission.channel_id, submission.message_ts
    if submission.batch_id is not None:
        try:
            batch = bot.recorder.store.batch(submission.batch_id)
        except StoreError:
            return submission.channel_id, None
        return batch.channel_id, batch.message_ts
    return submission.channel_id, None


def _person(bot: SlackBot, submission: Submission) -> str:
    """Who the record is of: the name last seen (the log), a session's match, else the
    contact book (this runs on a thread of our own), else the number."""
    if submission.contact_name:
        return person(submission.contact_name, submission.contact_id)
    if submission.batch_id is not None:
        try:
            batch = bot.recorder.store.batch(submission.batch_id)
        except StoreError:
            batch = None
        for match in batch.matches if batch else []:
            if match.get("contact_id") == submission.contact_id and match.get("label"):
                return f"{str(match['label'])[: _NAME_MAX - 20]} (#{submission.contact_id})"
    if bot.people is not None:
        card = bot.people.card_within(submission.contact_id, LOOKUP_WAIT, records=False)
        return person(card.name, submission.contact_id)
    return f"contact {submission.contact_id}"


def _open(bot: SlackBot, trigger_id: str, submission: Submission) -> None:
    try:
        opened = bot.client.views_open(trigger_id=trigger_id, view=views.correction_loading_modal())
    except SlackFailure as exc:
        log.warning("could not open the correction form: %s", exc)
        return
    view = opened.get("view") or {}
    view_id, hash_ = str(view.get("id") or ""), view.get("hash")
    assert submission.record_id is not None
    try:
        record = bot.recorder.corrections.fetch(submission.contact_id, submission.record_id)
    except CMSNotFound as exc:
        page = views.error_modal("Correct a record", exc.message)
    except CMSError as exc:
        page = views.error_modal("Correct a record", f"The record could not be read: {exc.message}")
    else:
        page = correction_form(bot, submission, record)
    try:
        bot.client.views_update(view_id=view_id, hash=hash_, view=page)
    except SlackFailure as exc:
        log.warning("could not show the correction form: %s", exc)


def correction_form(
    bot: SlackBot, submission: Submission, record: CourseRecord, note: str | None = None
) -> dict[str, Any]:
    """The correction form for `record`, as the CMS holds it now."""
    channel_id, thread_ts = _thread(bot, submission)
    person = _person(bot, submission)
    kept = record.model_copy(
        update={
            "course_name": record.course_name[:_NAME_MAX],
            "qualification_name": (record.qualification_name or "")[:_NAME_MAX] or None,
        }
    )
    metadata = CorrectionMetadata(
        submission_id=submission.id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        person=person,
        before=kept,
    )
    typed = typed_from_record(record)
    qualification = None
    if record.qualification_id is not None:
        label = record.qualification_name or f"Qualification #{record.qualification_id}"
        qualification = (label, str(record.qualification_id))
    return views.correction_modal(
        private_metadata=metadata.dump(),
        record_id=record.id,
        person=person,
        course=record.course_name or f"course {record.course_id}",
        initial={name: getattr(typed, name) for name in views.DATE_BLOCKS},
        qualification_option=qualification,
        note=note,
    )


def submit_correction(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], *, bot: SlackBot
) -> None:
    """Check the corrected record, store the correction, ack; the core sends it."""
    corrector = bot.recorder.corrections
    user = actor(body)
    metadata = CorrectionMetadata.load(view.get("private_metadata"))
    if user is None or metadata is None:  # not a form of ours
        ack(response_action="clear")
        return
    key = f"slack-correct:{team_id(body) or '-'}:{str(view.get('id') or '')[:60]}"
    if corrector.log.by_key(key) is not None:  # the same form submitted twice
        ack(response_action="clear")
        return
    state = view.get("state")
    typed = read_form(state.get("values") if isinstance(state, Mapping) else None)
    try:
        checked = corrector.check(typed, metadata.before, blank_keeps=False)
    except SubmissionInvalid as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    origin = Origin(
        frontend="slack",
        key=key,
        team_id=team_id(body),
        channel_id=metadata.channel_id,
        user_id=user.id,
        user_name=user.display,
    )
    corrector.submit(
        checked,
        metadata.before,
        origin,
        typed=typed,
        submission_id=metadata.submission_id,
        thread_ts=metadata.thread_ts,
    )
    ack(response_action="clear")
