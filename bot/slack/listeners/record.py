"""Recording one course: `/record-course`, the record form, its pick-lists, "record it
again?", and the buttons under a reply (reopen the form, retry the submission)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

from slack_bolt import Ack, App

from bot.catalogue import contact_label
from bot.errors import SubmissionInvalid
from bot.slack import views
from bot.slack.bulk import session_form, wants_session
from bot.slack.commandtext import parse_command_text
from bot.slack.deps import SlackBot, bind
from bot.slack.live_form import with_notes
from bot.slack.lookups import card_for, held_by_cms, unknown_contact
from bot.slack.messages import REOPEN_ACTION, RETRY_ACTION
from bot.slack.payloads import (
    DuplicateMetadata,
    FormMetadata,
    actor,
    parse_json,
    read_form,
    team_id,
)
from bot.slack.previewer import CONTACT_BLOCK, contact_note
from bot.store import State, StoreError, Submission
from bot.submission import MAX_ID, Origin, Typed

log = logging.getLogger(__name__)

COMMAND = "/record-course"
#: Said in the form when the log could not take a submission within its busy timeout.
LOG_BUSY = "The log is busy; submit again in a moment."


def register(app: App, bot: SlackBot) -> None:
    app.command(COMMAND)(bind(open_form, bot))
    app.options(views.ACTION_IDS["contact_id"])(bind(contact_options, bot))
    app.options(views.PEOPLE_BLOCK)(bind(contact_options, bot))
    app.options(views.ACTION_IDS["course_id"])(bind(course_options, bot))
    app.options(views.ACTION_IDS["qualification_id"])(bind(qualification_options, bot))
    app.view(views.CALLBACK_ID)(bind(submit_form, bot))
    app.view(views.DUPLICATE_CALLBACK_ID)(bind(confirm_duplicate, bot))
    app.action(REOPEN_ACTION)(bind(reopen_form, bot))
    app.action(RETRY_ACTION)(bind(retry_submission, bot))


# -- the command -----------------------------------------------------------------------------


def open_form(ack: Ack, command: dict[str, Any], *, bot: SlackBot) -> None:
    """Answer at once; the form (single or session) opens on a thread of our own."""
    ack()
    session, text = wants_session(str(command.get("text") or ""))
    typed = typed_from_command(bot, text)
    metadata = FormMetadata(channel_id=str(command.get("channel_id") or "")[:40] or None)
    view = session_form(bot, typed, metadata) if session else form_for(bot, typed, metadata)
    bot.open_view(
        str(command.get("trigger_id", "")),
        view,
        channel_id=str(command.get("channel_id") or "") or None,
        user_id=str(command.get("user_id") or "") or None,
        then=None if session else follow_up(bot, typed),
    )


def follow_up(bot: SlackBot, typed: Typed) -> Callable[[dict[str, Any]], None] | None:
    """What to do once a form opened with a contact given by number: when the book did not
    know who it is (the form shows the number), the live form shows them once looked up
    (the lookup is started now, in the background)."""
    contact_id = _option_id(typed.contact_id)
    if contact_id is None or bot.people is None or bot.previews is None:
        return None
    if bot.people.cached(int(contact_id)).status != "unchecked":
        return None  # shown already (by name, or as unknown)
    bot.people.lookup(int(contact_id))
    previews = bot.previews
    texts = {name: text for name, text in typed.model_dump().items() if text}

    def show(opened: dict[str, Any]) -> None:
        previews.opened(opened, texts)

    return show


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
    card = None
    if (contact_id := _option_id(typed.contact_id)) is not None:
        card = bot.people.cached(int(contact_id)) if bot.people is not None else None
        if card is not None and card.contact is not None:
            contact_option = (contact_label(card.contact), contact_id)
        else:
            contact_option = (f"Contact #{contact_id}", contact_id)
    if (qualification_id := _option_id(typed.qualification_id)) is not None:
        qualification_option = (f"Qualification #{qualification_id}", qualification_id)
    initial = {
        name: value for name, value in typed.model_dump().items() if name.endswith("_at") and value
    }
    form = views.record_modal(
        private_metadata=metadata.dump(),
        initial=initial,
        contact_option=contact_option,
        course_option=course_option,
        qualification_option=qualification_option,
    )
    if card is not None and card.status != "unchecked":  # who it is, under the contact
        form = with_notes(form, {CONTACT_BLOCK: contact_note(card, bot.recorder.today())})
    return form


# -- pick-lists ------------------------------------------------------------------------------


def _answer_options(ack: Ack, body: dict[str, Any], found: list[tuple[str, str]]) -> None:
    ack(options=[views.option(label, value) for label, value in found])


def contact_options(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    """People matching what was typed (a cached CMS search that gives up when it is slow)."""
    text = str(body.get("value") or "")
    _answer_options(ack, body, [(c.label, c.value) for c in bot.contacts.search(text)])


def course_options(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    """The diocese's courses matching what was typed, from the cached catalogue."""
    text = str(body.get("value") or "")
    _answer_options(ack, body, [(c.name, str(c.id)) for c in bot.catalogue.search(text)])


def qualification_options(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    """A typed number, and the qualifications seen in records whose names match."""
    text = str(body.get("value") or "").strip().lstrip("#")
    found = [(f"Qualification #{int(text)}", str(int(text)))] if text.isdigit() else []
    words = text.lower().split()
    for qid, name in bot.recorder.store.known_qualifications():
        if all(w in name.lower() for w in words) and str(qid) not in {v for _, v in found}:
            found.append((name, str(qid)))
    _answer_options(ack, body, found[:100])


# -- submissions -----------------------------------------------------------------------------


def accept(bot: SlackBot, ack: Ack, typed: Typed, origin: Origin, *, confirmed: bool) -> None:
    """Check, store, ack: the heart of both submission listeners. The core has the
    reporter announce what it stored (it is the core's notifier for Slack)."""
    recorder = bot.recorder
    key, repeat = recorder.seen(origin.key, typed)
    if repeat is not None:  # the same form, the same content: say so, never close silently
        ack(response_action="update", view=views.busy_modal(_already(repeat, recorder.zone)))
        return
    origin = origin.model_copy(update={"key": key}) if key != origin.key else origin
    try:
        checked = recorder.check(typed)
    except SubmissionInvalid as exc:
        ack(response_action="errors", errors=exc.errors)
        return
    card = card_for(bot.people, checked)  # one bounded wait for the CMS, for both questions
    if (unknown := unknown_contact(card)) is not None:
        ack(response_action="errors", errors=unknown)
        return
    duplicate = None if confirmed else recorder.probable_duplicate(checked, key=origin.key)
    earlier = _describe(duplicate, recorder.zone) if duplicate is not None else None
    if earlier is None and not confirmed:
        earlier = held_by_cms(card, checked, recorder.today())
    if earlier is not None:
        metadata = DuplicateMetadata(
            channel_id=origin.channel_id, key=origin.key, typed=typed.model_dump()
        )
        ack(
            response_action="push",
            view=views.duplicate_modal(private_metadata=metadata.dump(), earlier=earlier),
        )
        return
    try:
        recorder.submit(typed, origin, checked=checked)
    except StoreError:  # locked or full past its short busy timeout: answer in time
        log.warning("submission not stored: the log is busy")
        ack(response_action="errors", errors={views.BLOCK_IDS[0]: LOG_BUSY})
        return
    ack(response_action="clear")


def submit_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], *, bot: SlackBot) -> None:
    user = actor(body)
    if user is None:  # the middleware let it through, so this cannot happen; be safe
        ack(response_action="clear")
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
    accept(bot, ack, typed, origin, confirmed=False)


def confirm_duplicate(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], *, bot: SlackBot
) -> None:
    user = actor(body)
    try:
        metadata = DuplicateMetadata.model_validate(parse_json(view.get("private_metadata")))
    except ValueError:
        metadata = None
    if user is None or metadata is None:
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
    accept(bot, ack, Typed(**metadata.typed), origin, confirmed=True)


def _already(submission: Submission, zone: tzinfo) -> str:
    """What a repeat of a stored submission is told, pointing at its thread."""
    how = _describe(submission, zone)
    if submission.state is not State.RECORDED and submission.state.final:
        how = f"It was submitted at {submission.created_at.astimezone(zone):%H:%M}: "
        how += f"{submission.state.value.replace('_', ' ')}."
    where = "its thread" if submission.message_ts else "the thread the bot posts"
    return f"This form was already submitted (submission #{submission.id}). {how} See {where}."


def _describe(submission: Submission, zone: tzinfo) -> str:
    when = submission.created_at.astimezone(zone).strftime("%H:%M")
    if submission.record_id is not None:
        return f"It was recorded at {when} (CMS record {submission.record_id})."
    return f"It was submitted at {when} and is being sent."


# -- buttons under a reply -------------------------------------------------------------------


def submission_of(bot: SlackBot, body: dict[str, Any]) -> Submission | None:
    """The Slack submission a button names, or None."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    value = str(actions[0].get("value") or "")
    if not (value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID):
        return None
    try:
        submission = bot.recorder.store.get(int(value))
    except StoreError:  # an unknown id: nothing to act on
        return None
    return submission if submission.frontend == "slack" else None


def _who(body: dict[str, Any]) -> dict[str, str]:
    """Who clicked, for the log: anyone allowed to record may retry or reopen anyone's
    submission (the outcome belongs to the diocese), and the log says who did."""
    user = actor(body)
    return {"user_id": user.id, "user_name": user.display or user.id} if user is not None else {}


def reopen_form(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    ack()
    submission = submission_of(bot, body)
    if submission is None:
        return
    bot.recorder.store.note(
        submission.id, "reopened", {f"by_{k}": v for k, v in _who(body).items()}
    )
    metadata = FormMetadata(channel_id=submission.channel_id, reopened_from=submission.id)
    typed = Typed(**submission.typed)
    channel = body.get("channel")
    user = actor(body)
    bot.open_view(
        str(body.get("trigger_id", "")),
        form_for(bot, typed, metadata),
        channel_id=str(channel.get("id") or "") or None if isinstance(channel, dict) else None,
        user_id=user.id if user is not None else None,
    )


def retry_submission(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    ack()
    submission = submission_of(bot, body)
    if submission is None or submission.state is not State.FAILED:
        return
    who = _who(body)
    bot.recorder.retry(submission.id, by=who)
    if submission.channel_id and submission.message_ts and who:  # the thread says who
        bot.say_in_thread(
            submission.channel_id,
            submission.message_ts,
            f":repeat: <@{who['user_id']}> tried again; the result will follow here.",
        )
