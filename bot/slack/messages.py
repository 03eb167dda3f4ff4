"""Block Kit messages about a submission: pure functions of the submission, nothing else.

Every piece of text that came from a person or from the CMS goes through `escape` before it
is put into mrkdwn.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bot.cms.models import DATE_FIELDS
from bot.correction import MISTAKE, changed_fields, describe_changes, describe_wanted
from bot.dates import NO_EXPIRY
from bot.fields import FIELD_LABELS
from bot.slack.mrkdwn import clip, escape, plain
from bot.store import Correction, CorrectionState, State, Submission
from bot.text import person

#: action_id of the button on a failed reply that reopens the form, filled in as before.
REOPEN_ACTION = "reopen_form"
#: action_id of the button that sends a failed submission again.
RETRY_ACTION = "retry_submission"
#: action_id of the "Correct this record" button (its value: the submission's id).
CORRECT_ACTION = "correct_record"

Message = dict[str, Any]

#: Most characters of a message's text and of any one block's text (Slack refuses a section
#: over 3000, and message text far shorter than what a CMS error may hold).
MAX_TEXT = 3000
#: Most characters kept of any one thing the CMS said (a field's errors, a reason).
MAX_CMS_TEXT = 500


def _cms(text: str) -> str:
    """Words from the CMS, escaped and cut to `MAX_CMS_TEXT`."""
    return clip(escape(text), MAX_CMS_TEXT)


def human_date(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_TEXT)}]}


def _course_label(submission: Submission, course_name: str | None) -> str:
    name = submission.course_name or course_name
    return f"*{escape(name)}*" if name else f"course {submission.course_id}"


def _stored_dates(submission: Submission) -> dict[str, dt.date]:
    """The dates as the CMS stored them (from its answer), else as we read them."""
    body = submission.cms_body if isinstance(submission.cms_body, dict) else {}
    dates: dict[str, dt.date] = {}
    for name in DATE_FIELDS:
        raw = body.get(name) if submission.state is State.RECORDED else None
        value: dt.date | None = getattr(submission, name)
        if isinstance(raw, str):
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(raw)
        if value is not None:
            dates[name] = value
    return dates


def _date_lines(submission: Submission) -> list[str]:
    lines = []
    for name, value in _stored_dates(submission).items():
        note = " (no day was given: the 1st assumed)" if name in submission.assumed else ""
        if name in submission.filled:
            how = escape(submission.filled[name])
            note = f" (filled in from the course's renewal period, {how})"
        lines.append(f"{FIELD_LABELS[name]}: {human_date(value)}{note}")
    if submission.expires_at is None and submission.notes.get("expires_at") == NO_EXPIRY:
        lines.append(f"{FIELD_LABELS['expires_at']}: no expiry (as typed)")
    return lines


def contact_shown(submission: Submission, name: str | None = None) -> str:
    """The submission's contact for mrkdwn: "Joan Ellison (#1042)" (`name`, else the name
    last seen, kept in the log), or "contact 1042" when no name is known; escaped."""
    return escape(person(name or submission.contact_name, submission.contact_id))


def parent_message(
    submission: Submission, *, course_name: str | None = None, contact_name: str | None = None
) -> Message:
    """The message in the channel that the outcome is threaded under."""
    who = f"<@{escape(submission.user_id)}>" if submission.user_id else "Someone"
    contact = contact_shown(submission, contact_name)
    status = {
        State.PENDING: ":hourglass_flowing_sand: sending to the CMS…",
        State.SENDING: ":hourglass_flowing_sand: sending to the CMS…",
        State.RECORDED: f":white_check_mark: recorded (CMS record {submission.record_id})",
        State.REJECTED: ":x: the CMS refused it, see the thread",
        State.NOT_FOUND: ":x: contact not found, see the thread",
        State.FAILED: ":warning: not recorded, see the thread",
    }[submission.state]
    text = f"{who} is recording {_course_label(submission, course_name)} for {contact}: {status}"
    if submission.state is State.RECORDED:
        text = f"{who} recorded {_course_label(submission, course_name)} for {contact}: {status}"
    return {"text": text, "blocks": [_section(text)]}


def _buttons(submission: Submission) -> dict[str, Any]:
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": REOPEN_ACTION,
            "text": {"type": "plain_text", "text": "Open the form again"},
            "value": str(submission.id),
        }
    ]
    if submission.state is State.FAILED:
        elements.append(
            {
                "type": "button",
                "action_id": RETRY_ACTION,
                "text": {"type": "plain_text", "text": "Try again"},
                "value": str(submission.id),
                "style": "primary",
            }
        )
    return {"type": "actions", "block_id": "outcome_actions", "elements": elements}


def outcome_message(submission: Submission) -> Message:
    """The reply in the thread: what the CMS now holds, or what it refused and why."""
    blocks: list[dict[str, Any]] = []
    if submission.state is State.RECORDED:
        lines = [
            f":white_check_mark: Recorded *{escape(submission.course_name or '')}* "
            f"for {contact_shown(submission)}.",
        ]
        if submission.qualification_name:
            lines.append(f"Qualification: *{escape(submission.qualification_name)}*")
        lines.append(f"CMS record: {submission.record_id}")
        lines.extend(_date_lines(submission))
        text = clip("\n".join(lines), MAX_TEXT)
        blocks.append(_section(text))
        blocks += correct_blocks(submission.id)
        return {"text": text, "blocks": blocks}
    if submission.state is State.REJECTED:
        lines = [":x: The CMS refused this record:"]
        for field, messages in (submission.errors or {}).items():
            if not field:  # reasons that name no field (a list or a string of them)
                lines.extend(f"• {_cms(message)}" for message in messages)
                continue
            label = FIELD_LABELS.get(field, field)
            lines.append(f"• *{escape(label)}*: {_cms(' '.join(messages))}")
        if not submission.errors:
            lines.append(_cms(submission.reason or "It gave no reason."))
    elif submission.state is State.NOT_FOUND:
        lines = [
            f":x: Contact {submission.contact_id} was not found in the CMS. "
            "Check the number, or search for the person by name."
        ]
    elif submission.state is State.FAILED:
        lines = [
            ":warning: This was not recorded: " + _cms(submission.reason or "an error occurred."),
            "Nothing you typed is lost: try again, or open the form again to change it.",
        ]
    else:
        return retry_notice(submission)
    text = clip("\n".join(lines), MAX_TEXT)
    blocks = [_section(text), _buttons(submission)]
    return {"text": text, "blocks": blocks}


def retry_notice(submission: Submission) -> Message:
    """Said once when the CMS does not answer and the bot will try again by itself."""
    text = (
        ":hourglass_flowing_sand: The CMS is not answering right now ("
        + _cms(submission.reason or "no answer")
        + "). I'll keep trying and reply here with the result."
    )
    return {"text": text, "blocks": [_section(text)]}


def direct_message(
    outcome: Message, *, channel_id: str | None, problem: str, subject: str | None = None
) -> Message:
    """`outcome` sent to the person directly when the channel could not be used."""
    where = f" in <#{escape(channel_id)}>" if channel_id else ""
    of = f" of {subject}" if subject else ""
    intro = f"I couldn't post{where} ({escape(problem)}), so here is the result{of}."
    return {
        "text": intro + "\n" + outcome["text"],
        "blocks": [_context(intro), *outcome["blocks"]],
    }


# --- a whole session ---------------------------------------------------------------------------

_ICONS = {
    State.RECORDED: ":white_check_mark:",
    State.REJECTED: ":x:",
    State.NOT_FOUND: ":x:",
    State.FAILED: ":warning:",
}


def _person(submission: Submission, names: Mapping[int, str]) -> str:
    """How a session's summary names the person: the label their match was shown with, else
    the name last seen (`contact_shown`)."""
    name = names.get(submission.contact_id)
    return clip(escape(name), 200) if name else contact_shown(submission)


def batch_message(
    *,
    user_id: str | None,
    course_name: str | None,
    course_id: int,
    submissions: Sequence[Submission],
) -> Message:
    """The one message about a batch, updated as it goes: how many are done, and how."""
    who = f"<@{escape(user_id)}>" if user_id else "Someone"
    course = f"*{escape(course_name)}*" if course_name else f"course {course_id}"
    total = len(submissions)
    done = [s for s in submissions if s.state.final]
    counts = {
        label: sum(1 for s in done if s.state is state)
        for state, label in (
            (State.RECORDED, "recorded"),
            (State.REJECTED, "refused by the CMS"),
            (State.NOT_FOUND, "not found"),
            (State.FAILED, "not recorded"),
        )
    }
    tally = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
    if len(done) < total:
        status = f":hourglass_flowing_sand: {len(done)} of {total} done" + (
            f" ({tally})" if tally else ""
        )
    elif counts["recorded"] == total:
        status = f":white_check_mark: all {total} recorded"
    else:
        status = f":warning: finished: {tally}; see the thread"
    text = f"{who} is recording {course} for {total} people: {status}"
    return {"text": text, "blocks": [_section(text)]}


def batch_summary(submissions: Sequence[Submission], names: Mapping[int, str]) -> Message:
    """The final reply in a batch's thread: each person's outcome."""
    lines = []
    for s in submissions:
        icon = _ICONS.get(s.state, ":grey_question:")
        if s.state is State.RECORDED:
            outcome = f"CMS record {s.record_id}"
        elif s.state is State.REJECTED:
            outcome = "; ".join(
                f"{FIELD_LABELS.get(k, k)}: {' '.join(v)}" if k else " ".join(v)
                for k, v in (s.errors or {}).items()
            ) or (s.reason or "refused")
            outcome = escape(outcome)
        elif s.state is State.NOT_FOUND:
            outcome = "not found in the CMS"
        else:
            outcome = escape(s.reason or s.state.value)
        lines.append(f"{icon} {_person(s, names)}: {outcome}")
    recorded = sum(1 for s in submissions if s.state is State.RECORDED)
    heading = f"Done: {recorded} of {len(submissions)} recorded."
    blocks: list[dict[str, Any]] = []
    chunk = heading
    for line in lines:
        if len(chunk) + len(line) + 1 > 2900:
            blocks.append(_section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    blocks.append(_section(chunk))
    blocks += session_correct_blocks(submissions, names)
    if any(s.state is State.FAILED for s in submissions):
        blocks.append(
            _context(
                "Those not recorded can be tried again from the App Home tab or with a new form."
            )
        )
    return {"text": heading + "\n" + "\n".join(lines), "blocks": blocks[:50]}


# --- correcting a record -----------------------------------------------------------------------


def correct_button(submission_id: int, text: str = "Correct this record") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": CORRECT_ACTION,
        "text": {"type": "plain_text", "text": plain(text, 75)},
        "value": str(submission_id),
    }


def correct_blocks(submission_id: int) -> list[dict[str, Any]]:
    """The "Correct this record" button, and how a record made by mistake is removed."""
    return [
        {
            "type": "actions",
            "block_id": "correct_actions",
            "elements": [correct_button(submission_id)],
        },
        _context(MISTAKE),
    ]


def session_correct_blocks(
    submissions: Sequence[Submission], names: Mapping[int, str]
) -> list[dict[str, Any]]:
    """A "Correct" button for each person of a session whose record was made (five to a
    row), then the mistake line; at most 20 rows (Slack allows 50 blocks a message)."""
    recorded = [s for s in submissions if s.state is State.RECORDED]
    if not recorded:
        return []
    rows: list[dict[str, Any]] = []
    for start in range(0, min(len(recorded), 100), 5):
        buttons = [
            correct_button(
                s.id,
                "Correct " + (names.get(s.contact_id) or person(s.contact_name, s.contact_id)),
            )
            for s in recorded[start : start + 5]
        ]
        rows.append({"type": "actions", "block_id": f"correct_{start}", "elements": buttons})
    return [*rows, _context(MISTAKE)]


def _changes_text(lines: Sequence[str]) -> str:
    return escape("; ".join(lines))


def correction_message(correction: Correction) -> Message:
    """The reply in the record's thread about a correction: what changed, and who changed it;
    or why nothing was sent."""
    who = f"<@{escape(correction.user_id)}>" if correction.user_id else "someone"
    record = f"CMS record {correction.record_id}"
    state = correction.state
    buttons = correct_blocks(correction.submission_id) if correction.submission_id else []
    if state is CorrectionState.CORRECTED:
        after = correction.after or {}
        what = _changes_text(describe_changes(correction.before, after))
        lines = [
            f":pencil2: Corrected {record}: {what}"
            if changed_fields(correction.before, after)
            else f":pencil2: Corrected {record}: it already held these values.",
            f"Corrected by {who}.",
        ]
    elif state is CorrectionState.UNCHANGED:
        lines = [
            f"Nothing to correct in {record}: the form held what the CMS has, so nothing was sent."
        ]
        buttons = []
    elif state is CorrectionState.CONFLICT:
        meanwhile = correction.meanwhile or {}
        lines = [
            f":warning: {record} was changed in the CMS after {who} opened the form: "
            f"{_changes_text(describe_changes(correction.before, meanwhile))}.",
            "The correction was not sent ("
            + _changes_text(describe_wanted(correction.before, correction.changes))
            + "), so nothing was overwritten. Open the form again to correct it from what "
            "the CMS holds now.",
        ]
    elif state is CorrectionState.REJECTED:
        lines = [f":x: The CMS refused the correction of {record}:"]
        for field, messages in (correction.errors or {}).items():
            label = FIELD_LABELS.get(field, field)
            lines.append(f"• *{escape(label)}*: {_cms(' '.join(messages))}")
        if not correction.errors:
            lines.append(_cms(correction.reason or "It gave no reason."))
    elif state is CorrectionState.NOT_FOUND:
        lines = [f":x: {_cms(correction.reason or record + ' was not found in the CMS.')}"]
        buttons = []
    elif state is CorrectionState.FAILED:
        lines = [
            f":warning: {record} was not corrected: "
            + _cms(correction.reason or "an error occurred.")
        ]
    else:
        lines = [
            ":hourglass_flowing_sand: The CMS is not answering right now ("
            + _cms(correction.reason or "no answer")
            + f"). I'll keep trying to correct {record} and reply here."
        ]
        buttons = []
    text = clip("\n".join(lines), MAX_TEXT)
    return {"text": text, "blocks": [_section(text), *buttons]}
