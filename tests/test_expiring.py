"""What expires soon: `Store.expiring`, `bot.expiring`, and `python -m bot expiring`."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.expiring import Expiring, expiring, window
from bot.store import State, Store, Submission

TODAY = dt.date(2026, 11, 27)
FOUNDATIONS, LEADERSHIP = 2, 3
NAMES = {FOUNDATIONS: "Safeguarding Foundations", LEADERSHIP: "Safeguarding Leadership"}
_keys = iter(range(1, 10_000))


def add(
    store: Store,
    contact_id: int,
    expires: dt.date | None,
    *,
    course_id: int = FOUNDATIONS,
    state: State = State.RECORDED,
    user_name: str | None = "Jane Admin",
    frontend: str = "slack",
) -> Submission:
    submission, _ = store.create(
        {
            "key": f"test:{next(_keys)}",
            "frontend": frontend,
            "user_id": "U0ADMIN" if user_name else None,
            "user_name": user_name,
            "contact_id": contact_id,
            "course_id": course_id,
            "completed_at": None if expires is None else expires.replace(year=expires.year - 3),
            "expires_at": expires,
            "typed": {},
            "assumed": [],
            "notes": {},
        }
    )
    changes: dict[str, Any] = {"state": state}
    if state is State.RECORDED:
        changes.update(record_id=5000 + submission.id, course_name=NAMES.get(course_id))
    return store.update(submission.id, state.value, **changes)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


# --- the window ------------------------------------------------------------------------------


def test_window_is_today_through_today_plus_n() -> None:
    assert window(TODAY, 90) == (TODAY, dt.date(2027, 2, 25))
    assert window(TODAY, 0) == (TODAY, TODAY)
    with pytest.raises(ValueError, match="days must be"):
        window(TODAY, -1)


# --- the query --------------------------------------------------------------------------------


def test_only_recorded_expiries_inside_the_window_soonest_first(store: Store) -> None:
    yesterday = add(store, 1001, day(-1))
    today = add(store, 1002, day(0))
    last_day = add(store, 1003, day(90))
    add(store, 1004, day(91))
    soon = add(store, 1005, day(10))
    add(store, 1006, None)
    add(store, 1007, day(5), state=State.FAILED)
    add(store, 1008, day(5), state=State.REJECTED)
    add(store, 1009, day(5), state=State.PENDING)
    found = store.expiring(day(0), day(90))
    assert [s.id for s in found] == [today.id, soon.id, last_day.id]
    assert yesterday.id not in {s.id for s in found}


def test_a_renewal_beyond_the_window_hides_the_record_it_renews(store: Store) -> None:
    old = add(store, 1042, day(30))
    add(store, 1042, day(30 + 3 * 365))  # renewed: recorded later, expires in three years
    other_course = add(store, 1042, day(40), course_id=LEADERSHIP)
    other_person = add(store, 1043, day(50))
    found = store.expiring(day(0), day(90))
    assert [s.id for s in found] == [other_course.id, other_person.id]
    assert old.id not in {s.id for s in found}


def test_a_renewal_recorded_before_an_older_record_still_counts(store: Store) -> None:
    # The renewal was entered first, the old certificate afterwards (catching up on paper).
    add(store, 1042, day(1000))
    add(store, 1042, day(20))
    assert store.expiring(day(0), day(90)) == []


def test_one_row_per_person_and_course_the_latest_expiry(store: Store) -> None:
    add(store, 1042, day(20))
    later = add(store, 1042, day(60))
    add(store, 1042, day(60))  # the same expiry recorded twice: the newest shown once
    newest = store.expiring(day(0), day(90))
    assert len(newest) == 1
    assert newest[0].expires_at == later.expires_at
    assert newest[0].id == later.id + 1


def test_a_failed_renewal_does_not_hide_anything(store: Store) -> None:
    old = add(store, 1042, day(30))
    add(store, 1042, day(1000), state=State.FAILED)
    assert [s.id for s in store.expiring(day(0), day(90))] == [old.id]


def test_expiring_rows(store: Store) -> None:
    add(store, 1042, day(4))
    add(store, 1050, day(0), course_id=99, user_name=None, frontend="cli")
    first, second = expiring(store, today=TODAY, days=90)
    assert first == Expiring(
        submission_id=2,
        contact_id=1050,
        course_id=99,
        course_name=None,
        expires_at=TODAY,
        days_left=0,
        record_id=5002,
        user_id=None,
        user_name=None,
        frontend="cli",
    )
    assert (first.course, first.recorded_by) == ("course 99", "cli")
    assert (second.course, second.recorded_by, second.days_left) == (
        "Safeguarding Foundations",
        "Jane Admin",
        4,
    )
    assert expiring(store, today=TODAY, days=3) == [first]


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def log_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The log `main()` reads; the root logger put back as it was after `main()` set it up."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    path = tmp_path / "log.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield path
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def filled_log(log_path: Path) -> Path:
    with Store(log_path) as store:
        add(store, 1042, day(4))
        renewed = add(store, 1043, day(20), course_id=LEADERSHIP)
        add(store, 1043, day(2000), course_id=LEADERSHIP)
        add(store, 1044, day(60), user_name="<!channel> & co")
        add(store, 1045, day(200))
        assert renewed.id == 2
    return log_path


def test_the_command_lists_the_window_soonest_first(
    filled_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["expiring", "--today", "2026-11-27"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Expiring from 2026-11-27 to 2027-02-25, soonest first:",
        "expires     days  contact  course                               recorded by",
        "2026-12-01     4  1042     Safeguarding Foundations             Jane Admin",
        "2027-01-26    60  1044     Safeguarding Foundations             <!channel> & co",
    ]


def test_the_command_with_days(filled_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["expiring", "--today", "2026-11-27", "--days", "4"]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Expiring from 2026-11-27 to 2026-12-01, soonest first:"
    assert [line.split()[2] for line in lines[2:]] == ["1042"]
    assert cli.main(["expiring", "--today", "2026-11-27", "--days", "3"]) == cli.EXIT_OK
    assert capsys.readouterr().out == "Nothing in the log expires from 2026-11-27 to 2026-11-30.\n"


def test_the_command_as_json(filled_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["expiring", "--today", "2026-11-27", "--days", "365", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {
        "contact_id": 1042,
        "contact_name": None,
        "course_id": 2,
        "course_name": "Safeguarding Foundations",
        "days_left": 4,
        "expires_at": "2026-12-01",
        "record_id": 5001,
        "recorded_by": "Jane Admin",
        "submission_id": 1,
        "user_id": "U0ADMIN",
    }
    assert [(r["contact_id"], r["days_left"]) for r in rows] == [(1042, 4), (1044, 60), (1045, 200)]


def test_the_command_on_an_empty_log_as_json(
    log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["expiring", "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out) == []


def test_the_command_counts_from_today_in_bot_timezone(
    log_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def kiritimati_today() -> dt.date:  # UTC+14: a day ahead of UTC for most of it
        return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=14))).date()

    today = kiritimati_today()
    with Store(log_path) as store:
        add(store, 1042, today)
    monkeypatch.setenv("BOT_TIMEZONE", "Pacific/Kiritimati")
    assert cli.main(["expiring", "--json", "--days", "0"]) == cli.EXIT_OK
    found = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("BOT_TIMEZONE", "Pacific/Pago_Pago")  # UTC-11: a day or two behind
    assert cli.main(["expiring", "--json", "--days", "0"]) == cli.EXIT_OK
    behind = json.loads(capsys.readouterr().out)
    if kiritimati_today() != today:
        pytest.skip("midnight passed in Kiritimati during the test")
    assert [row["days_left"] for row in found] == [0]
    assert behind == []


@pytest.mark.parametrize("days", ["-1", "lots", "99999"])
def test_the_command_refuses_a_bad_number_of_days(
    log_path: Path, capsys: pytest.CaptureFixture[str], days: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["expiring", "--days", days])
    assert exited.value.code == 2
    assert "give a number of days" in capsys.readouterr().err


def test_the_command_is_registered() -> None:
    assert "expiring" in cli.COMMANDS
