"""Block Kit views of the bot: pure functions that return view dicts.

Every view is built with `slack_sdk.models`, whose validators check Slack's limits (title
24 characters, ``private_metadata`` 3000, labels 2000, ...) when the view is turned into a
dict: a view Slack would refuse raises `SlackObjectFormationError` here, in tests, rather
than failing at ``views.open`` in production. Texts that come from people or the CMS are cut
to their limits; ``private_metadata`` is never cut (it carries data), so too long raises.

The record form's block ids are the CMS parameter names (`BLOCK_IDS`), and each input's
action id is `ACTION_IDS` [block id] (the same name), so a submission reads
``view.state.values[block_id][ACTION_IDS[block_id]]`` and a re-rendered form keeps what the
person typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataMultiSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig, MarkdownTextObject
from slack_sdk.models.views import View

from bot.fields import BY_NAME, DATE_FIELDS, FIELD_LABELS, FIELDS, ID_FIELDS
from bot.slack.mrkdwn import clip, escape, plain

__all__ = [
    "ACTION_IDS",
    "AGAIN",
    "AGAIN_BLOCK",
    "ATTENDANCE_BLOCK",
    "BLOCK_IDS",
    "BULK_CALLBACK_ID",
    "BULK_CONFIRM_CALLBACK_ID",
    "BULK_MATCHING_CALLBACK_ID",
    "CALLBACK_ID",
    "CHOICE_PREFIX",
    "DATE_BLOCKS",
    "DATE_MAX_LENGTH",
    "DUPLICATE_CALLBACK_ID",
    "MAX_OPTIONS",
    "OPTION_LABEL_MAX",
    "PEOPLE_BLOCK",
    "SELECT_BLOCKS",
    "SKIP",
    "bulk_confirm_modal",
    "bulk_modal",
    "busy_modal",
    "duplicate_modal",
    "error_modal",
    "option",
    "options_response",
    "record_modal",
]

#: The record form's callback id (design.md).
CALLBACK_ID = "record_course"
#: The callback id of the "recorded already?" confirmation pushed over the form.
DUPLICATE_CALLBACK_ID = "record_course_duplicate"
#: The form's input blocks in order; each block id is a CMS parameter name.
BLOCK_IDS: tuple[str, ...] = tuple(FIELDS)
#: The searchable selects: contact, course, qualification.
SELECT_BLOCKS: tuple[str, ...] = ID_FIELDS
#: The date text inputs.
DATE_BLOCKS: tuple[str, ...] = tuple(DATE_FIELDS)
#: block id -> the action id of its input (the same name: stable across re-renders).
ACTION_IDS: Mapping[str, str] = MappingProxyType({block: block for block in BLOCK_IDS})
#: Longest text accepted in a date field (``bot.dates`` refuses longer input anyway).
DATE_MAX_LENGTH = 100
#: Slack's limits on an option: label length, and options per suggestion answer.
OPTION_LABEL_MAX = 75
MAX_OPTIONS = 100

_TITLE_MAX = 24  # title, submit and close
_TEXT_MAX = 3000  # section text
_PLACEHOLDER_MAX = 150
_LABEL_MAX = 2000

#: When a date field dispatches: Enter, and a pause in typing.
DATE_TRIGGERS = ["on_enter_pressed", "on_character_entered"]
#: The pick-lists whose choice dispatches (the contact: who it is is shown under it).
DISPATCHING_SELECTS = frozenset({"contact_id"})
#: How many characters a search needs before Slack asks for options (contact: one).
_MIN_QUERY = {"contact_id": 1}


def option(label: str, value: str) -> dict[str, Any]:
    """One select option; the label is cut to Slack's 75 characters (an empty one shows the
    value). Labels are plain text: Slack shows them as they are, markup included."""
    text = plain(label, OPTION_LABEL_MAX).strip() or value
    return Option(value=value, label=text).to_dict()


def options_response(options: Iterable[tuple[str, str] | Mapping[str, Any]]) -> dict[str, Any]:
    """The answer to a ``block_suggestion``: ``{"options": [...]}``, at most 100.

    Takes (label, value) pairs or options already built with `option`.
    """
    built = [o if isinstance(o, Mapping) else option(*o) for o in options]
    return {"options": [dict(o) for o in built[:MAX_OPTIONS]]}


def record_modal(
    *,
    private_metadata: str,
    initial: Mapping[str, str] = MappingProxyType({}),
    contact_option: tuple[str, str] | None = None,
    course_option: tuple[str, str] | None = None,
    qualification_option: tuple[str, str] | None = None,
    title: str = "Record a course",
    note: str | None = None,
) -> dict[str, Any]:
    """The record form: one input per CMS parameter, block ids as in `BLOCK_IDS`.

    Args:
        private_metadata: carried back in the submission (at most 3000 characters, else
            `SlackObjectFormationError`).
        initial: date block id -> text to pre-fill (other keys are ignored).
        contact_option, course_option, qualification_option: (label, value) pre-selected
            in each select.
        title: the modal's title, cut to 24 characters.
        note: plain text shown above the fields (e.g. why the form was reopened).
    """
    selected = {
        "contact_id": contact_option,
        "course_id": course_option,
        "qualification_id": qualification_option,
    }
    blocks: list[Block] = []
    if note:
        blocks.append(ContextBlock(elements=[PlainTextObject(text=plain(note, _TEXT_MAX))]))
    for block_id in BLOCK_IDS:
        if block_id in SELECT_BLOCKS:
            blocks.append(_select_block(block_id, selected.get(block_id)))
        else:
            blocks.append(_date_block(block_id, initial.get(block_id)))
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=_title(title),
        submit=_title("Record"),
        close=_title("Cancel"),
        private_metadata=private_metadata,
        blocks=blocks,
    ).to_dict()


def busy_modal(
    text: str, *, title: str = "Record a course", callback_id: str | None = None
) -> dict[str, Any]:
    """A modal that only says `text` (plain text, escaped), e.g. while the form loads.

    A `callback_id` marks a page that the app will replace with ``views.update`` (such as
    `BULK_MATCHING_CALLBACK_ID`); one without is final, and only closes.
    """
    return _message_modal(title, text, callback_id)


def error_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that tells the person something went wrong (`text` is plain text)."""
    return _message_modal(title, text)


def duplicate_modal(
    *, private_metadata: str, earlier: str, title: str = "Already recorded?"
) -> dict[str, Any]:
    """Pushed over the form when the submission looks like one made before.

    Submitting it (callback id `DUPLICATE_CALLBACK_ID`) records anyway; "Back" returns to the
    form. `earlier` is plain text describing the earlier submission.
    """
    text = (
        "This looks the same as a submission made earlier. "
        f"{escape(earlier)}\n\nRecord it again anyway?"
    )
    return View(
        type="modal",
        callback_id=DUPLICATE_CALLBACK_ID,
        title=_title(title),
        submit=_title("Record again"),
        close=_title("Back"),
        private_metadata=private_metadata,
        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(text, _TEXT_MAX)))],
    ).to_dict()


def _title(text: str) -> PlainTextObject:
    return PlainTextObject(text=plain(text, _TITLE_MAX).strip() or "Record a course")


def _message_modal(title: str, text: str, callback_id: str | None = None) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=callback_id,
        title=_title(title),
        close=_title("Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=clip(escape(text) or " ", _TEXT_MAX)))],
    ).to_dict()


def _label(block_id: str) -> PlainTextObject:
    return PlainTextObject(text=plain(FIELD_LABELS.get(block_id, block_id), _LABEL_MAX))


def _select_block(block_id: str, selected: tuple[str, str] | None) -> InputBlock:
    field = BY_NAME[block_id]
    initial = None
    if selected is not None:
        label, value = selected
        text = plain(label, OPTION_LABEL_MAX).strip() or value
        initial = Option(value=value, label=text)
    return InputBlock(
        block_id=block_id,
        label=_label(block_id),
        hint=PlainTextObject(text=field.hint),
        optional=not field.required,
        dispatch_action=block_id in DISPATCHING_SELECTS or None,
        element=ExternalDataSelectElement(
            action_id=ACTION_IDS[block_id],
            placeholder=PlainTextObject(text=plain(field.placeholder, _PLACEHOLDER_MAX)),
            min_query_length=_MIN_QUERY.get(block_id, 0),
            initial_option=initial,
        ),
    )


def _date_block(block_id: str, initial: str | None) -> InputBlock:
    field = BY_NAME[block_id]
    return InputBlock(
        block_id=block_id,
        label=_label(block_id),
        hint=PlainTextObject(text=field.hint),
        optional=not field.required,
        dispatch_action=True,  # the form answers as the person types (bot.slack.previewer)
        element=PlainTextInputElement(
            action_id=ACTION_IDS[block_id],
            placeholder=PlainTextObject(text=plain(field.placeholder, _PLACEHOLDER_MAX)),
            initial_value=initial[:DATE_MAX_LENGTH] if initial else None,
            max_length=DATE_MAX_LENGTH,
            dispatch_action_config=DispatchActionConfig(trigger_actions_on=DATE_TRIGGERS),
        ),
    )


# --- recording a whole session ---------------------------------------------------------------

#: callback_id of the form for several people, and of the page that confirms the matches.
BULK_CALLBACK_ID = "record_course_bulk"
BULK_CONFIRM_CALLBACK_ID = "record_course_bulk_confirm"
#: callback_id of the page shown while the names are looked up (replaced when they are).
BULK_MATCHING_CALLBACK_ID = "record_course_bulk_matching"
#: Block (and action) ids of the form's people pick-list and pasted attendance list.
PEOPLE_BLOCK = "contact_ids"
ATTENDANCE_BLOCK = "attendance"
#: Block ids of the confirm page's choices, one per ambiguous line: `choose_<line index>`.
CHOICE_PREFIX = "choose_"
#: The option that leaves an ambiguous line out.
SKIP = "skip"
#: The confirm page's choice for people whose same record was submitted in the last hour.
AGAIN_BLOCK = "again"
AGAIN = "again"
LEAVE_OUT = "leave_out"
#: Room kept for the other blocks of the confirm page (Slack allows 100 blocks).
_MAX_CHOICES = 90


def bulk_modal(
    *,
    private_metadata: str,
    initial: Mapping[str, str] = MappingProxyType({}),
    course_option: tuple[str, str] | None = None,
    qualification_option: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The form for a whole training session: people, course, qualification, dates."""
    people = InputBlock(
        block_id=PEOPLE_BLOCK,
        label=PlainTextObject(text="People"),
        hint=PlainTextObject(text="Search by name or contact number; pick as many as attended."),
        optional=True,
        element=ExternalDataMultiSelectElement(
            action_id=PEOPLE_BLOCK,
            placeholder=PlainTextObject(text="Type a name or a contact number"),
            min_query_length=1,
        ),
    )
    attendance = InputBlock(
        block_id=ATTENDANCE_BLOCK,
        label=PlainTextObject(text="Attendance list"),
        hint=PlainTextObject(
            text="Or paste the register: one name or contact number per line. "
            "You will see how each line was matched before anything is recorded."
        ),
        optional=True,
        element=PlainTextInputElement(
            action_id=ATTENDANCE_BLOCK,
            multiline=True,
            max_length=3000,
            placeholder=PlainTextObject(text="Joan Ellison\nDavid Pritchard\n1042"),
        ),
    )
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                PlainTextObject(text="Record one course, with the same dates, for several people.")
            ]
        ),
        people,
        attendance,
        _select_block("course_id", course_option),
        _select_block("qualification_id", qualification_option),
        *(_date_block(block_id, initial.get(block_id)) for block_id in DATE_BLOCKS),
    ]
    return View(
        type="modal",
        callback_id=BULK_CALLBACK_ID,
        title=_title("Record a session"),
        submit=_title("Check names"),
        close=_title("Cancel"),
        private_metadata=private_metadata,
        blocks=blocks,
    ).to_dict()


def bulk_confirm_modal(
    *,
    private_metadata: str,
    summary: str,
    certain: Iterable[str],
    ambiguous: Iterable[tuple[int, str, Iterable[tuple[str, str]]]],
    missing: Iterable[str],
    repeated: Iterable[str] = (),
) -> dict[str, Any]:
    """The page that shows how each line was matched, before anything is recorded.

    Args:
        summary: what will be recorded (plain text: course and dates).
        certain: one plain-text line per person found for certain (or picked).
        ambiguous: (line index, the line as typed, [(label, contact id), ...]) for each line
            that matched several people: the person chooses one, or to skip the line.
        missing: one plain-text line per line that matched nobody (it is left out).
        repeated: one plain-text line per person found whose same record was submitted in
            the last hour: left out unless the person chooses `AGAIN` in block `AGAIN_BLOCK`.
    """
    certain, ambiguous, missing = list(certain), list(ambiguous), list(missing)
    repeated = list(repeated)
    blocks: list[Block] = [_mrkdwn_section(escape(summary))]
    if certain:
        blocks.extend(_listing(f"*Found ({len(certain)})*", certain))
    for index, line, candidates in ambiguous[:_MAX_CHOICES]:
        options = [
            Option(value=str(v), label=plain(lbl, OPTION_LABEL_MAX).strip() or str(v))
            for lbl, v in candidates
        ]
        options.append(Option(value=SKIP, label="None of these: leave this line out"))
        blocks.append(
            InputBlock(
                block_id=f"{CHOICE_PREFIX}{index}",
                label=PlainTextObject(text=plain(f"Which “{line}”?", _LABEL_MAX)),
                element=StaticSelectElement(
                    action_id="choice",
                    placeholder=PlainTextObject(text="Choose the person"),
                    options=options[:MAX_OPTIONS],
                ),
            )
        )
    if repeated:
        blocks.extend(_listing(f"*Already submitted in the last hour ({len(repeated)})*", repeated))
        leave_out = Option(value=LEAVE_OUT, label="Leave them out")
        blocks.append(
            InputBlock(
                block_id=AGAIN_BLOCK,
                label=PlainTextObject(text="Record them again?"),
                element=StaticSelectElement(
                    action_id=AGAIN_BLOCK,
                    options=[leave_out, Option(value=AGAIN, label="Record them again")],
                    initial_option=leave_out,
                ),
            )
        )
    left_out = missing + [line for _, line, _ in ambiguous[_MAX_CHOICES:]]
    if left_out:
        blocks.extend(_listing(f"*Not found, left out ({len(left_out)})*", left_out))
    nobody = not certain and not ambiguous and not repeated
    if nobody:
        blocks.append(
            _mrkdwn_section("Nobody to record: go back and pick people or check the list.")
        )
    return View(
        type="modal",
        callback_id=BULK_CONFIRM_CALLBACK_ID,
        title=_title("Check the names"),
        submit=None if nobody else _title("Record"),
        close=_title("Cancel"),
        private_metadata=private_metadata,
        blocks=blocks[:100],
    ).to_dict()


def _mrkdwn_section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, _TEXT_MAX)))


def _listing(heading: str, lines: list[str]) -> list[Block]:
    """`heading` then the lines, escaped, in as few sections as Slack's limits allow."""
    sections: list[Block] = []
    chunk = heading
    for line in lines:
        entry = "\n• " + escape(line)
        if len(chunk) + len(entry) > _TEXT_MAX - 10:
            sections.append(_mrkdwn_section(chunk))
            chunk = ""
        chunk += entry
    sections.append(_mrkdwn_section(chunk.lstrip("\n")))
    return sections[:20]


# --- correcting a record ------------------------------------------------------------------------

#: callback_id of the correction form, and of the page shown while the record is fetched.
CORRECT_CALLBACK_ID = "correct_record"
CORRECT_LOADING_CALLBACK_ID = "correct_record_loading"
#: The correction form's input blocks: the record's course cannot change, nor its person.
CORRECT_BLOCKS: tuple[str, ...] = ("qualification_id", *DATE_FIELDS)


def correction_modal(
    *,
    private_metadata: str,
    record_id: int,
    person: str,
    course: str,
    initial: Mapping[str, str] = MappingProxyType({}),
    qualification_option: tuple[str, str] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The correction form, filled in with what the CMS holds: the person and the course
    shown (not editable), then the record form's own qualification and date blocks (the
    same block and action ids, so the same readings and checks apply).

    `person` and `course` are plain text (escaped here); `initial`: date block id -> text.
    """
    text = (
        f"Correcting CMS record {record_id}: *{escape(course)}* for {escape(person)}.\n"
        "Change what is wrong; what you leave as it is stays as the CMS has it."
    )
    blocks: list[Block] = [
        SectionBlock(block_id="correct_what", text=MarkdownTextObject(text=clip(text, _TEXT_MAX)))
    ]
    if note:
        blocks.append(ContextBlock(elements=[PlainTextObject(text=plain(note, _TEXT_MAX))]))
    for block_id in CORRECT_BLOCKS:
        if block_id in SELECT_BLOCKS:
            blocks.append(_select_block(block_id, qualification_option))
        else:
            blocks.append(_date_block(block_id, initial.get(block_id)))
    blocks.append(
        ContextBlock(
            elements=[
                PlainTextObject(
                    text="Recorded by mistake? The CMS API cannot delete a record: ask a CMS "
                    "administrator to remove it in the CMS portal."
                )
            ]
        )
    )
    return View(
        type="modal",
        callback_id=CORRECT_CALLBACK_ID,
        title=_title("Correct a record"),
        submit=_title("Correct"),
        close=_title("Cancel"),
        private_metadata=private_metadata,
        blocks=blocks,
    ).to_dict()


def correction_loading_modal() -> dict[str, Any]:
    """Shown at once while the record is read from the CMS (then replaced)."""
    return busy_modal(
        "Reading the record from the CMS…",
        title="Correct a record",
        callback_id=CORRECT_LOADING_CALLBACK_ID,
    )
