"""Checks that apply to every request, run by Bolt before any listener.

`who_may_record` decides once whether the person behind a request may record (the listed
users and the user group's members, see `Permissions`), and puts the answer in the context as
`may_record`. Anyone else is answered here, politely, and no listener runs: a slash command
gets an ephemeral refusal, a form an error under its first field, a pick-list no options, a
button nothing. Events (the App Home being opened) go on to their listener, which shows the
person a page saying they may not record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse

from bot.slack import views
from bot.slack.permissions import Permissions

REFUSAL = (
    "Sorry, you are not on the list of people who may record training with this bot. "
    "Ask your diocesan safeguarding administrator to add you."
)
NOT_ALLOWED = "You are not on the list of people who may record training."
#: When the user group's members could not be read yet (Slack slow or refusing).
UNSURE = (
    "Sorry, I could not check the list of people who may record just now (Slack is slow "
    "to answer). Please try again in a minute."
)

#: The field under which a form of ours shows the refusal; other views are closed.
REFUSAL_BLOCKS = {
    views.CALLBACK_ID: "contact_id",
    views.BULK_CALLBACK_ID: views.PEOPLE_BLOCK,
    views.CORRECT_CALLBACK_ID: "completed_at",
}


def user_of(body: Mapping[str, Any]) -> str:
    """The Slack user id behind a request of any kind ('' when it carries none)."""
    if isinstance(body.get("user_id"), str):  # a slash command
        return str(body["user_id"])
    user = body.get("user")
    if isinstance(user, Mapping) and isinstance(user.get("id"), str):  # interactivity
        return str(user["id"])
    event = body.get("event")
    if isinstance(event, Mapping) and isinstance(event.get("user"), str):  # events
        return str(event["user"])
    return ""


def refuse(ack: Ack, body: Mapping[str, Any], *, unsure: bool = False) -> BoltResponse:
    """Answer a request from someone who may not record (or, `unsure`, who could not be
    checked yet); the answer, for Bolt to send."""
    if body.get("command"):
        return ack(text=UNSURE if unsure else REFUSAL)
    if body.get("type") == "block_suggestion":
        return ack(options=[])
    if body.get("type") == "view_submission":
        view = body.get("view")
        callback = view.get("callback_id") if isinstance(view, Mapping) else None
        block = REFUSAL_BLOCKS.get(str(callback))
        if block is not None:
            return ack(response_action="errors", errors={block: NOT_ALLOWED})
        return ack(response_action="clear")
    return ack()


def who_may_record(permissions: Permissions) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: decide once who may record, refuse everyone else. (A middleware
    that does not call `next` returns the answer Bolt sends.)"""

    def middleware(
        ack: Ack, body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        user = user_of(body)
        allowed = permissions.allows(user)
        context["may_record"] = allowed
        if allowed or body.get("type") == "event_callback":
            next()
            return None
        return refuse(ack, body, unsure=permissions.undecided(user))

    return middleware
