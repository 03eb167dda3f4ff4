"""Turning what a person typed into a canonical string of tokens.

`normalise("Thurs 3rd of Febuary, 2025.")` is `"thursday 3 february 2025"`: lower case, single
spaces, no ordinals or filler words, abbreviations and common misspellings mapped to one
spelling, number words as digits, units singular. The rules in `_rules` match against that.

Before that, `visible` takes away what a person does not see or does not mean as part of the
date: zero-width characters, odd spaces (NFKC also turns full-width digits into digits),
Slack decoration (`:shortcode:`, emoji, `*bold*`, `_italic_`, `` `code` ``). Leading words
that only restate the field ("booked", "done on", "it was", "expires") are dropped.

A few canonical tokens carry what the rules must know: `~25` is a year typed `'25`, and
`mthormin` is a lone `m` after a number (`5m`: minutes or months?), which is refused.

Misspellings are corrected only within one edit (a change, an insertion, a deletion or a swap
of neighbours) of exactly one word of a closed vocabulary: months, weekdays, units, the church
days. A handful of common misspellings two edits away ("tommorow", "Wedsday") are aliases.
Our few lines suffice: with a vocabulary this small a library (rapidfuzz, jellyfish) would
add a dependency for no gain in speed or safety.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.dates._calendar import MONTHS, WEEKDAYS

UNITS = ("day", "week", "fortnight", "month", "year", "hour", "minute", "mthormin")

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
    "wedsday": "wednesday",
    "wednsday": "wednesday",
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
    "hours": "hour",
    "hrs": "hour",
    "hr": "hour",
    "minutes": "minute",
    "mins": "minute",
    "min": "minute",
    # relative words
    "yday": "yesterday",
    "yest": "yesterday",
    "tmrw": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "tomorow": "tomorrow",
    "todays": "today",
    "xmas": "christmas",
    "hol": "holiday",
    "hols": "holiday",
    "whitsunday": "whit sunday",
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
_UNIT_LETTERS = {"d": "day", "w": "week", "m": "mthormin", "y": "year", "h": "hour"}

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

#: The church days' words that fuzzy matching corrects towards (five letters or more).
FEAST_WORDS = (
    "easter",
    "christmas",
    "ascension",
    "pentecost",
    "whitsun",
    "trinity",
    "michaelmas",
    "candlemas",
    "epiphany",
    "maundy",
    "shrove",
    "pancake",
    "mothering",
    "remembrance",
    "advent",
    "boxing",
    "saints",
    "holiday",
)
#: Spellings that fuzzy matching corrects towards (anywhere in the text).
_FUZZY_TARGETS = (*MONTHS, *WEEKDAYS, "yesterday", "tomorrow", "today", "fortnight", *FEAST_WORDS)
#: Three-letter words are only corrected by a swap of neighbours, and only to "may" ("Mya").
_SHORT_TARGETS = ("may",)
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
#: Leading words that only restate the field: "booked 10/07/2026", "it was last Friday".
_RESTATING = frozenset(
    {
        "booked",
        "done",
        "completed",
        "attended",
        "finished",
        "held",
        "expires",
        "expire",
        "expiring",
        "expiry",
        "renew",
        "renewal",
        "renewable",
        "due",
        "date",
        "it",
        "was",
        "on",
        "at",
        "-",
        ":",
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
        "`": " ",
        "*": " ",
        "_": " ",
        "~": " ",
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
#: Slack's `:shortcode:` (`:+1:`, `:calendar:`), never a time's `:30:`.
_SHORTCODE = re.compile(r":(?![0-9]+:)[a-z0-9_+'-]+:", re.ASCII | re.IGNORECASE)
#: A letter O typed for a zero inside a number ("2O25", "1O/O3/2025").
_O_FOR_ZERO = re.compile(r"(?<![a-z])(?=[0-9o]*[0-9])(?=[0-9]*o)[0-9o]+(?![a-z])", _A)
_DOUBLED_SEP = re.compile(r"(?<=[0-9])([/.-])\1+(?=[0-9])", _A)
#: ISO 8601 durations: "P3Y", "P1Y6M", "P2W".
_ISO_DURATION = re.compile(r"\bp((?:[0-9]{1,3}[ymwd])+)\b", _A)
_ISO_PART = re.compile(r"([0-9]{1,3})([ymwd])", _A)
_ISO_UNITS = {"y": "year", "m": "month", "w": "week", "d": "day"}
#: Characters a person does not see: zero-width spaces and joiners, the byte-order mark.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0e\ufe0f")
#: "three (3) years": a number word and the same number in brackets.
_REPEATED_NUMBER = re.compile(r"\b([0-9]+) \1(?= [a-z])", _A)
_HALF_FORMS = (
    (re.compile(r"\b([0-9]{1,3})\.5 year\b", _A), lambda m: _years_and_months(m[1], 6)),
    (re.compile(r"\b([0-9]{1,3})\.25 year\b", _A), lambda m: _years_and_months(m[1], 3)),
    (re.compile(r"\b([0-9]{1,3})\.75 year\b", _A), lambda m: _years_and_months(m[1], 9)),
    (re.compile(r"\b([0-9]{1,3}) and a half year\b", _A), lambda m: _years_and_months(m[1], 6)),
    (re.compile(r"\b([0-9]{1,3}) year and a half\b", _A), lambda m: _years_and_months(m[1], 6)),
    (re.compile(r"\bhalf (?:a|1) year\b", _A), lambda m: "6 month"),
    (
        re.compile(r"\b([0-9]{1,3})\.0 (day|week|fortnight|month|year)\b", _A),
        lambda m: f"{m[1]} {m[2]}",
    ),
    (re.compile(r"\b([0-9]{1,4}) hour\b", _A), lambda m: _hours(m[1])),
)


def _years_and_months(years: str, months: int) -> str:
    return f"{years} year and {months} month" if int(years) else f"{months} month"


def _hours(hours: str) -> str:
    """Whole days only: "48 hours" is 2 days; "36 hours" stays hours and is refused."""
    n = int(hours)
    return f"{n // 24} day" if n and n % 24 == 0 else f"{n} hour"


def visible(text: str) -> str:
    """`text` as the person sees it: no invisible characters, odd spaces as plain spaces."""
    out = []
    for ch in text:
        if ch in _INVISIBLE:
            continue
        if ch.isspace() or not ch.isprintable():
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


_MARKUP = str.maketrans({"*": " ", "_": " ", "`": " ", "~": " "})


def tidy(text: str) -> str:
    """`text` for the brackets of a reading: as typed, without decoration or restating words."""
    words = visible(_undecorate(text).translate(_MARKUP)).split()
    while words and words[0].lower() in _RESTATING:
        words.pop(0)
    return " ".join(words).rstrip(".!")


def _undecorate(text: str) -> str:
    """NFKC (full-width digits, odd spaces), no emoji, Slack shortcodes or invisible marks."""
    s = unicodedata.normalize("NFKC", text)
    s = _SHORTCODE.sub(" ", s)
    out = []
    for ch in s:
        if ch in _INVISIBLE:
            continue
        if ch.isascii():
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "So" or category == "Sk" or category.startswith("C"):
            out.append(" ")  # emoji, pictographs, skin tones, other controls
        else:
            out.append(ch)
    return "".join(out)


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
    """The one target within one edit of `word` (a word of 4+ letters), if unique.

    A three-letter word is only corrected by swapping two neighbours, to a 3-letter target.
    """
    if len(word) == 3:
        swaps = {word[1] + word[0] + word[2], word[0] + word[2] + word[1]}
        found = [t for t in _SHORT_TARGETS if t in swaps]
        return found[0] if len(found) == 1 else None
    if len(word) < 4:
        return None
    limit = 1
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
    if len(word) < 4:
        return None
    closest = _closest(word, _FUZZY_UNITS) or _closest(word, _FUZZY_PLURALS)
    return closest.removesuffix("s") if closest else None


def _split(text: str) -> list[str]:
    s = _undecorate(text).translate(_TRANSLATE).lower()
    s = _O_FOR_ZERO.sub(lambda m: m[0].replace("o", "0"), s)
    s = _DOUBLED_SEP.sub(r"\1", s)  # "12//03/2025"
    s = _SPACED_SLASH.sub("/", s)  # "12 / 03 / 2025"
    s = _ISO_DURATION.sub(
        lambda m: " ".join(f"{n} {_ISO_UNITS[u]}" for n, u in _ISO_PART.findall(m[1])), s
    )
    s = _SHORT_YEAR.sub(r" ~\1", s)  # "Mar '25" is March 2025, not 25 March
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


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """The canonical token string for `text` (see the module docstring)."""
    raw = _split(text.strip().rstrip(".!").strip())
    while raw and raw[0] in _RESTATING:
        raw.pop(0)
    while raw and raw[-1] in (".", "!"):
        raw.pop()
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
    s = " ".join(str(_NUMBER_WORDS[t]) if t in _TENS else t for t in out)
    s = _REPEATED_NUMBER.sub(r"\1", s)
    for pattern, replace in _HALF_FORMS:
        s = pattern.sub(replace, s)
    return s.rstrip(" .")


_SAID_AS_DAY = re.compile(
    r"[0-9] ?(?:st|nd|rd|th)\b|\bthe\b|\b(?:" + "|".join(_ORDINAL_WORDS) + r"|thirtieth)\b",
    re.IGNORECASE,
)


def said_as_day(text: str) -> bool:
    """Whether a number in `text` was said as a day: "the 25", "25th", "the twelfth"."""
    return _SAID_AS_DAY.search(unicodedata.normalize("NFKC", text)) is not None
