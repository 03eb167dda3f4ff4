"""The App Home tab: a person's recent submissions, the failures that need them, and the
recorded training that expires in the next 90 days.

`home_view` is a pure function of what it shows, built with `slack_sdk.models` (so Slack's
limits are checked when it is built), every piece of text from people or the CMS escaped,
and each list cut to fit Slack's 100 blocks with an "and N more". `register_home` adds the
`app_home_opened` listener: it answers Bolt at once and publishes the view with
`views.publish` on the bot's own view thread. A person's home is published again when one
of their submissions has an outcome, if they have opened it since the app started (so a
bulk recording costs at most one pending publish per person, not one per record).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.views import View

from bot.correction import MISTAKE, describe_changes
from bot.errors import SlackFailure
from bot.expiring import DEFAULT_DAYS, Expiring, expiring
from bot.fields import FIELD_LABELS
from bot.slack.deps import SlackBot
from bot.slack.messages import CORRECT_ACTION, RETRY_ACTION, contact_shown, human_date
from bot.slack.mrkdwn import clip, escape
from bot.store import Correction, CorrectionState, State, Submission
from bot.text import person

__all__ = [
    "MAX_EXPIRING",
    "MAX_FAILURES",
    "MAX_RECENT",
    "NOT_ALLOWED",
    "HomeTab",
    "home_view",
    "not_allowed_view",
]

log = logging.getLogger(__name__)

#: How many of each list the tab shows (Slack allows 100 blocks in all; these use at most
#: 2 + 3 + 10 + 1 + 3 + 10 + 1 + 3 + 25 + 1 = 59).
MAX_FAILURES = 10
MAX_RECENT = 10
MAX_EXPIRING = 25

#: The home of someone who may not record.
NOT_ALLOWED = (
    "Sorry, you are not on the list of people who may record training with this bot. "
    "Ask your diocesan safeguarding administrator to add you."
)

_SECTION_MAX = 3000
_HEADER_MAX = 150


def _section(
    text: str, accessory: ButtonElement | None = None, block_id: str | None = None
) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, _SECTION_MAX)),
        accessory=accessory,
        block_id=block_id,
    )


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, _SECTION_MAX))])


def _header(text: str, block_id: str | None = None) -> HeaderBlock:
    return HeaderBlock(text=text[:_HEADER_MAX], block_id=block_id)


def _course(submission: Submission, names: Mapping[int, str]) -> str:
    name = submission.course_name or names.get(submission.course_id)
    return f"*{escape(name)}*" if name else f"course {submission.course_id}"


def _when(moment: dt.datetime, today: dt.date, zone: dt.tzinfo) -> str:
    local = moment.astimezone(zone)
    day = local.date()
    if day == today:
        return f"today {local:%H:%M}"
    if day == today - dt.timedelta(days=1):
        return f"yesterday {local:%H:%M}"
    return human_date(day)


def _outcome(submission: Submission) -> str:
    state = submission.state
    if state is State.RECORDED:
        return f":white_check_mark: recorded (CMS record {submission.record_id})"
    if state is State.REJECTED:
        problems = "; ".join(
            f"{FIELD_LABELS.get(field, field)}: {' '.join(messages)}"
            if field
            else " ".join(messages)
            for field, messages in (submission.errors or {}).items()
        )
        return ":x: the CMS refused it: " + escape(problems or submission.reason or "no reason")
    if state is State.NOT_FOUND:
        return ":x: contact not found in the CMS"
    if state is State.FAILED:
        return ":warning: not recorded: " + escape(submission.reason or "an error occurred")
    return ":hourglass_flowing_sand: sending to the CMS…"


def _days_left(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def _more(shown: int, total: int, hint: str = "") -> list[Block]:
    if total <= shown:
        return []
    return [_context(f"…and {total - shown} more{hint}.")]


def home_view(
    *,
    recent: Sequence[Submission],
    failures: Sequence[Submission],
    expiring: Sequence[Expiring],
    today: dt.date,
    zone: dt.tzinfo = dt.UTC,
    days: int = DEFAULT_DAYS,
    course_names: Mapping[int, str] | None = None,
    corrections: Mapping[int, Sequence[Correction]] | None = None,
) -> dict[str, Any]:
    """The App Home of a person who may record.

    `recent`: their latest submissions, newest first; `failures`: their submissions in
    state `failed`, each shown with a retry button; `expiring`: the records in the log that
    expire in the next `days` days (`bot.expiring`). Times are shown in `zone`;
    `course_names` names courses the CMS has not named yet (submissions not yet recorded);
    `corrections`: by submission id, the corrections made to its record (each recorded item
    offers "Correct this record"; no delete is ever offered).
    """
    names = course_names or {}
    blocks: list[Block] = [
        _header("Record Course"),
        _context(
            f"Today is {human_date(today)}. Use `/record-course` in a channel to record "
            "training; the outcome is posted in a thread there. " + MISTAKE
        ),
        _header("Needs your attention", "failures"),
    ]
    for submission in failures[:MAX_FAILURES]:
        text = (
            f"{_course(submission, names)} for {contact_shown(submission)}, "
            f"{_when(submission.created_at, today, zone)}\n{_outcome(submission)}"
        )
        retry = ButtonElement(
            text="Try again",
            action_id=RETRY_ACTION,
            value=str(submission.id),
            style="primary",
        )
        blocks.append(_section(text, retry, f"failure_{submission.id}"))
    if not failures:
        blocks.append(_context("Nothing needs your attention."))
    blocks += _more(MAX_FAILURES, len(failures))

    blocks += [DividerBlock(), _header("Your recent submissions", "recent")]
    for submission in recent[:MAX_RECENT]:
        text = (
            f"{_course(submission, names)} for {contact_shown(submission)}, "
            f"{_when(submission.created_at, today, zone)}\n{_outcome(submission)}"
        )
        blocks.append(_recent_section(submission, text, (corrections or {}).get(submission.id)))
    if not recent:
        blocks.append(_context("You have not recorded anything yet."))
    blocks += _more(MAX_RECENT, len(recent))

    blocks += [DividerBlock(), _header(f"Expiring in the next {days} days", "expiring")]
    for record in expiring[:MAX_EXPIRING]:
        course = f"*{escape(record.course_name)}*" if record.course_name else record.course
        blocks.append(
            _section(
                f"*{human_date(record.expires_at)}* ({_days_left(record.days_left)}): "
                f"{course} for {escape(person(record.contact_name, record.contact_id))}, "
                f"recorded by {escape(record.recorded_by)}"
            )
        )
    if not expiring:
        blocks.append(_context(f"Nothing recorded here expires in the next {days} days."))
    blocks += _more(MAX_EXPIRING, len(expiring), hint=": `python -m bot expiring` lists them all")
    return View(type="home", blocks=blocks).to_dict()


def _recent_section(
    submission: Submission, text: str, corrections: Sequence[Correction] | None
) -> SectionBlock:
    """One recent submission; a recorded one offers "Correct this record" and lists the
    corrections made to it (who, and what changed)."""
    if submission.state is not State.RECORDED:
        return _section(text)
    for correction in corrections or ():
        if correction.state is CorrectionState.CORRECTED and correction.after is not None:
            who = correction.user_name or correction.user_id or correction.frontend
            what = "; ".join(describe_changes(correction.before, correction.after))
            text += f"\n:pencil2: corrected by {escape(who)}: {escape(what or 'no change')}"
    button = ButtonElement(
        text="Correct this record", action_id=CORRECT_ACTION, value=str(submission.id)
    )
    return _section(text, button, f"recent_{submission.id}")


def not_allowed_view() -> dict[str, Any]:
    """The App Home of someone who may not record: nothing from the log."""
    return View(type="home", blocks=[_header("Record Course"), _section(NOT_ALLOWED)]).to_dict()


class HomeTab:
    """Publishes people's App Home views on the bot's view thread, one pending per person."""

    def __init__(self, bot: SlackBot) -> None:
        self._bot = bot
        self._lock = threading.Lock()
        self._opened: set[str] = set()
        self._queued: set[str] = set()

    def opened(self, user_id: str) -> None:
        """`user_id` opened the tab: publish their view, and keep it fresh from now on."""
        with self._lock:
            self._opened.add(user_id)
        self.refresh(user_id)

    def on_outcome(self, submission: Submission) -> None:
        """A recorder listener: refresh the home of the person whose submission ended."""
        user_id = submission.user_id
        if submission.frontend != "slack" or not user_id or not submission.state.final:
            return
        with self._lock:
            if user_id not in self._opened:
                return
        self.refresh(user_id)

    def on_correction(self, correction: Correction) -> None:
        """A corrector listener: refresh the home of whoever corrected, once it is done."""
        if correction.frontend == "slack" and correction.user_id and correction.state.final:
            with self._lock:
                if correction.user_id not in self._opened:
                    return
            self.refresh(correction.user_id)

    def refresh(self, user_id: str) -> None:
        """Publish `user_id`'s view soon, unless a publish for them is already waiting."""
        with self._lock:
            if user_id in self._queued:
                return
            self._queued.add(user_id)
        try:
            self._bot.views.submit(self._publish, user_id)
        except RuntimeError:  # the app is closing
            with self._lock:
                self._queued.discard(user_id)

    def view_for(self, user_id: str) -> dict[str, Any]:
        """What `user_id` sees now."""
        bot = self._bot
        if not bot.permissions.allows(user_id):
            return not_allowed_view()
        store, today = bot.recorder.store, bot.recorder.today()
        recent = store.recent(MAX_RECENT, user_id=user_id)
        failures = [s for s in store.failed(user_id=user_id, limit=1000) if s.frontend == "slack"]
        names = {}
        for course_id in {s.course_id for s in [*recent, *failures] if not s.course_name}:
            if (name := bot.catalogue.name_of(course_id)) is not None:
                names[course_id] = name
        return home_view(
            recent=recent,
            failures=failures,
            expiring=expiring(store, today=today, days=DEFAULT_DAYS),
            today=today,
            zone=bot.recorder.zone,
            course_names=names,
            corrections=bot.recorder.corrections.log.of_submissions([s.id for s in recent]),
        )

    def _publish(self, user_id: str) -> None:
        with self._lock:
            self._queued.discard(user_id)
        try:
            self._bot.client.views_publish(user_id=user_id, view=self.view_for(user_id))
        except SlackFailure as exc:
            log.warning("could not publish the App Home of %s: %s", user_id, exc)
        except Exception:
            log.exception("could not publish the App Home of %s", user_id)
