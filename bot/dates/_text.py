"""Turning what a person typed into a canonical string of tokens.

`normalise("Thurs 3rd of Febuary, 2025.")` is `"thursday 3 february 2025"`: lower case, single
spaces, no ordinals or filler words, abbreviations and common misspellings mapped to one
spelling, number words as digits, units singular. The rules in `_rules` match against that.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.dates._calendar import MONTHS, WEEKDAYS

UNITS = ("day", "week", "fortnight", "month", "year")

_ALIASES: dict[str, str] = {
    # months
    "jan": "january",
    "feb": "february",
    "febr": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
    # weekdays
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "weds": "wednesday",
    "wed": "wednesday",
    "wensday": "wednesday",
    "wenesday": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
    # units
    "days": "day",
    "dys": "day",
    "weeks": "week",
    "wk": "week",
    "wks": "week",
    "fortnights": "fortnight",
    "fortnite": "fortnight",
    "fortnites": "fortnight",
    "months": "month",
    "mo": "month",
    "mos": "month",
    "mth": "month",
    "mths": "month",
    "mnth": "month",
    "mnths": "month",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    # relative words
    "yday": "yesterday",
    "yest": "yesterday",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tomoz": "tomorrow",
    "2day": "today",
    "past": "last",
    "previous": "last",
    "prev": "last",
    "lst": "last",
    "lsat": "last",
    "nxt": "next",
    "coming": "next",
    "tonight": "today",
}
#: Single letters that are units only straight after a number: `3y`, `18 m`, `2w`, `10d`.
_UNIT_LETTERS = {"d": "day", "w": "week", "m": "month", "y": "year"}

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
}
_ORDINAL_WORDS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
)
_NUMBER_WORDS.update({word: n for n, word in enumerate(_ORDINAL_WORDS, start=1)})
_NUMBER_WORDS["thirtieth"] = 30
_TENS = {"twenty", "thirty", "forty", "fifty", "sixty"}

#: Words dropped wherever they stand ("the 3rd of March", "on Monday").
_FILLER = frozenset({"the", "of", "on", "at"})

#: Spellings that fuzzy matching corrects towards (anywhere in the text).
_FUZZY_TARGETS = (*MONTHS, *WEEKDAYS, "yesterday", "tomorrow", "today", "fortnight")
#: Units are only corrected straight after a number, so "yeah" does not become "year".
_FUZZY_UNITS = ("day", "week", "month", "year")
_FUZZY_PLURALS = ("days", "weeks", "months", "years")

#: Every word the rules know; the dateparser fallback only sees text made of these.
VOCABULARY = frozenset(
    {
        *MONTHS,
        *WEEKDAYS,
        *UNITS,
        "yesterday",
        "today",
        "tomorrow",
        "now",
        "ago",
        "in",
        "from",
        "after",
        "before",
        "last",
        "next",
        "this",
        "time",
        "hence",
        "and",
        "am",
        "pm",
        "noon",
        "midday",
        "midnight",
        "oclock",
        "morning",
        "afternoon",
        "evening",
        "night",
        "gmt",
        "bst",
        "utc",
    }
)

_TRANSLATE = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "`": "'",
        "\u00a0": " ",
        ",": " ",
        '"': " ",
        "(": " ",
        ")": " ",
        "[": " ",
        "]": " ",
        "\u201c": " ",
        "\u201d": " ",
    }
)
_A = re.ASCII
_SPACED_SLASH = re.compile(r"(?<=[0-9]) ?/ ?(?=[0-9])", _A)
_SHORT_YEAR = re.compile(r"'([0-9]{2})\b", _A)
_APOSTROPHE = re.compile(r"'")
_THIS_COMING = re.compile(r"\bthis (?:coming|next)\b", _A)
_ISO_T = re.compile(r"([0-9])t([0-9])", _A)
_ORDINAL = re.compile(r"(?<=[0-9])(?:st|nd|rd|th)\b", _A)
_AM_PM = re.compile(r"\b([ap])\.m\b\.?", _A)
_LETTER_DOT = re.compile(r"(?<=[a-z])\.", _A)
_MIXED_SEP = re.compile(r"(?<=[a-z])[/.\-](?=[0-9])|(?<=[0-9])[/.\-](?=[a-z])", _A)
_TENS_HYPHEN = re.compile(r"\b(twenty|thirty|forty|fifty|sixty)-(?=[a-z])", _A)
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])", _A)
_DIGIT_LETTER = re.compile(r"(?<=[0-9])(?=[a-z])|(?<=[a-z])(?=[0-9])", _A)
_PLUS = re.compile(r"\+")


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (edits and adjacent swaps), capped at `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _closest(word: str, targets: tuple[str, ...]) -> str | None:
    """The one target within reach of `word` (1 edit, 2 for words of 8+ letters), if unique."""
    if len(word) < 4:
        return None
    limit = 2 if len(word) >= 8 else 1
    best: list[str] = []
    best_distance = limit + 1
    for target in targets:
        d = _distance(word, target, limit)
        if d < best_distance:
            best, best_distance = [target], d
        elif d == best_distance and d <= limit:
            best.append(target)
    return best[0] if len(best) == 1 else None


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """A single alphabetic token, canonical if we know it, else unchanged."""
    if word in VOCABULARY or word in _FILLER:
        return word
    alias = _ALIASES.get(word)
    if alias is not None:
        return alias
    # "Mondays", "Wednsdays": a repeat, marked so the rules refuse it.
    if word.endswith("days") and len(word) > 5:
        stem = _ALIASES.get(word[:-1]) or _closest(word[:-1], WEEKDAYS)
        if stem in WEEKDAYS or word[:-1] in WEEKDAYS:
            return "every"
    return _closest(word, _FUZZY_TARGETS) or word


@lru_cache(maxsize=256)
def _correct_unit(word: str) -> str | None:
    if word in UNITS:
        return word
    if word in _ALIASES and _ALIASES[word] in UNITS:
        return _ALIASES[word]
    if word in _UNIT_LETTERS:
        return _UNIT_LETTERS[word]
    closest = _closest(word, _FUZZY_UNITS) or _closest(word, _FUZZY_PLURALS)
    return closest.removesuffix("s") if closest else None


def _split(text: str) -> list[str]:
    s = text.translate(_TRANSLATE).lower()
    s = _SPACED_SLASH.sub("/", s)  # "12 / 03 / 2025"
    s = _SHORT_YEAR.sub(r" 20\1", s)  # "Mar '25" is March 2025, not 25 March
    s = _APOSTROPHE.sub("", s)  # "in three years' time", "o'clock"
    s = _THIS_COMING.sub("next", s)  # "this coming Friday"
    s = _ISO_T.sub(r"\1 \2", s)
    s = _ORDINAL.sub("", s)
    s = _AM_PM.sub(r"\1m", s)
    s = _LETTER_DOT.sub(" ", s)
    s = _MIXED_SEP.sub(" ", s)
    s = _TENS_HYPHEN.sub(r"\1 ", s)  # "twenty-first"
    s = _WORD_HYPHEN.sub(" - ", s)
    s = _DIGIT_LETTER.sub(" ", s)
    s = _PLUS.sub(" + ", s)
    return s.split()


def normalise(text: str) -> str:
    """The canonical token string for `text` (see the module docstring)."""
    raw = _split(text.strip().rstrip(".!").strip())
    out: list[str] = []
    for i, tok in enumerate(raw):
        if tok in _FILLER:
            continue
        if out and out[-1].isdigit() and tok.isalpha():
            unit = _correct_unit(tok)
            if unit is not None:
                out.append(unit)
                continue
        if tok.isalpha():
            if tok in _NUMBER_WORDS:
                value = _NUMBER_WORDS[tok]
                if out and out[-1] in _TENS and value < 10:
                    value += _NUMBER_WORDS[out.pop()]
                out.append(str(value) if tok not in _TENS else tok)
                continue
            if tok in {"a", "an"} and i + 1 < len(raw):
                nxt = raw[i + 1]
                if nxt.isalpha() and nxt not in _UNIT_LETTERS and _correct_unit(nxt) is not None:
                    out.append("1")
                    continue
            out.append(correct_word(tok))
        else:
            out.append(tok)
    # A tens word left on its own ("twenty years") is a number too.
    return " ".join(str(_NUMBER_WORDS[t]) if t in _TENS else t for t in out)
