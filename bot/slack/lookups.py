"""What the CMS already knows, asked before a submission is accepted (issue 14): whether
the contact exists, and whether the CMS already holds the same record. Both answer from the
contact book (`bot.people.ContactBook`) within a bounded wait, so the 3-second ack holds
whatever the CMS does; when the CMS cannot tell in time, the submission goes ahead (the
CMS's own answer, a 404 or the record, is what the reply then shows)."""

from __future__ import annotations

import datetime as dt

from bot.people import Card, ContactBook, contact_line, describe_record, same_record
from bot.submission import Checked

__all__ = ["SUBMIT_WAIT", "held_by_cms", "unknown_contact"]

#: Longest wait for the CMS while answering a submission (Slack allows 3 seconds in all).
SUBMIT_WAIT = 1.2


def _card(book: ContactBook | None, checked: Checked, *, records: bool) -> Card | None:
    if book is None or checked.contact_id <= 0:
        return None
    return book.card_within(checked.contact_id, SUBMIT_WAIT, records=records)


def unknown_contact(book: ContactBook | None, checked: Checked) -> dict[str, str] | None:
    """`{"contact_id": message}` when the CMS says it has no such contact, else None."""
    card = _card(book, checked, records=False)
    if card is None or card.status != "unknown":
        return None
    return {"contact_id": contact_line(card) + " Check the number, or search by name."}


def held_by_cms(book: ContactBook | None, checked: Checked, today: dt.date) -> str | None:
    """How the CMS's record of the same course on the same day reads, if it holds one."""
    card = _card(book, checked, records=True)
    if card is None or card.records is None:
        return None
    found = same_record(card.records, checked.record)
    if found is None:
        return None
    who = card.name or f"contact {checked.contact_id}"
    return (
        f"The CMS already holds this for {who}: {describe_record(found, today)} "
        f"(CMS record {found.id})."
    )
