"""The pages of a whole training session (`/record-course session`): the session form,
the confirm page and what they read back. Its listeners, and the flow from form to
recorded people, are in `bot.slack.listeners.session`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from bot.bulk import Match
from bot.fields import DATE_FIELDS, FIELD_LABELS
from bot.slack import views
from bot.slack.deps import SlackBot
from bot.slack.payloads import FormMetadata
from bot.store import Batch
from bot.submission import Typed

log = logging.getLogger(__name__)

#: Words after the command that open the session form instead of the single one.
SESSION_WORDS = frozenset({"session", "bulk", "attendees", "several", "many", "group"})

NEED_PEOPLE = "Pick people here, or paste an attendance list below."
NOTHING_RECORDED = (
    "Nothing was recorded: everyone left on the list was either left out or already "
    "submitted in the last hour."
)


def wants_session(text: str) -> tuple[bool, str]:
    """Whether the command text asks for the session form, and the rest of the text."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() in SESSION_WORDS:
        return True, words[1] if len(words) > 1 else ""
    return False, text


def session_form(bot: SlackBot, typed: Typed, metadata: FormMetadata) -> dict[str, Any]:
    course_option = None
    if typed.course_id.isdigit():
        course = bot.catalogue.get(int(typed.course_id))
        course_option = (course.name if course else f"Course #{typed.course_id}", typed.course_id)
    initial = {k: v for k, v in typed.model_dump().items() if k.endswith("_at") and v}
    return views.bulk_modal(
        private_metadata=metadata.dump(), initial=initial, course_option=course_option
    )


def _number(text: str, *, least: int = 1) -> int | None:
    """`text` as a number from `least` to a CMS-sized id (ASCII digits only), else None: a
    payload may carry any text, and `int()` refuses some digits and very long numbers."""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if least <= value < 2**31 else None


def picked_people(values: object) -> list[Match]:
    """The people chosen in the multi-select, as certain matches (label as shown)."""
    block = values.get(views.PEOPLE_BLOCK) if isinstance(values, Mapping) else None
    element = block.get(views.PEOPLE_BLOCK) if isinstance(block, Mapping) else None
    options = element.get("selected_options") if isinstance(element, Mapping) else None
    picked: list[Match] = []
    for option in options if isinstance(options, list) else []:
        value = str(option.get("value", "")) if isinstance(option, Mapping) else ""
        text = option.get("text") if isinstance(option, Mapping) else None
        label = str(text.get("text", "")) if isinstance(text, Mapping) else ""
        if (contact_id := _number(value)) is not None:
            picked.append(Match(label, "id", contact_id, label or f"Contact #{contact_id}"))
    return picked


def attendance_text(values: object) -> str:
    block = values.get(views.ATTENDANCE_BLOCK) if isinstance(values, Mapping) else None
    element = block.get(views.ATTENDANCE_BLOCK) if isinstance(block, Mapping) else None
    value = element.get("value") if isinstance(element, Mapping) else None
    return value if isinstance(value, str) else ""


def _summary(bot: SlackBot, batch: Batch) -> str:
    typed = batch.typed
    course = bot.catalogue.get(int(typed["course_id"])) if typed["course_id"].isdigit() else None
    parts = [course.name if course else f"Course {typed['course_id']}"]
    for name in DATE_FIELDS:
        if typed.get(name):
            parts.append(f"{FIELD_LABELS[name].lower()} {typed[name]}")
    return ", ".join(parts)


def repeats(bot: SlackBot, batch: Batch, contacts: Iterable[int]) -> set[int]:
    """The contacts whose same record (course, qualification, dates) was submitted in the
    last hour: recording them again is probably a mistake."""
    checked = bot.recorder.check_common(Typed(**batch.typed))
    return {
        contact_id
        for contact_id in contacts
        if bot.recorder.probable_duplicate(replace(checked, contact_id=contact_id)) is not None
    }


def confirm_page(bot: SlackBot, batch: Batch) -> dict[str, Any]:
    matches = [Match.from_json(m) for m in batch.matches]
    found = {m.contact_id for m in matches if m.status in ("id", "exact") and m.contact_id}
    repeated_ids = repeats(bot, batch, found)
    certain: list[str] = []
    repeated: list[str] = []
    seen: set[int | None] = set()
    for m in matches:  # each person once, however often pasted or picked
        if m.status in ("id", "exact") and m.contact_id not in seen:
            seen.add(m.contact_id)
            line = m.label + (f"  ← “{m.line}”" if m.line and m.line != m.label else "")
            (repeated if m.contact_id in repeated_ids else certain).append(line)
    ambiguous = [
        (i, m.line, [(label, str(cid)) for label, cid in m.candidates])
        for i, m in enumerate(matches)
        if m.status == "several"
    ]
    missing = [
        f"“{m.line}”" + (f" ({m.label})" if m.label else "")
        for m in matches
        if m.status in ("not_found", "error")
    ]
    return views.bulk_confirm_modal(
        private_metadata=json.dumps({"batch_id": batch.id}),
        summary=f"{_summary(bot, batch)}: check the names, then Record.",
        certain=certain,
        ambiguous=ambiguous,
        missing=missing,
        repeated=repeated,
    )


def record_again(values: object) -> bool:
    """Whether the person chose to record again those submitted in the last hour."""
    block = values.get(views.AGAIN_BLOCK) if isinstance(values, Mapping) else None
    element = block.get(views.AGAIN_BLOCK) if isinstance(block, Mapping) else None
    option = element.get("selected_option") if isinstance(element, Mapping) else None
    return isinstance(option, Mapping) and option.get("value") == views.AGAIN


def chosen_lines(values: object) -> dict[int, int | None]:
    """The person chosen for each ambiguous line (None: left out), by line index."""
    choices: dict[int, int | None] = {}
    if not isinstance(values, Mapping):
        return choices
    for block_id, block in values.items():
        suffix = str(block_id).removeprefix(views.CHOICE_PREFIX)
        line = _number(suffix, least=0)
        if suffix == block_id or line is None or not isinstance(block, Mapping):
            continue
        element = block.get("choice")
        option = element.get("selected_option") if isinstance(element, Mapping) else None
        value = str(option.get("value", "")) if isinstance(option, Mapping) else ""
        choices[line] = _number(value)
    return choices
