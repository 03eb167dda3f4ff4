"""Text from the CMS or from a person, made safe to show: `safe_display`.

A name can be made to read as another with invisible characters: a right-to-left override
(U+202E) turns "Joan Ellison‮nosillE" around, isolates and marks (U+2066–2069, U+200E/F,
U+061C) reorder what follows, zero-width characters (U+200B, U+2060, U+FEFF) and fillers
split or pad a name so that two look alike, and control characters (C0, C1: escape
sequences) move a terminal's cursor. `safe_display` drops all of these (the Unicode "format"
and "control" categories), keeping tabs and newlines, and keeps everything a real name needs:
letters and marks of any script ("Zoë", "Siân", "محمد", "יעקב"), and the zero-width
(non-)joiners where a script joins letters with them (between two letters outside the
Latin, Greek and Cyrillic scripts, as in Persian or Devanagari) or emoji are joined. A
letter carrying more than `MAX_MARKS` combining marks keeps only the first few.

It is applied where text is rendered: `bot.slack.mrkdwn.escape` and `plain` (every message,
view, option label and App Home text), contact labels, and the local console.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_MARKS", "NAME_MAX", "one_line", "person", "safe_display"]

#: Most combining marks kept on one letter (Vietnamese and pointed Hebrew need two or three).
MAX_MARKS = 4
_JOINERS = {"\u200c", "\u200d"}
#: Letters that show nothing, used to pad names (Hangul fillers).
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
_KEEP_CONTROLS = {"\n", "\t"}
_LINE_BREAKS = {"\u2028", "\u2029", "\x85"}
_ALPHABETS = ("LATIN", "GREEK", "CYRILLIC")


def _joins(before: str, after: str) -> bool:
    """Whether a zero-width (non-)joiner between these two characters does a script's work."""
    if not before or not after:
        return False
    if unicodedata.category(before) == "So" or unicodedata.category(after) == "So":
        return True  # emoji sequences
    for char in (before, after):
        if not unicodedata.category(char).startswith(("L", "M")):
            return False
        if unicodedata.name(char, "").startswith(_ALPHABETS):
            return False
    return True


def _shown(char: str) -> bool:
    """Whether `char` is kept as itself (not dropped, and not a joiner deciding later)."""
    category = unicodedata.category(char)
    return category not in ("Cc", "Cf", "Cs") and char not in _INVISIBLE_LETTERS


def safe_display(text: str) -> str:
    """`text` without bidirectional controls, invisible format characters and control
    characters (tabs and newlines kept, other line breaks made spaces). Cleaning what it
    returns changes nothing."""
    if text.isascii() and text.isprintable():
        return text  # the common case, at once
    # Dropping a character can let its neighbours compose (NFC) into something a joiner
    # no longer joins: clean until nothing changes (twice, or rarely three times).
    cleaned = _clean(text)
    for _ in range(3):
        again = _clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    marks = 0
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if char in _LINE_BREAKS:
            out.append(" ")
            marks = 0
            continue
        if category == "Cc":
            if char in _KEEP_CONTROLS:
                out.append(char)
            elif char == "\r":
                continue
            marks = 0
            continue
        if category == "Cf" or category == "Cs" or char in _INVISIBLE_LETTERS:
            after = next((c for c in text[index + 1 :] if _shown(c)), "")
            if char in _JOINERS and out and _joins(out[-1], after):
                out.append(char)
            continue
        if category.startswith("M"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))  # what was split may now compose


#: Longest name shown in one line (a contact's or a course's name as last seen).
NAME_MAX = 80


def one_line(text: str, limit: int = NAME_MAX) -> str:
    """`text` made safe (`safe_display`), on one line (any run of whitespace, newlines
    included, made one space) and cut to `limit` characters, ending in "…" when cut. For
    names put into a sentence or a row: a name cannot start a line of its own."""
    text = " ".join(safe_display(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def person(name: str | None, contact_id: int) -> str:
    """A contact as shown to people: "Joan Ellison (#1042)" when a name is known, else
    "contact 1042" (plain text: escape it for mrkdwn)."""
    shown = one_line(name) if name else ""
    return f"{shown} (#{contact_id})" if shown else f"contact {contact_id}"
