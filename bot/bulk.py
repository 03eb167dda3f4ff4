"""Recording a whole training session: many contacts, one course, the same dates.

A batch starts from people picked in a list and/or a pasted attendance list (names or
contact numbers, one per line). Each pasted line is matched against the CMS contact search
(`match_attendance`): a number is taken as an id, a name that finds exactly one person is an
exact match, a name that finds several is left for the person to choose, and a name that
finds nobody is reported. Nothing is sent until the person has confirmed the matches; then
each contact becomes an ordinary submission of the core (its own key, so a restart resumes
the rest and nothing is sent twice), tied to the batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.catalogue import contact_label
from bot.cms.models import Contact
from bot.errors import CMSError
from bot.people import Card

#: Most lines read from one pasted list (a training session is rarely larger).
MAX_LINES = 200
#: Longest line kept.
MAX_LINE = 100
#: Most text read from one pasted list (Slack's own limit is 3000 characters).
MAX_TEXT = 200_000
#: Most candidates offered for an ambiguous name.
MAX_CANDIDATES = 10

MatchStatus = Literal["id", "exact", "several", "chosen", "skipped", "not_found", "error"]

_BULLET = re.compile(r"^\s*(?:[-*•·–]+|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\r\n;]+")


@dataclass(frozen=True)
class Match:
    """How one line of an attendance list was matched."""

    line: str
    status: MatchStatus
    contact_id: int | None = None
    label: str = ""
    #: (label, contact id) of each person the name could be, when `status` is "several".
    candidates: tuple[tuple[str, int], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Match:
        return cls(
            line=str(value["line"]),
            status=value["status"],
            contact_id=value.get("contact_id"),
            label=str(value.get("label", "")),
            candidates=tuple((str(a), int(b)) for a, b in value.get("candidates", ())),
        )


def parse_attendance(text: str) -> list[str]:
    """The lines of a pasted list, tidied: bullets and numbering dropped, blanks and repeats
    left out, at most `MAX_LINES`."""
    lines: list[str] = []
    seen: set[str] = set()
    for raw in _SEPARATORS.split(text[:MAX_TEXT]):
        line = " ".join(_BULLET.sub("", raw).split())[:MAX_LINE].strip(" ,")
        if line and line.casefold() not in seen:
            seen.add(line.casefold())
            lines.append(line)
        if len(lines) == MAX_LINES:
            break
    return lines


def _as_id(line: str) -> int | None:
    digits = line.strip().lstrip("#")
    if digits.isascii() and digits.isdigit() and 0 < int(digits) < 2**31:
        return int(digits)
    return None


def _full_names(contact: Contact) -> set[str]:
    surname = (contact.surname or "").casefold()
    names = {contact.display_name.casefold()}
    for first in (contact.forenames, contact.known_as_forenames):
        if first:
            names.add(f"{first.casefold()} {surname}".strip())
            names.add(f"{first.split()[0].casefold()} {surname}".strip())
    return names


def match_line(line: str, search: Callable[[str], Sequence[Contact]]) -> Match:
    """Match one line: a contact number, or a name looked up with `search`."""
    contact_id = _as_id(line)
    if contact_id is not None:
        return Match(line, "id", contact_id, f"Contact #{contact_id}")
    try:
        found = list(search(line))
    except CMSError as exc:
        return Match(line, "error", label=exc.message)
    wanted = " ".join(line.casefold().split())
    exact = [c for c in found if wanted in _full_names(c)]
    if len(exact) == 1 or len(found) == 1:
        person = exact[0] if len(exact) == 1 else found[0]
        return Match(line, "exact", person.id, contact_label(person))
    if not found:
        return Match(line, "not_found")
    candidates = tuple((contact_label(c), c.id) for c in (exact or found)[:MAX_CANDIDATES])
    return Match(line, "several", candidates=candidates)


def match_attendance(
    lines: Iterable[str], search: Callable[[str], Sequence[Contact]]
) -> list[Match]:
    """Match every line of an attendance list, in order."""
    return [match_line(line, search) for line in lines]


def resolve(matches: Sequence[Match], choices: dict[int, int | None]) -> list[Match]:
    """The matches with each ambiguous line settled by the person's choice (by line index):
    the chosen person (their label kept for the summary), or the line left out."""
    resolved = []
    for index, match in enumerate(matches):
        if match.status == "several":
            chosen = choices.get(index)
            label = next((lbl for lbl, cid in match.candidates if cid == chosen), "")
            match = (
                Match(match.line, "chosen", chosen, label, match.candidates)
                if chosen is not None and label
                else Match(match.line, "skipped", candidates=match.candidates)
            )
        resolved.append(match)
    return resolved


def chosen_contacts(
    picked: Iterable[int], matches: Iterable[Match], choices: dict[int, int | None]
) -> list[int]:
    """The contacts to record: those picked from the list, the lines matched for certain,
    and, for each ambiguous line (by its index), the person chosen (None: skipped).
    In order, each once."""
    contacts: list[int] = []
    for contact_id in picked:
        if contact_id not in contacts:
            contacts.append(contact_id)
    for index, match in enumerate(matches):
        chosen = (
            match.contact_id if match.status in ("id", "exact", "chosen") else choices.get(index)
        )
        if chosen is not None and chosen not in contacts:
            contacts.append(chosen)
    return contacts


def check_numbers(matches: Sequence[Match], who: Callable[[int], Card]) -> list[Match]:
    """The matches with each line that was a contact number looked up (`who`, which may
    ask the CMS): a known contact shown by name, an unknown number reported as not found
    (so it is not recorded), a number the CMS could not be asked about left as it was."""
    checked = []
    for match in matches:
        if match.status == "id" and match.contact_id is not None:
            card = who(match.contact_id)
            if card.status == "unknown":
                match = Match(
                    match.line, "not_found", label=f"the CMS has no contact {match.contact_id}"
                )
            elif card.contact is not None:
                match = Match(match.line, "id", match.contact_id, contact_label(card.contact))
        checked.append(match)
    return checked


def name_in_label(label: str, contact_id: int) -> str | None:
    """The name in a contact's label ("Joan Ellison (#1042), Vicar" -> "Joan Ellison"), or
    None when the label names nobody ("Contact #1042")."""
    name, marker, _ = label.partition(f" (#{contact_id})")
    return name.strip() or None if marker else None
