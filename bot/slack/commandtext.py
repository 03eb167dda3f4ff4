"""Split the text typed after ``/record-course`` into what can pre-fill the form.

The text is what a person would say: ``1042 foundations completed yesterday expires 3 years``
or ``contact 1042 course 3 booked 12/03/2025 attended last tuesday``. This module only splits
it: it reads no dates (`bot.dates` does, when the form is submitted) and looks nothing up (the
listener matches a course name against the catalogue). Nothing here is an error: whatever
cannot be placed is kept in `CommandPrefill.leftover`, and the person sees and corrects the
form anyway.

The rules, in order:

- Field words start a field and take every word up to the next field word:
  ``contact``, ``course``, ``qualification`` (or ``qual``), and the date words ``booked``,
  ``attended``, ``completed``, ``expires`` / ``expiry`` / ``expiring`` / ``expire``.
  A colon or equals sign may follow (``completed: yesterday``, ``expires=3y``).
- After ``contact``, ``course`` or ``qualification``, a number is the id and what follows it
  is read as free text; any other words are the name (``course safeguarding foundations``).
- A date word takes the words after it as they are (``completed last tuesday``), without a
  leading ``on`` (``completed on 12/03/2025``).
- Free text (before any field word, or after an id): a bare number (``1042`` or ``#1042``)
  at the start or the end is the contact id (one in the middle of words belongs to the name:
  ``level 2 safeguarding``); the other words are the course name. Date-like tokens
  (``12/03/2025``) with no date word before them, and Slack markup (``<!channel>``), cannot
  be placed.
- ``for`` followed by a number gives the contact anywhere, even after a date
  (``foundations completed yesterday for 1042``).
- A field given twice keeps its first value; the repeat goes to `leftover`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot import fields

__all__ = [
    "DATE_WORDS",
    "MAX_TEXT_LENGTH",
    "CommandPrefill",
    "parse_command_text",
]

#: Text beyond this many characters is ignored (Slack allows 4000 in a slash command).
MAX_TEXT_LENGTH = 2000
#: The longest number taken as an id; longer runs of digits are not ids.
_MAX_ID_DIGITS = 10

#: Words that introduce a date, and the CMS field each one fills.
#: Words that introduce a date, and the CMS field each one fills (from `bot.fields`).
DATE_WORDS: Mapping[str, str] = MappingProxyType(dict(fields.DATE_WORDS))
#: Words that introduce an id, and what each names (``contact``, ``course``, ...).
_ID_WORDS: Mapping[str, str] = MappingProxyType(
    {word: f.kind for f in fields.ALL if f.kind != "date" for word in (f.word, *f.aliases)}
)
_FIELD_WORD = re.compile(r"^([^\W\d_]+)\s*[:=]\s*(.*)$", re.DOTALL)
_NUMBER = re.compile(rf"^#?([0-9]{{1,{_MAX_ID_DIGITS}}})[.,;]?$")
_DATE_LIKE = re.compile(r"^[0-9]{1,4}[/.\-][0-9]{1,2}(?:[/.\-][0-9]{1,4})?[.,;]?$")
_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_TRIM = ",;:= \t"


@dataclass(frozen=True)
class CommandPrefill:
    """What the command text says, as raw text per form field (nothing read or checked)."""

    #: A contact id (digits) when one was given as a number; after the word ``contact``,
    #: whatever followed it (which may be a name).
    contact: str | None = None
    #: A course id (digits) or a course name as typed (``"foundations"``).
    course: str | None = None
    #: A qualification id (digits) or name as typed.
    qualification: str | None = None
    #: CMS date field (``booked_at``, ...) -> the text typed after its word.
    dates: Mapping[str, str] = field(default_factory=dict)
    #: Whatever could not be placed, space-separated in the order typed.
    leftover: str = ""

    @property
    def contact_id(self) -> int | None:
        """`contact` as an id, when it is a number."""
        return _as_id(self.contact)

    @property
    def course_id(self) -> int | None:
        """`course` as an id, when it is a number."""
        return _as_id(self.course)

    @property
    def qualification_id(self) -> int | None:
        """`qualification` as an id, when it is a number."""
        return _as_id(self.qualification)


def parse_command_text(text: str) -> CommandPrefill:
    """Split the text after ``/record-course`` into a `CommandPrefill`. Never raises."""
    return _Parser(_tokens(text)).parse()


def _as_id(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def _tokens(text: str) -> list[str]:
    """Whitespace-separated words, with ``word:value`` split into ``word:`` and ``value``."""
    text = unicodedata.normalize("NFKC", str(text)[:MAX_TEXT_LENGTH])
    text = _CONTROL.sub(" ", text)
    tokens: list[str] = []
    for word in text.split():
        match = _FIELD_WORD.match(word)
        if match and _field_of(match.group(1)) is not None:
            tokens.append(match.group(1))
            if match.group(2):
                tokens.append(match.group(2))
        else:
            tokens.append(word)
    return tokens


def _field_of(word: str) -> str | None:
    key = word.casefold().rstrip(_TRIM)
    return DATE_WORDS.get(key) or _ID_WORDS.get(key)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.ids: dict[str, str] = {}
        self.dates: dict[str, str] = {}
        self.leftover: list[str] = []

    def parse(self) -> CommandPrefill:
        for word, words in self._segments():
            target = _field_of(word) if word else None
            if word.casefold() == "for":  # "for 1042": the contact, wherever it comes
                self._id(word, "contact", words)
            elif target is None:
                self._free(words)
            elif target in DATE_WORDS.values():
                self._date(word, target, words)
            else:
                self._id(word, target, words)
        return CommandPrefill(
            contact=self.ids.get("contact"),
            course=self.ids.get("course"),
            qualification=self.ids.get("qualification"),
            dates=MappingProxyType(dict(self.dates)),
            leftover=" ".join(self.leftover),
        )

    def _segments(self) -> list[tuple[str, list[str]]]:
        """(field word or "", the words after it up to the next field word)."""
        segments: list[tuple[str, list[str]]] = [("", [])]
        for index, token in enumerate(self.tokens):
            following = self.tokens[index + 1] if index + 1 < len(self.tokens) else ""
            if _field_of(token) is not None or (
                token.casefold() == "for" and _NUMBER.match(following)
            ):
                segments.append((token, []))
            else:
                segments[-1][1].append(token)
        return segments

    def _date(self, word: str, target: str, words: list[str]) -> None:
        if words and words[0].casefold() == "on":
            words = words[1:]
        value = " ".join(words).strip(_TRIM)
        if not value or target in self.dates:
            self.leftover.extend([word, *words])
        else:
            self.dates[target] = value

    def _id(self, word: str, target: str, words: list[str]) -> None:
        number = _NUMBER.match(words[0]) if words else None
        if number:
            value, rest = number.group(1), words[1:]
        else:
            value = " ".join(w for w in words if not _MARKUP.search(w)).strip(_TRIM)
            rest = [w for w in words if _MARKUP.search(w)]
        if not value or target in self.ids:
            self.leftover.extend([word, *words])
            return
        self.ids[target] = value
        self._free(rest)

    def _free(self, words: list[str]) -> None:
        """Text with no field word: a bare number is the contact, words the course name."""
        runs: list[list[str]] = []
        run: list[str] = []
        for index, word in enumerate(words):
            number = _NUMBER.match(word)
            last = index == len(words) - 1
            if word.casefold() == "for" and last:
                continue  # "foundations for contact 1042"
            if number and "contact" not in self.ids and (not run or last):
                self.ids["contact"] = number.group(1)
            elif _DATE_LIKE.match(word) or _MARKUP.search(word) or (number and not run):
                self.leftover.append(word)
                if run:
                    runs.append(run)
                    run = []
            else:
                run.append(word)
        if run:
            runs.append(run)
        for words_of_run in runs:
            name = " ".join(words_of_run).strip(_TRIM)
            if name and "course" not in self.ids:
                self.ids["course"] = name
            elif words_of_run:
                self.leftover.extend(words_of_run)
