"""The form that answers back: the dispatch actions of the date fields (each keystroke's
pause, and Enter) and of the contact pick-list.

Each is acked at once; the update of the form (a note under each field) is made by
`bot.slack.previewer.Previewer` on threads of its own. The actions are matched by action id
(the field names), whatever modal they come from, so any form built from the same blocks
(the record form, a session's form, a correction form) answers the same way.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.fields import DATE_FIELDS
from bot.slack.deps import SlackBot, bind
from bot.slack.previewer import CONTACT_BLOCK

#: The action ids that dispatch: every date field, and the contact pick-list.
DISPATCHING: tuple[str, ...] = (*DATE_FIELDS, CONTACT_BLOCK)
_ACTIONS = re.compile("^(?:" + "|".join(re.escape(a) for a in DISPATCHING) + ")$")


def register(app: App, bot: SlackBot) -> None:
    app.action(_ACTIONS)(bind(field_changed, bot))


def field_changed(ack: Ack, body: dict[str, Any], *, bot: SlackBot) -> None:
    """Ack at once; the form is updated from our own worker (or not at all, without one)."""
    ack()
    if bot.previews is not None:
        bot.previews.request(body)
