"""The form that answers back: pure functions that add notes under a modal's fields.

`form_texts` reads what a person typed or picked from a view's ``state.values`` (keyed by
block id; any action id). `with_notes` returns the view to send with ``views.update``: the
same view (callback id, title, buttons, ``private_metadata``, every input block untouched, so
Slack keeps what was typed) with a context block under each field that has a note, and the
notes of the previous update removed. It works for any modal whose input blocks carry the
fields' names as block ids (the record form, a session's form, a correction form): nothing
here looks at the callback id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.slack.mrkdwn import clip, escape

__all__ = ["NOTE_PREFIX", "Shown", "form_texts", "note_block_id", "with_notes"]

#: Block ids of the notes: `note_<field block id>` (never an input's block id).
NOTE_PREFIX = "note_"
#: Keys of a view that `views.update` takes back (everything else is Slack's).
_VIEW_KEYS = (
    "type",
    "callback_id",
    "title",
    "submit",
    "close",
    "private_metadata",
    "clear_on_close",
    "notify_on_close",
    "external_id",
)
_CONTEXT_MAX = 3000
_MAX_BLOCKS = 100
_OK, _WARN = "✓", "⚠️"

#: A note: its lines (plain text, escaped here) and whether it is good news.
Shown = tuple[Sequence[str], bool]


def note_block_id(block_id: str) -> str:
    return f"{NOTE_PREFIX}{block_id}"


def _value(action: Mapping[str, Any]) -> str:
    if isinstance(action.get("value"), str):
        return str(action["value"])
    selected = action.get("selected_option")
    if isinstance(selected, Mapping) and isinstance(selected.get("value"), str):
        return str(selected["value"])
    return ""


def form_texts(view: Mapping[str, Any]) -> dict[str, str]:
    """block id -> what the person typed or picked, from ``view.state.values``."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    out: dict[str, str] = {}
    if not isinstance(values, Mapping):
        return out
    for block_id, actions in values.items():
        if not isinstance(actions, Mapping):
            continue
        for action in actions.values():
            if isinstance(action, Mapping) and (text := _value(action)):
                out[str(block_id)] = text
                break
    return out


def _note(block_id: str, shown: Shown) -> dict[str, Any]:
    lines, ok = shown
    text = "\n".join(escape(line) for line in lines if line)
    mark = _OK if ok else _WARN
    return ContextBlock(
        block_id=note_block_id(block_id),
        elements=[MarkdownTextObject(text=clip(f"{mark} {text}", _CONTEXT_MAX))],
    ).to_dict()


def with_notes(view: Mapping[str, Any], notes: Mapping[str, Shown]) -> dict[str, Any]:
    """`view` for ``views.update``, with `notes` (block id -> (lines, ok)) under their blocks.

    Input blocks keep their block and action ids; notes for blocks the view lacks are left
    out; notes from an earlier update are replaced. Never more than 100 blocks.
    """
    out: dict[str, Any] = {k: view[k] for k in _VIEW_KEYS if view.get(k) not in (None, "")}
    out.setdefault("type", "modal")
    out["private_metadata"] = view.get("private_metadata", "")
    blocks: list[dict[str, Any]] = []
    room = _MAX_BLOCKS - sum(
        1
        for b in view.get("blocks", [])
        if isinstance(b, Mapping) and not str(b.get("block_id", "")).startswith(NOTE_PREFIX)
    )
    for block in view.get("blocks", []):
        if not isinstance(block, Mapping):
            continue
        block_id = str(block.get("block_id", ""))
        if block_id.startswith(NOTE_PREFIX):
            continue
        blocks.append(dict(block))
        shown = notes.get(block_id)
        if shown is not None and shown[0] and room > 0:
            blocks.append(_note(block_id, shown))
            room -= 1
    out["blocks"] = blocks
    return out
