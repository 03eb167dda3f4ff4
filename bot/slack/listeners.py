"""The Slack listeners: thin adapters between Slack's requests and the recording core.

Each listener answers within milliseconds and never waits on the CMS or on Slack: pick-lists
answer from cache (or give up on a slow CMS search), forms open on a thread of their own
(the trigger id is used at once, while the command is answered), submissions are stored and
handed to the core's workers, and every post about them happens on the reporter's thread.
The app runs listeners with `process_before_response=True`, so a listener's return is the
answer to Slack: nothing is left running on Bolt's threads after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack

from bot.errors import SubmissionInvalid
from bot.slack import views
from bot.slack.bulk import NOT_ALLOWED, register_bulk, session_form, wants_session
from bot.slack.commandtext import parse_command_text
from bot.slack.home import register_home
from bot.slack.messages import REOPEN_ACTION, RETRY_ACTION
from bot.slack.payloads import (
    DuplicateMetadata,
    FormMetadata,
    actor,
    parse_json,
    read_form,
    team_id,
)
from bot.store import Submission
from bot.submission import MAX_ID, Origin, Typed

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)

COMMAND = "/record-course"

REFUSAL = (
    "Sorry, you are not on the list of people who may record training with this bot. "
    "Ask your diocesan safeguarding administrator to add you."
)
NOT_ALLOWED_FIELD = NOT_ALLOWED


def _option_id(text: str) -> str | None:
    """`text` as an id fit for a select option (ASCII digits, a CMS-sized number), else None:
    a command may carry any text, and Slack refuses an option value over 150 characters."""
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
        return None
    return str(int(text))


def form_for(bot: SlackBot, typed: Typed, metadata: FormMetadata) -> dict[str, Any]:
    """The record form, filled in with `typed` (ids shown by name where known)."""
    course_option = contact_option = qualification_option = None
    if (course_id := _option_id(typed.course_id)) is not None:
        course = bot.catalogue.get(int(course_id))
        course_option = (course.name if course else f"Course #{course_id}", course_id)
    if (contact_id := _option_id(typed.contact_id)) is not None:
        contact_option = (f"Contact #{contact_id}", contact_id)
    if (qualification_id := _option_id(typed.qualification_id)) is not None:
        qualification_option = (f"Qualification #{qualification_id}", qualification_id)
    initial = {
        name: value for name, value in typed.model_dump().items() if name.endswith("_at") and value
    }
    return views.record_modal(
        private_metadata=metadata.dump(),
        initial=initial,
        contact_option=contact_option,
        course_option=course_option,
        qualification_option=qualification_option,
    )


def typed_from_command(bot: SlackBot, text: str) -> Typed:
    """What the text after the command says, as form values (a course name matched)."""
    prefill = parse_command_text(text)
    course = ""
    if prefill.course:
        if prefill.course.isdigit():
            course = prefill.course
        elif (match := bot.catalogue.best_match(prefill.course)) is not None:
            course = str(match.id)
    return Typed(
        contact_id=prefill.contact if prefill.contact and prefill.contact.isdigit() else "",
        course_id=course,
        qualification_id=prefill.qualification or "",
        **prefill.dates,
    )


def register(bot: SlackBot) -> None:
    """Attach every listener to `bot.app`."""
    app = bot.app
    recorder = bot.recorder

    @app.command(COMMAND)
    def open_form(ack: Ack, command: dict[str, Any]) -> None:
        if not bot.permissions.allows(str(command.get("user_id", ""))):
            ack(text=REFUSAL)
            return
        ack()
        session, text = wants_session(str(command.get("text") or ""))
        typed = typed_from_command(bot, text)
        metadata = FormMetadata(channel_id=str(command.get("channel_id") or "")[:40] or None)
        view = session_form(bot, typed, metadata) if session else form_for(bot, typed, metadata)
        bot.open_view(str(command.get("trigger_id", "")), view)

    def options_listener(search: Callable[[str], list[tuple[str, str]]]) -> Callable[..., None]:
        def answer(ack: Ack, body: dict[str, Any]) -> None:
            user = actor(body)
            if user is None or not bot.permissions.allows(user.id):
                ack(options=[])
                return
            text = str(body.get("value") or "")
            ack(options=[views.option(label, value) for label, value in search(text)])

        return answer

    def contacts(text: str) -> list[tuple[str, str]]:
        return [(c.label, c.value) for c in bot.contacts.search(text)]

    def courses(text: str) -> list[tuple[str, str]]:
        return [(c.name, str(c.id)) for c in bot.catalogue.search(text)]

    def qualifications(text: str) -> list[tuple[str, str]]:
        text = text.strip().lstrip("#")
        found = [(f"Qualification #{int(text)}", str(int(text)))] if text.isdigit() else []
        words = text.lower().split()
        for qid, name in recorder.store.known_qualifications():
            if all(w in name.lower() for w in words) and str(qid) not in {v for _, v in found}:
                found.append((name, str(qid)))
        return found[:100]

    app.options(views.ACTION_IDS["contact_id"])(options_listener(contacts))
    app.options(views.PEOPLE_BLOCK)(options_listener(contacts))
    app.options(views.ACTION_IDS["course_id"])(options_listener(courses))
    app.options(views.ACTION_IDS["qualification_id"])(options_listener(qualifications))

    def accept(ack: Ack, typed: Typed, origin: Origin, *, confirmed: bool) -> None:
        """Check, store, ack, announce: the heart of both submission listeners."""
        if recorder.store.by_key(origin.key) is not None:  # the same form submitted twice
            ack(response_action="clear")
            return
        try:
            checked = recorder.check(typed)
        except SubmissionInvalid as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        duplicate = None if confirmed else recorder.probable_duplicate(checked, key=origin.key)
        if duplicate is not None:
            metadata = DuplicateMetadata(
                channel_id=origin.channel_id, key=origin.key, typed=typed.model_dump()
            )
            ack(
                response_action="push",
                view=views.duplicate_modal(
                    private_metadata=metadata.dump(), earlier=_describe(duplicate, recorder.zone)
                ),
            )
            return
        submission = recorder.submit(typed, origin, checked=checked)
        ack(response_action="clear")
        bot.reporter.announce(submission.id)

    @app.view(views.CALLBACK_ID)
    def submit_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = actor(body)
        if user is None or not bot.permissions.allows(user.id):
            ack(response_action="errors", errors={"contact_id": NOT_ALLOWED_FIELD})
            return
        metadata = FormMetadata.load(view.get("private_metadata"))
        state = view.get("state")
        typed = read_form(state.get("values") if isinstance(state, Mapping) else None)
        origin = Origin(
            frontend="slack",
            key=f"slack:{team_id(body) or '-'}:{str(view.get('id') or '')[:60]}",
            team_id=team_id(body),
            channel_id=metadata.channel_id,
            user_id=user.id,
            user_name=user.display,
        )
        accept(ack, typed, origin, confirmed=False)

    @app.view(views.DUPLICATE_CALLBACK_ID)
    def confirm_duplicate(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = actor(body)
        raw = parse_json(view.get("private_metadata"))
        try:
            metadata = DuplicateMetadata.model_validate(raw)
        except ValueError:
            metadata = None
        if user is None or metadata is None or not bot.permissions.allows(user.id):
            ack(response_action="clear")
            return
        origin = Origin(
            frontend="slack",
            key=metadata.key,
            team_id=team_id(body),
            channel_id=metadata.channel_id,
            user_id=user.id,
            user_name=user.display,
        )
        accept(ack, Typed(**metadata.typed), origin, confirmed=True)

    def submission_of(body: dict[str, Any]) -> Submission | None:
        user = actor(body)
        actions = body.get("actions")
        if user is None or not bot.permissions.allows(user.id) or not isinstance(actions, list):
            return None
        value = (
            str(actions[0].get("value") or "") if actions and isinstance(actions[0], dict) else ""
        )
        submission = recorder.store.get(int(value)) if value.isdigit() else None
        return submission if submission is None or submission.frontend == "slack" else None

    @app.action(REOPEN_ACTION)
    def reopen_form(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        try:
            submission = submission_of(body)
        except Exception:  # an unknown id: nothing to reopen
            submission = None
        if submission is None:
            return
        metadata = FormMetadata(channel_id=submission.channel_id, reopened_from=submission.id)
        typed = Typed(**submission.typed)
        bot.open_view(str(body.get("trigger_id", "")), form_for(bot, typed, metadata))

    @app.action(RETRY_ACTION)
    def retry_submission(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        try:
            submission = submission_of(body)
        except Exception:
            submission = None
        if submission is not None:
            recorder.retry(submission.id)

    register_bulk(bot)
    register_home(bot)

    @app.error
    def unexpected(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a Slack listener: %r", error, exc_info=error)


def _describe(submission: Submission, zone: tzinfo) -> str:
    when = submission.created_at.astimezone(zone).strftime("%H:%M")
    if submission.record_id is not None:
        return f"It was recorded at {when} (CMS record {submission.record_id})."
    return f"It was submitted at {when} and is being sent."
