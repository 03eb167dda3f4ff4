"""What the CMS already knows, asked before a submission is accepted (issue 14): whether
the contact exists, and whether the CMS already holds the same record. Both answer from the
contact book (`bot.people.ContactBook`) within a bounded wait, so the 3-second ack holds
whatever the CMS does; when the CMS cannot tell in time, the submission goes ahead (the
CMS's own answer, a 404 or the record, is what the reply then shows)."""

from __future__ import annotations

import datetime as dt

from bot.people import Card, ContactBook, contact_line, describe_record, same_record
from bot.submission import Checked

__all__ = ["SUBMIT_WAIT", "card_for", "held_by_cms", "unknown_contact"]

#: Longest wait for the CMS while answering a submission (Slack allows 3 seconds in all).
SUBMIT_WAIT = 1.2


def card_for(book: ContactBook | None, checked: Checked) -> Card | None:
    """The contact and their records, waiting for the CMS at most `SUBMIT_WAIT` seconds
    once (what is not known by then is not asked about)."""
    if book is None or checked.contact_id <= 0:
        return None
    return book.card_within(checked.contact_id, SUBMIT_WAIT, records=True)


def unknown_contact(card: Card | None) -> dict[str, str] | None:
    """`{"contact_id": message}` when the CMS says it has no such contact, else None."""
    if card is None or card.status != "unknown":
        return None
    return {"contact_id": contact_line(card) + " Check the number, or search by name."}


def held_by_cms(card: Card | None, checked: Checked, today: dt.date) -> str | None:
    """How the CMS's record of the same course on the same day reads, if it holds one."""
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
