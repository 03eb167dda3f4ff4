"""Recording a whole training session (`/record-course session`).

1. The session form (`record_course_bulk`): people picked from a list and/or a pasted
   attendance list, plus the course, qualification and dates they share. Checked like the
   single form; the batch is stored, and the form turns into "matching the names…".
2. The names are matched against the CMS on a thread of our own (each search paced under
   the CMS limit), then the form is replaced by the confirm page: who was found, a choice
   for each name that matched several people, and the names that matched nobody.
3. On confirmation (`record_course_bulk_confirm`) each person becomes a submission of the
   core; the reporter keeps one message up to date and sums up in its thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.bulk import (
    Match,
    check_numbers,
    chosen_contacts,
    match_attendance,
    parse_attendance,
    resolve,
)
from bot.cms.models import Contact
from bot.errors import CMSError, CMSNotFound, SlackFailure, SubmissionInvalid
from bot.people import Card
from bot.slack import views
from bot.slack.bulk import (
    NEED_PEOPLE,
    NOTHING_RECORDED,
    attendance_text,
    chosen_lines,
    confirm_page,
    picked_people,
    record_again,
    repeats,
)
from bot.slack.deps import SlackBot, bind
from bot.slack.listeners.record import LOG_BUSY
from bot.slack.payloads import FormMetadata, actor, read_form, team_id
from bot.store import Batch, BatchState, Store, StoreError

log = logging.getLogger(__name__)


def register(app: App, bot: SlackBot) -> None:
    app.view(views.BULK_CALLBACK_ID)(bind(submit_session, bot))
    app.view(views.BULK_CONFIRM_CALLBACK_ID)(bind(confirm_session, bot))


def submit_session(ack: Ack, body: dict[str, Any], view: dict[str, Any], *, bot: SlackBot) -> None:
    """Check the shared fields, store the batch, and look the names up off the request."""
    recorder, store = bot.recorder, bot.recorder.store
    user = actor(body)
    if user is None:
        ack(response_action="clear")
        return
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    typed = read_form(values)
    picked = picked_people(values)
    lines = parse_attendance(attendance_text(values))
    errors: dict[str, str] = {}
    try:
        recorder.check_common(typed)
    except SubmissionInvalid as exc:
        errors.update(exc.errors)
    errors.pop("contact_id", None)
    if not picked and not lines:
        errors[views.PEOPLE_BLOCK] = NEED_PEOPLE
    if errors:
        ack(response_action="errors", errors=errors)
        return
    metadata = FormMetadata.load(view.get("private_metadata"))
    view_id = str(view.get("id") or "")[:60]
    batch, created = _store_batch(
        store,
        {
            "key": f"slack-batch:{team_id(body) or '-'}:{view_id}",
            "frontend": "slack",
            "team_id": team_id(body),
            "channel_id": metadata.channel_id,
            "user_id": user.id,
            "user_name": user.display,
            "view_id": view_id,
            "typed": typed.model_dump(),
            "attendance": lines,
            "matches": [m.to_json() for m in picked],
        },
    )
    if batch is None:  # locked or full past its short busy timeout: answer in time
        ack(response_action="errors", errors={views.PEOPLE_BLOCK: LOG_BUSY})
        return
    if not created:
        ack()
        return
    if not lines:  # nothing to look up: straight to the confirm page
        batch = store.update_batch(batch.id, state=BatchState.CONFIRMING)
        ack(response_action="update", view=confirm_page(bot, batch))
        return
    ack(
        response_action="update",
        view=views.busy_modal(
            f"Looking up {len(lines)} name{'s' if len(lines) != 1 else ''} in the CMS…",
            title="Record a session",
            callback_id=views.BULK_MATCHING_CALLBACK_ID,
        ),
    )
    bot.views.submit(_match_guarded, bot, batch.id, view_id)


def _match_in_background(bot: SlackBot, batch_id: int, view_id: str) -> None:
    store = bot.recorder.store

    def search(text: str) -> Sequence[Contact]:
        return bot.recorder.cms.search_contacts(text, limit=10)

    batch = store.batch(batch_id)
    found = check_numbers(match_attendance(batch.attendance, search), partial(_who, bot))
    matches = [Match.from_json(m) for m in batch.matches] + found
    batch = store.update_batch(
        batch_id,
        state=BatchState.CONFIRMING,
        matches=[m.to_json() for m in matches],
    )
    try:
        bot.client.views_update(view_id=view_id, view=confirm_page(bot, batch))
    except SlackFailure as exc:
        log.warning("batch %s: could not show the matches: %s", batch_id, exc)


def _who(bot: SlackBot, contact_id: int) -> Card:
    """Who a pasted number is, before anything is written: from the contact book, else
    asked of the CMS like the name searches (this runs on a thread of our own)."""
    if bot.people is not None:
        card = bot.people.card(contact_id, records=False)
        if card.status != "unchecked":
            return card
    try:
        contact = bot.recorder.cms.get_contact(contact_id)
    except CMSNotFound:
        return Card(contact_id, "unknown")
    except CMSError as exc:
        log.info("could not look contact %d up: %s", contact_id, type(exc).__name__)
        return Card(contact_id, "unchecked")
    if bot.people is not None:
        bot.people.note(contact)
    return Card(contact_id, "found", contact)


def _match_guarded(bot: SlackBot, batch_id: int, view_id: str) -> None:
    try:
        _match_in_background(bot, batch_id, view_id)
    except Exception:
        log.exception("batch %s: matching failed", batch_id)


def confirm_session(ack: Ack, body: dict[str, Any], view: dict[str, Any], *, bot: SlackBot) -> None:
    """Record everyone chosen on the confirm page, once."""
    recorder, store = bot.recorder, bot.recorder.store
    try:
        batch = store.batch(int(json.loads(view.get("private_metadata") or "{}")["batch_id"]))
    except (ValueError, KeyError, TypeError, StoreError):  # not a form of ours
        batch = None
    if actor(body) is None or batch is None:
        ack(response_action="clear")
        return
    if batch.state is not BatchState.CONFIRMING:  # confirmed already
        ack(response_action="clear")
        return
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    matches = resolve([Match.from_json(m) for m in batch.matches], chosen_lines(values))
    contacts = chosen_contacts([], matches, {})
    if not record_again(values):  # the same record in the last hour: left out, as the page said
        found = [m.contact_id for m in matches if m.status in ("id", "exact") and m.contact_id]
        left_out = repeats(bot, batch, found)
        contacts = [c for c in contacts if c not in left_out]
    # Only the first of two confirms of this page counts (a double click, or two people).
    claimed = BatchState.RECORDING if contacts else BatchState.ABANDONED
    if not store.claim_batch(batch.id, BatchState.CONFIRMING, claimed):
        ack(response_action="clear")
        return
    if not contacts:
        ack(
            response_action="update",
            view=views.busy_modal(NOTHING_RECORDED, title="Record a session"),
        )
        return
    batch = store.update_batch(batch.id, matches=[m.to_json() for m in matches])
    recorder.submit_batch(batch, contacts)  # the reporter announces it (the core's notifier)
    ack(response_action="clear")


def _store_batch(store: Store, values: dict[str, Any]) -> tuple[Batch | None, bool]:
    """`store.create_batch`, but a view id seen before with other content (a front end that
    reuses ids) is a new batch, and a busy log is `(None, False)` rather than an error."""
    try:
        batch, created = store.create_batch(values)
        if not created and (batch.typed, batch.attendance) != (
            values["typed"],
            values["attendance"],
        ):
            content = json.dumps([values["typed"], values["attendance"]], sort_keys=True)
            digest = hashlib.sha256(content.encode()).hexdigest()[:16]
            batch, created = store.create_batch({**values, "key": f"{values['key']}~{digest}"})
    except StoreError:
        log.warning("session not stored: the log is busy")
        return None, False
    return batch, created
