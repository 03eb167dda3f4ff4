"""Compare our date reader with dateparser on one corpus: accuracy and warm latency.

Run by hand from the repository root: `python bench/bench_dates.py [--rounds N]`.

Contenders, all given the same "today" (dateparser through RELATIVE_BASE, so it is fair):
- ours: `bot.dates.parse_date(text, role=..., today=...)`; a DateError counts as a refusal;
  also timed with its caches of normalised text emptied before every call (unseen text).
- dateparser (defaults): `dateparser.parse(text)`, its date part, None as a refusal.
- dateparser (tuned): the best settings found for this policy (English, DMY, dates preferred
  from the role's side, the 1st for a month, strict parsing off; see `TUNED` and the search
  below, which reports every setting combination tried).

Accuracy is the share of cases whose answer (ISO date, or refusal) is the one the policy
requires. Latency is per call in milliseconds, measured after one untimed warm-up pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dateparser
from date_corpus import CASES

from bot.dates import _text, parse_date, warm_up
from bot.errors import DateError

Reader = Callable[[str, str, dt.date], str | None]


def ours(text: str, role: str, today: dt.date) -> str | None:
    try:
        return parse_date(text, role=role, today=today).isoformat()  # type: ignore[arg-type]
    except DateError:
        return None


def ours_uncached(text: str, role: str, today: dt.date) -> str | None:
    """Ours with the cache of normalised texts emptied before each call: the latency of a
    text never seen before (the corpus repeats each text in every round)."""
    _text.normalise.cache_clear()
    _text.correct_word.cache_clear()
    return ours(text, role, today)


def _base(today: dt.date) -> dt.datetime:
    return dt.datetime.combine(today, dt.time(12))


def plain(text: str, role: str, today: dt.date) -> str | None:
    found = dateparser.parse(text, settings={"RELATIVE_BASE": _base(today)})
    return found.date().isoformat() if found else None


def tuned_reader(**extra: Any) -> Reader:
    def read(text: str, role: str, today: dt.date) -> str | None:
        settings: dict[str, Any] = {
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": role,
            "RELATIVE_BASE": _base(today),
            **extra,
        }
        found = dateparser.parse(text, languages=["en"], settings=settings)
        return found.date().isoformat() if found else None

    return read


#: Setting combinations tried for the tuned contender; the best is reported as "tuned".
SEARCH = {
    "PREFER_DAY_OF_MONTH": ["current", "first"],
    "STRICT_PARSING": [False, True],
    "PREFER_LOCALE_DATE_ORDER": [True, False],
}


def accuracy(
    reader: Reader,
) -> tuple[float, list[tuple[str, str, dt.date, str | None, str | None]]]:
    wrong = []
    for text, role, today, expected in CASES:
        got = reader(text, role, today)
        if got != expected:
            wrong.append((text, role, today, expected, got))
    return 1 - len(wrong) / len(CASES), wrong


def latency(reader: Reader, rounds: int) -> tuple[float, float]:
    for text, role, today, _ in CASES:  # warm
        reader(text, role, today)
    samples = []
    for _ in range(rounds):
        for text, role, today, _ in CASES:
            started = time.perf_counter()
            reader(text, role, today)
            samples.append(time.perf_counter() - started)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples) * 1000, p99 * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the corpus")
    parser.add_argument("--show-wrong", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # dateparser's own deprecation chatter is not measured

    started = time.perf_counter()
    warm_up()
    print(f"corpus: {len(CASES)} cases; warm_up() took {(time.perf_counter() - started):.3f} s")

    print("\nsearch for the tuned settings (accuracy):")
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    for values in itertools.product(*SEARCH.values()):
        extra = dict(zip(SEARCH, values, strict=True))
        score, _ = accuracy(tuned_reader(**extra))
        print(f"  {score:6.1%}  {extra}")
        if score > best[0]:
            best = (score, extra)
    print(f"  best: {best[1]}")

    contenders: list[tuple[str, Reader]] = [
        ("ours (bot.dates.parse_date)", ours),
        ("ours, text caches emptied", ours_uncached),
        ("dateparser, default settings", plain),
        ("dateparser, tuned settings", tuned_reader(**best[1])),
    ]
    n_refuse = sum(1 for case in CASES if case[3] is None)
    print(f"\n{len(CASES) - n_refuse} cases with a date, {n_refuse} the policy refuses")
    header = f"{'contender':32} {'accuracy':>9} {'dates':>7} {'refusals':>9}"
    print(f"{header} {'median ms':>10} {'p99 ms':>8}")
    results = []
    for name, reader in contenders:
        score, wrong = accuracy(reader)
        median, p99 = latency(reader, args.rounds)
        results.append((name, wrong))
        missed_refusals = sum(1 for case in wrong if case[3] is None)
        dates_ok = 1 - (len(wrong) - missed_refusals) / (len(CASES) - n_refuse)
        refusals_ok = 1 - missed_refusals / n_refuse
        row = f"{name:32} {score:9.1%} {dates_ok:7.1%} {refusals_ok:9.1%}"
        print(f"{row} {median:10.3f} {p99:8.3f}")
    for name, wrong in results:
        shown = wrong if args.show_wrong else wrong[:8]
        print(f"\n{name}: {len(wrong)} wrong" + (":" if shown else ""))
        for text, role, today, expected, got in shown:
            print(f"  {text!r:32} {role:6} today {today}  want {expected}  got {got}")
        if len(wrong) > len(shown):
            print(f"  ... ({len(wrong) - len(shown)} more; --show-wrong lists them)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
