"""Who a contact is, and what the CMS already holds for them: display lookups that never
slow the writes.

`ContactBook` looks a contact up by number (`GET /v2/contacts/{id}`) and lists their course
records (`GET /v2/contacts/{id}/courses`), caching both for a few minutes (forgotten when the
bot writes for that contact). These calls are for display only, so they share the CMS's
60-calls-a-minute budget politely: at most `per_minute` of them a minute, and none when the
client says the budget is tight (`CMSClient.spare_budget`); then the card says it could not
look. Lookups run on the book's own threads: a caller that must answer quickly uses
`card_within`, which waits a bounded time and otherwise answers from what is known.

The pure functions (`contact_line`, `record_lines`, `same_record`) turn a card into words.
Nothing here knows Slack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Literal

from bot.cms.client import CMSClient
from bot.cms.models import Contact, CourseRecord, NewCourseRecord
from bot.dates._calendar import long_date
from bot.errors import CMSError, CMSNotFound

log = logging.getLogger(__name__)

__all__ = [
    "Card",
    "ContactBook",
    "contact_line",
    "describe_record",
    "record_lines",
    "same_record",
]

#: How long a contact and their records are kept (seconds).
TTL = 300.0
#: How long "the CMS has no such contact" is kept (a contact may be added meanwhile).
UNKNOWN_TTL = 60.0
#: Display calls a minute, at most (the CMS allows 60 for everything).
PER_MINUTE = 20
#: Calls of the window left for writes: below this, display lookups are skipped.
KEEP_FOR_WRITES = 30
#: Course records shown under the contact.
SHOWN_RECORDS = 5

Status = Literal["found", "unknown", "unchecked"]


@dataclass(frozen=True)
class Card:
    """A contact as far as the bot could tell: found (with `contact`), unknown to the CMS,
    or unchecked (the CMS could not be asked, or not in time). `records` is None when they
    could not be looked up."""

    contact_id: int
    status: Status
    contact: Contact | None = None
    records: tuple[CourseRecord, ...] | None = None

    @property
    def name(self) -> str | None:
        return self.contact.display_name if self.contact is not None else None


class ContactBook:
    """Cached, budgeted lookups of contacts and their course records."""

    def __init__(
        self,
        cms: CMSClient,
        *,
        ttl: float = TTL,
        per_minute: int = PER_MINUTE,
        keep_for_writes: int = KEEP_FOR_WRITES,
        clock: Callable[[], float] = time.monotonic,
        remember: Callable[[Iterable[CourseRecord]], None] | None = None,
        threads: int = 2,
    ) -> None:
        self._cms = cms
        self._ttl = ttl
        self._per_minute = per_minute
        self._keep = keep_for_writes
        self._clock = clock
        self._remember = remember
        self._lock = threading.Lock()
        self._contacts: dict[int, tuple[float, Contact | None]] = {}
        self._records: dict[int, tuple[float, tuple[CourseRecord, ...]]] = {}
        self._calls: deque[float] = deque()
        self._pending: dict[tuple[int, bool], Future[Card]] = {}
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="contact-book")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- what is known, at once ---------------------------------------------------------------

    def cached(self, contact_id: int) -> Card:
        """The card from memory only (never the CMS)."""
        with self._lock:
            now = self._clock()
            contact = self._fresh_contact(contact_id, now)
            records = self._records.get(contact_id)
            held = records[1] if records and now - records[0] < self._ttl else None
        if contact is None:
            return Card(contact_id, "unchecked", records=held)
        found, who = contact
        if not found:
            return Card(contact_id, "unknown")
        return Card(contact_id, "found", who, held)

    def _fresh_contact(self, contact_id: int, now: float) -> tuple[bool, Contact | None] | None:
        entry = self._contacts.get(contact_id)
        if entry is None:
            return None
        at, who = entry
        if now - at >= (self._ttl if who is not None else UNKNOWN_TTL):
            return None
        return who is not None, who

    def name_of(self, contact_id: int) -> str | None:
        """The contact's name if it is held, at once (never waits for the CMS); when it is
        not, a lookup is started on the book's own threads (budget permitting), so the name
        is known next time."""
        card = self.cached(contact_id)
        if card.status == "unchecked" and contact_id > 0:
            with contextlib.suppress(RuntimeError):  # shut down
                self.lookup(contact_id, records=False)
        return card.name

    def forget(self, contact_id: int) -> None:
        """Drop what is held for the contact (the bot just wrote for them)."""
        with self._lock:
            self._records.pop(contact_id, None)

    def note(self, contact: Contact) -> None:
        """Keep a contact seen elsewhere (a search result), as if looked up."""
        with self._lock:
            self._contacts[contact.id] = (self._clock(), contact)

    # --- asking the CMS -----------------------------------------------------------------------

    def _may_call(self) -> bool:
        """Book one display call if the budget allows it."""
        with self._lock:
            now = self._clock()
            while self._calls and now - self._calls[0] >= 60.0:
                self._calls.popleft()
            if len(self._calls) >= self._per_minute:
                return False
            if not self._cms.spare_budget(keep=self._keep):
                return False
            self._calls.append(now)
            return True

    def card(self, contact_id: int, *, records: bool = True) -> Card:
        """The card, asking the CMS for what is not held (budget permitting). Blocking: call it
        from a worker, or use `card_within`."""
        held = self.cached(contact_id)
        if held.status == "unknown" or (
            held.status == "found" and (held.records is not None or not records)
        ):
            return held
        contact = held.contact
        if held.status == "unchecked":
            if not self._may_call():
                return held
            try:
                contact = self._cms.get_contact(contact_id)
            except CMSNotFound:
                with self._lock:
                    self._contacts[contact_id] = (self._clock(), None)
                return Card(contact_id, "unknown")
            except CMSError as exc:
                log.info("could not look contact %d up: %s", contact_id, type(exc).__name__)
                return held
            with self._lock:
                self._contacts[contact_id] = (self._clock(), contact)
        if not records or not self._may_call():
            return Card(contact_id, "found", contact, None)
        try:
            found = tuple(self._cms.list_course_records(contact_id))
        except CMSError as exc:
            log.info("could not list contact %d's records: %s", contact_id, type(exc).__name__)
            return Card(contact_id, "found", contact, None)
        with self._lock:
            self._records[contact_id] = (self._clock(), found)
        if self._remember is not None:
            try:
                self._remember(found)
            except Exception:
                log.exception("could not keep the qualifications seen")
        return Card(contact_id, "found", contact, found)

    def lookup(self, contact_id: int, *, records: bool = True) -> Future[Card]:
        """`card` on the book's own threads (one lookup per contact at a time)."""
        key = (contact_id, records)
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                return pending
            future = self._executor.submit(self._card_then_forget_pending, key)
            self._pending[key] = future
        return future

    def _card_then_forget_pending(self, key: tuple[int, bool]) -> Card:
        try:
            return self.card(key[0], records=key[1])
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def card_within(self, contact_id: int, timeout: float, *, records: bool = True) -> Card:
        """The card if it can be had within `timeout` seconds, else what is known."""
        held = self.cached(contact_id)
        if held.status == "unknown" or (
            held.status == "found" and (held.records is not None or not records)
        ):
            return held
        try:
            return self.lookup(contact_id, records=records).result(timeout=timeout)
        except FutureTimeout:
            return self.cached(contact_id)
        except RuntimeError:  # shut down
            return held


# --- words ------------------------------------------------------------------------------------


def contact_line(card: Card) -> str:
    """Who the contact is, in one line (plain text)."""
    if card.status == "unknown":
        return f"The CMS has no contact {card.contact_id} in this diocese."
    if card.contact is None:
        return f"Contact #{card.contact_id}: the CMS could not be asked who this is just now."
    contact = card.contact
    where = ", ".join(part for part in (contact.post, contact.parish) if part)
    line = f"{contact.display_name} (#{contact.id})"
    return f"{line}, {where}" if where else line


def _months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def _expiry_words(expires: dt.date, today: dt.date) -> str:
    if expires < today:
        return "expired"
    if expires == today:
        return "expires today"
    days = (expires - today).days
    if days < 31:
        return f"expires in {days} day{'' if days == 1 else 's'}"
    months = _months_between(today, expires)
    if months < 12:
        return f"expires in {months} month{'' if months == 1 else 's'}"
    return ""


def _newest_first(record: CourseRecord) -> tuple[dt.date, int]:
    day = record.completed_at or record.attended_at or record.booked_at or dt.date.min
    return day, record.id


def describe_record(record: CourseRecord, today: dt.date) -> str:
    """One record in one line: "Safeguarding Foundations: completed 3 March 2025, expires 3
    March 2028 (expires in 3 months)" (plain text)."""
    parts = []
    if record.completed_at:
        parts.append(f"completed {long_date(record.completed_at)}")
    elif record.attended_at:
        parts.append(f"attended {long_date(record.attended_at)}")
    elif record.booked_at:
        parts.append(f"booked {long_date(record.booked_at)}")
    if record.expires_at:
        words = _expiry_words(record.expires_at, today)
        parts.append(f"expires {long_date(record.expires_at)}" + (f" ({words})" if words else ""))
    name = record.course_name or f"Course #{record.course_id}"
    if record.qualification_name:
        name += f" ({record.qualification_name})"
    return f"{name}: {', '.join(parts)}" if parts else name


def record_lines(
    records: Iterable[CourseRecord], today: dt.date, *, limit: int = SHOWN_RECORDS
) -> list[str]:
    """The newest `limit` records, one line each, then "and N more" if there are more."""
    ordered = sorted(records, key=_newest_first, reverse=True)
    lines = [describe_record(r, today) for r in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"and {len(ordered) - limit} more")
    return lines


def same_record(records: Iterable[CourseRecord], record: NewCourseRecord) -> CourseRecord | None:
    """The CMS record for the same course on the same completion date (or, with none given,
    the same attended date), newest first; None when there is none (or no date to compare)."""
    if record.completed_at is not None:
        key, day = "completed_at", record.completed_at
    elif record.attended_at is not None:
        key, day = "attended_at", record.attended_at
    else:
        return None
    matches = [r for r in records if r.course_id == record.course_id and getattr(r, key) == day]
    return max(matches, key=lambda r: r.id) if matches else None
