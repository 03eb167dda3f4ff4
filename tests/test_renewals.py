"""Course renewal rules: the file, the lookup, and a blank expiry filled in from them."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.cli import render_outcome
from bot.cms.client import CMSClient
from bot.compose import build_core
from bot.dates import NO_EXPIRY, Period, read_period
from bot.errors import ConfigError, DateError
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.recording import Recorder
from bot.renewals import RenewalRules, load_renewals, parse_renewals, renewals_from_settings
from bot.settings import load_settings
from bot.slack.messages import outcome_message
from bot.store import MIGRATIONS, State, Store
from bot.submission import Origin, Typed, check
from tests.support.cms_fixtures import WALL as NOW
from tests.support.repo import ROOT

TODAY = dt.date(2026, 11, 27)
THREE_YEARS = Period(36, 0, "3 years")

RULES = """
# safeguarding
[courses]
"Safeguarding Foundations" = "3 years"
'safeguarding LEADERSHIP' = "36 months"
6 = "1 year and 6 months"
"""


def rules() -> RenewalRules:
    return parse_renewals(RULES, source="test.toml")


def names(course_id: int) -> str | None:
    return {2: "Safeguarding Foundations", 3: "Safeguarding Leadership", 5: "Reader Ministry"}.get(
        course_id
    )


def typed(course_id: str = "2", **fields: str) -> Typed:
    return Typed(contact_id="1042", course_id=course_id, **fields)


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months", "days", "phrase"),
    [
        ("3 years", 36, 0, "3 years"),
        ("36 months", 36, 0, "36 months"),
        ("3y", 36, 0, "3 years"),
        ("three years", 36, 0, "3 years"),
        ("3 years after completion", 36, 0, "3 years"),
        ("1 year and 6 months", 18, 0, "1 year and 6 months"),
        ("2 weeks", 0, 14, "2 weeks"),
    ],
)
def test_read_period(text: str, months: int, days: int, phrase: str) -> None:
    assert read_period(text) == Period(months, days, phrase)


@pytest.mark.parametrize("text", ["in 3 years", "31/03/2028", "-3 years", "0 years", "soon"])
def test_read_period_refuses_what_is_not_a_length(text: str) -> None:
    with pytest.raises(DateError):
        read_period(text)


def test_period_after_lands_on_the_last_day_of_a_short_month() -> None:
    assert THREE_YEARS.after(dt.date(2024, 2, 29)) == dt.date(2027, 2, 28)
    assert read_period("1 month").after(dt.date(2025, 1, 31)) == dt.date(2025, 2, 28)


# --- the file ---------------------------------------------------------------------------------


def test_rules_by_id_and_by_name_ignoring_case_and_spacing() -> None:
    found = rules()
    assert len(found) == 3
    assert found.period_for(2, "Safeguarding Foundations") == THREE_YEARS
    assert found.period_for(2, "  safeguarding   FOUNDATIONS ") == THREE_YEARS
    assert found.period_for(3, "Safeguarding Leadership") == Period(36, 0, "36 months")
    assert found.period_for(6) == Period(18, 0, "1 year and 6 months")
    assert found.period_for(6, "Anything at all") == Period(18, 0, "1 year and 6 months")
    assert found.period_for(2) is None  # a name rule needs the name
    assert found.period_for(5, "Reader Ministry") is None
    assert found.needs_name(2)
    assert not found.needs_name(6)


def test_an_id_rule_comes_before_a_name_rule() -> None:
    found = parse_renewals('[courses]\n2 = "1 year"\n"Safeguarding Foundations" = "3 years"\n')
    assert found.period_for(2, "Safeguarding Foundations") == Period(12, 0, "1 year")


def test_an_empty_file_or_table_means_no_rules() -> None:
    assert len(parse_renewals("")) == 0
    assert len(parse_renewals("[courses]\n")) == 0
    assert not RenewalRules()


def test_the_shipped_example_has_the_safeguarding_courses_at_three_years() -> None:
    example = load_renewals(ROOT / "renewals.example.toml")
    for course_id, name in [
        (1, "Safeguarding Basic Awareness"),
        (2, "Safeguarding Foundations"),
        (3, "Safeguarding Leadership"),
        (4, "Safeguarding Senior Leadership"),
    ]:
        assert example.period_for(course_id, name) == THREE_YEARS
    assert example.period_for(5, "Reader Ministry") is None
    assert len(example) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[courses]\n"Foundations" = 3 years\n', "test.toml: not valid TOML: .*line 2"),
        (
            '[courses]\n"Foundations" = "3 years"\n[extra]\n',
            r"test.toml, line 3: unknown key 'extra'",
        ),
        ('course = "Foundations"\n', r"test.toml, line 1: unknown key 'course'"),
        ('courses = "3 years"\n', "'courses' must be a table"),
        ('[courses]\n"Foundations" = 3\n', r"line 2, 'Foundations': give the period as text"),
        (
            '[courses]\n\n"Foundations" = "in 3 years"\n',
            r"line 3, 'Foundations': \"in 3 years\" is not a length of time",
        ),
        ('[courses]\n"Foundations" = ""\n', r"line 2, 'Foundations': The period is empty"),
        ('[courses]\n"Foundations" = "0 months"\n', r"'Foundations': \"0 months\" is no length"),
        ('[courses]\n"Foundations" = "200 years"\n', "longer than any renewal period"),
        ('[courses]\n0 = "3 years"\n', r"line 2, '0': not a course id"),
        ('[courses]\n"2" = "3 years"\n02 = "3 years"\n', r"'02': given twice"),
        ('[courses]\n"A b" = "3 years"\n"a  B" = "3 years"\n', r"line 3, 'a  B': .* given twice"),
        ('[courses]\n"  " = "3 years"\n', "a course id or name is needed"),
    ],
)
def test_a_malformed_file_is_a_config_error_naming_file_line_and_key(
    text: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as caught:
        parse_renewals(text, source="test.toml")
    assert caught.value.message.startswith("Renewal rules test.toml")


def test_load_missing_file(tmp_path: Path) -> None:
    assert len(load_renewals(tmp_path / "renewals.toml", required=False)) == 0
    with pytest.raises(ConfigError, match=r"renewals.toml: no such file \(RENEWALS_PATH\)"):
        load_renewals(tmp_path / "renewals.toml")


def test_load_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RENEWALS_PATH", raising=False)
    # The default file may be absent ...
    assert len(renewals_from_settings(load_settings(_env_file=None))) == 0
    # ... and is read when present.
    (tmp_path / "renewals.toml").write_text(RULES, encoding="utf-8")
    assert len(renewals_from_settings(load_settings(_env_file=None))) == 3
    # A file that was asked for must exist, whether set in code or in the environment.
    with pytest.raises(ConfigError, match=r"elsewhere\.toml: no such file"):
        renewals_from_settings(load_settings(_env_file=None, renewals_path="elsewhere.toml"))
    monkeypatch.setenv("RENEWALS_PATH", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml: no such file"):
        renewals_from_settings(load_settings(_env_file=None))


def test_build_core_refuses_a_bad_file_before_opening_anything(tmp_path: Path) -> None:
    bad = tmp_path / "renewals.toml"
    bad.write_text('[courses]\n"Foundations" = "soon"\n', encoding="utf-8")
    settings = load_settings(_env_file=None, renewals_path=bad, database_path=tmp_path / "log.db")
    with pytest.raises(ConfigError, match=r"renewals.toml, line 2, 'Foundations'"):
        build_core(settings)
    assert not (tmp_path / "log.db").exists()


# --- filling the expiry in ----------------------------------------------------------------------


def test_a_blank_expiry_is_filled_from_the_completion_date() -> None:
    checked = check(
        typed(completed_at="12/03/2025"), today=TODAY, renewals=rules(), course_names=names
    )
    assert checked.record.expires_at == dt.date(2028, 3, 12)
    assert checked.filled == {"expires_at": "3 years"}
    assert checked.notes["expires_at"] == (
        "12 March 2028 (3 years after completion: the course's renewal period)"
    )
    assert checked.assumed == ()


def test_without_a_completion_date_the_attended_date_is_the_base() -> None:
    checked = check(typed(course_id="6", attended_at="31/08/2025"), today=TODAY, renewals=rules())
    assert checked.record.expires_at == dt.date(2027, 2, 28)
    assert checked.filled == {"expires_at": "1 year and 6 months"}
    assert checked.notes["expires_at"] == (
        "28 February 2027 (1 year and 6 months after attendance: the course's renewal period)"
    )


def test_completion_wins_over_attendance() -> None:
    checked = check(
        typed(attended_at="10/03/2025", completed_at="12/03/2025"),
        today=TODAY,
        renewals=rules(),
        course_names=names,
    )
    assert checked.record.expires_at == dt.date(2028, 3, 12)


@pytest.mark.parametrize(
    "fields",
    [
        {"completed_at": "12/03/2025", "expires_at": "31/12/2027"},  # typed: kept as typed
        {"completed_at": "12/03/2025", "expires_at": "2 years"},
        {"booked_at": "12/03/2025"},  # no completion, no attendance
        {},
    ],
)
def test_nothing_is_filled_when_an_expiry_is_typed_or_there_is_no_base(
    fields: dict[str, str],
) -> None:
    plain = check(typed(**fields), today=TODAY)
    checked = check(typed(**fields), today=TODAY, renewals=rules(), course_names=names)
    assert checked == plain
    assert checked.filled == {}


def test_nothing_is_filled_for_a_course_without_a_rule_or_without_rules() -> None:
    reader = typed(course_id="5", completed_at="12/03/2025")
    assert check(reader, today=TODAY, renewals=rules(), course_names=names).filled == {}
    foundations = typed(completed_at="12/03/2025")
    assert check(foundations, today=TODAY, renewals=RenewalRules()).filled == {}
    # A rule by name cannot be found without the course's name.
    assert check(foundations, today=TODAY, renewals=rules()).filled == {}


def test_the_course_name_is_asked_only_when_a_name_rule_could_apply() -> None:
    asked: list[int] = []

    def spy(course_id: int) -> str | None:
        asked.append(course_id)
        return names(course_id)

    check(
        typed(course_id="6", completed_at="1/3/2025"),
        today=TODAY,
        renewals=rules(),
        course_names=spy,
    )
    check(typed(completed_at="1/3/2025"), today=TODAY, course_names=spy)
    assert asked == []
    check(typed(completed_at="1/3/2025"), today=TODAY, renewals=rules(), course_names=spy)
    assert asked == [2]


def test_a_filled_expiry_already_past_is_filled_not_refused() -> None:
    # Training completed four years ago has lapsed: that is the truth to record.
    checked = check(
        typed(completed_at="12/03/2022"), today=TODAY, renewals=rules(), course_names=names
    )
    assert checked.record.expires_at == dt.date(2025, 3, 12)


def test_typed_dates_are_still_checked_with_rules() -> None:
    from bot.errors import SubmissionInvalid

    with pytest.raises(SubmissionInvalid) as caught:
        check(typed(completed_at="next week"), today=TODAY, renewals=rules(), course_names=names)
    assert set(caught.value.errors) == {"completed_at"}


# --- through the core, the log, the reply ---------------------------------------------------


@pytest.fixture
def filling_recorder(store: Store, cms: CMSClient) -> Iterator[Recorder]:
    rec = Recorder(
        store, cms, retry_delays=(), now=lambda: NOW, renewals=rules(), course_names=names
    )
    yield rec
    rec.stop()


def test_the_recorder_fills_sends_and_logs_what_it_filled(
    filling_recorder: Recorder, sandbox: CMSSandbox
) -> None:
    submission = filling_recorder.submit(typed(completed_at="12/03/2025"), Origin(frontend="cli"))
    assert submission.filled == {"expires_at": "3 years"}
    assert submission.expires_at == dt.date(2028, 3, 12)
    done = filling_recorder.process(submission.id)
    assert done.state is State.RECORDED
    [held] = sandbox.records(1042)
    assert held["expires_at"] == "2028-03-12"
    again = filling_recorder.store.get(submission.id)
    assert again.filled == {"expires_at": "3 years"}
    assert again.notes["expires_at"].endswith(
        "(3 years after completion: the course's renewal period)"
    )

    text = outcome_message(again)["text"]
    assert "Expires: 12 March 2028 (filled in from the course's renewal period, 3 years)" in text
    assert "Completed: 12 March 2025\n" in text
    assert "expires 2028-03-12 (filled in from the course's renewal period, 3 years)" in (
        render_outcome(again)
    )


def test_a_typed_expiry_is_shown_without_the_renewal_note(
    filling_recorder: Recorder,
) -> None:
    submission = filling_recorder.submit(
        typed(completed_at="12/03/2025", expires_at="3 years"), Origin(frontend="cli")
    )
    done = filling_recorder.process(submission.id)
    assert done.filled == {}
    assert "renewal period" not in outcome_message(done)["text"]
    assert "renewal period" not in render_outcome(done)


def test_build_core_loads_the_rules_and_asks_the_cms_for_course_names(
    tmp_path: Path, sandbox: CMSSandbox
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    settings = load_settings(
        _env_file=None,
        renewals_path=path,
        database_path=tmp_path / "log.db",
        cms_base_url=sandbox.base_url,
        cms_api_id=SANDBOX_API_ID,
        cms_secret_key=SANDBOX_SECRET_KEY,
        cms_diocese_id=SANDBOX_DIOCESE_ID,
    )
    core = build_core(settings)
    try:
        assert len(core.recorder.renewals) == 3
        checked = core.recorder.check(typed(completed_at="12/03/2025"))
        assert checked.filled == {"expires_at": "3 years"}
    finally:
        core.close()


# --- the migration ------------------------------------------------------------------------------


def test_migration_003_adds_the_column_to_an_older_log_and_runs_twice_safely(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    for name, migration in MIGRATIONS:
        if name.startswith(("001", "002")):
            migration(db)
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name")
    db.table("_migrations").insert_all(
        [
            {"name": "001_create_submissions", "applied_at": ""},
            {"name": "002_create_events", "applied_at": ""},
        ]
    )
    db.conn.execute(
        "INSERT INTO submissions (key, state, frontend, contact_id, course_id, typed, assumed, "
        "notes, created_at, updated_at) VALUES ('old', 'recorded', 'cli', 1, 2, '{}', '[]', "
        "'{}', '2025-01-01T00:00:00.000+00:00', '2025-01-01T00:00:00.000+00:00')"
    )
    db.conn.commit()
    db.close()
    with Store(path) as store:
        assert "003_add_filled" in {r["name"] for r in store._db.table("_migrations").rows}
        assert store.get(1).filled == {}
        [(name, migration)] = [m for m in MIGRATIONS if m[0].startswith("003")]
        migration(store._db)  # a second run changes nothing
        assert "filled" in store._db.table("submissions").columns_dict
        assert store.migrate() == []


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)


def test_the_record_command_fills_the_expiry_by_course_name(
    tmp_path: Path,
    sandbox: CMSSandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot import cli

    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    (tmp_path / "renewals.toml").write_text(RULES, encoding="utf-8")  # the default path
    for name, value in {
        "DATABASE_PATH": str(tmp_path / "log.db"),
        "CMS_BASE_URL": sandbox.base_url,
        "CMS_API_ID": SANDBOX_API_ID,
        "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RENEWALS_PATH", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code = cli.main(["record", "1042", "--course", "2", "--completed", "12/03/2025"])
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
    assert code == cli.EXIT_OK
    out = capsys.readouterr().out
    assert (
        "Dates: completed 2025-03-12, expires 2028-03-12 "
        "(filled in from the course's renewal period, 3 years)"
    ) in out
    [held] = sandbox.records(1042)
    assert held["expires_at"] == "2028-03-12"


# --- "no expiry" typed in the expiry field ----------------------------------------------------


@pytest.mark.parametrize("text", ["never", "no expiry", "n/a", "N/A", "Never.", "*no expiry*"])
def test_no_expiry_leaves_the_field_empty_and_no_rule_fills_it(text: str) -> None:
    checked = check(
        typed(completed_at="12/03/2025", expires_at=text),
        today=TODAY,
        renewals=rules(),
        course_names=names,
    )
    assert checked.record.expires_at is None
    assert checked.filled == {}
    assert checked.notes["expires_at"] == NO_EXPIRY
    assert "expires_at" not in checked.record.params()


def test_no_expiry_is_sent_without_an_expiry_and_the_reply_says_so(
    filling_recorder: Recorder, sandbox: CMSSandbox
) -> None:
    submission = filling_recorder.submit(
        typed(completed_at="12/03/2025", expires_at="never"), Origin(frontend="cli")
    )
    done = filling_recorder.process(submission.id)
    assert done.state is State.RECORDED
    [held] = sandbox.records(1042)
    assert held["expires_at"] is None
    assert "Expires: no expiry (as typed)" in outcome_message(done)["text"]
    assert "renewal period" not in outcome_message(done)["text"]
    assert render_outcome(done).endswith("completed 2025-03-12, no expiry (as typed)")
