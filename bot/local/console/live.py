"""The form that answers as it is filled in, played at the terminal.

When a person answers a field whose input block dispatches (the dates, the contact), the
Slack client sends a ``block_actions`` request carrying the whole view (its id, its hash and
what every field holds), and the app answers by ``views.update``-ing the form with a note (a
context block ``note_<block id>``) under the field: the date's reading or refusal, who the
contact is and what the CMS holds for them. `FieldActions` does the same: the stand-in is told
what the fields hold (Slack holds the person's input, not the app), the action is sent through
Bolt, the update is waited for, and the notes it shows are printed under the field.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.local.console.form import Field, Form
from bot.local.console.render import render_mrkdwn
from bot.local.console.terminal import Terminal
from bot.local.slack_requests import API_APP_ID, VERIFICATION_TOKEN, team_json, user_json
from bot.local.slack_standin import Call, SlackStandIn
from bot.slack.live_form import note_block_id

__all__ = ["NOTE_WAIT", "FieldActions", "field_action_payload", "notes_of"]

#: How long to wait for the app's update after a field's action (a contact lookup waits
#: up to 1.5 s before the app shows what it has).
NOTE_WAIT = 3.0
#: The mark the app puts before a note that is good news (anything else is a problem).
_OK_MARK = "✓"


def field_action_payload(
    field: Field,
    view: Mapping[str, Any],
    *,
    user_id: str,
    user_name: str,
    trigger_id: str,
) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends when `field` of `view` (a view as the
    stand-in holds it: id, hash and state) is answered."""
    state = view.get("state", {}).get("values", {})
    held = state.get(field.block_id, {}).get(field.action_id, {})
    action: dict[str, Any] = {
        "type": field.kind,
        "action_id": field.action_id,
        "block_id": field.block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if field.is_select:
        action["selected_option"] = held.get("selected_option")
    else:
        action["value"] = held.get("value")
    return {
        "type": "block_actions",
        "user": user_json(user_id, user_name),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": team_json(),
        "enterprise": None,
        "is_enterprise_install": False,
        "container": {"type": "view", "view_id": view.get("id")},
        "view": dict(view),
        "state": {"values": state},
        "actions": [action],
    }


def notes_of(view: Mapping[str, Any]) -> dict[str, str]:
    """block id -> the mrkdwn of the note the app put under it."""
    notes: dict[str, str] = {}
    for block in view.get("blocks", []):
        if not isinstance(block, Mapping) or block.get("type") != "context":
            continue
        block_id = str(block.get("block_id") or "")
        elements = block.get("elements")
        if not block_id or not isinstance(elements, list):
            continue
        texts = [str(e.get("text") or "") for e in elements if isinstance(e, Mapping)]
        notes[block_id] = "\n".join(t for t in texts if t)
    return notes


class FieldActions:
    """Sends the action of each dispatching field answered in one view, and prints the
    notes the app shows for it (the `bot.local.console.form.Changed` of a form)."""

    def __init__(
        self,
        standin: SlackStandIn,
        terminal: Terminal,
        dispatch: Callable[[dict[str, Any]], int],
        *,
        view_id: str,
        user: Callable[[], tuple[str, str]],
        wait: float = NOTE_WAIT,
    ) -> None:
        self._standin = standin
        self._terminal = terminal
        self._dispatch = dispatch
        self._view_id = view_id
        self._user = user
        self._wait = wait

    def __call__(self, form: Form, field: Field) -> str | None:
        """Tell the app `field` was answered; the note under it if it is a refusal."""
        view_id = self._view_id
        if not view_id:
            return None
        seen = len(self._updates())
        try:
            view = self._standin.type_into(view_id, form.values())
        except KeyError:  # not a view Slack holds (or its fields have changed)
            return None
        user_id, user_name = self._user()
        payload = field_action_payload(
            field,
            view,
            user_id=user_id,
            user_name=user_name,
            trigger_id=self._standin.new_trigger_id(),
        )
        if self._dispatch(payload) != 200:
            return None
        try:
            calls = self._standin.wait_for(self._is_update, seen + 1, timeout=self._wait, ok=True)
        except TimeoutError:
            return None  # the form did not answer: the submission still checks everything
        return self._show(form, field, notes_of(calls[-1].response.get("view") or {}))

    def _is_update(self, call: Call) -> bool:
        return call.method == "views.update" and call.args.get("view_id") == self._view_id

    def _updates(self) -> list[Call]:
        return [c for c in self._standin.calls("views.update", ok=True) if self._is_update(c)]

    def _lines(self, mrkdwn: str) -> list[str]:
        shown = render_mrkdwn(mrkdwn, self._terminal.style)
        if not self._terminal.style.unicode:
            shown = shown.replace("⚠️", "[!]").replace(_OK_MARK, "[ok]")
        return shown.splitlines()

    def _show(self, form: Form, field: Field, notes: Mapping[str, str]) -> str | None:
        """Print the note under `field`, then any note of another field asked before that
        changed (the expiry read from a new completion date, a problem between two dates);
        the note under `field` if it is not good news."""
        say, style = self._terminal.say, self._terminal.style
        own = notes.get(note_block_id(field.block_id))
        for line in self._lines(own or ""):
            say("  " + line)
        for other in form.fields:
            text = notes.get(note_block_id(other.block_id))
            if other is field or other.block_id not in form.asked or text is None:
                continue
            if form.shown_notes.get(other.block_id) != text:
                lines = self._lines(text) or [""]
                say(f"  {style.bold(other.label)}: {lines[0]}")
                for line in lines[1:]:
                    say("    " + line)
        form.shown_notes = {
            f.block_id: text
            for f in form.fields
            if (text := notes.get(note_block_id(f.block_id))) is not None
        }
        if own is None or own.lstrip().startswith(_OK_MARK):
            return None
        return own
