"""Names as last seen, kept in the log and shown (issue 14, "Who the contact is"): unit
tests of the core, the messages, the App Home, the command line's rows and the session's
pasted numbers, with hostile names in every new place. No sockets: fakes stand in."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.bulk import Match, check_numbers, name_in_label
from bot.cms.models import Contact, CourseRecord, NewCourseRecord
from bot.errors import CMSNotFound
from bot.expiring import Expiring
from bot.people import Card
from bot.recording import Recorder
from bot.slack.home import home_view
from bot.slack.messages import batch_summary, outcome_message, parent_message
from bot.store import Batch, BatchState, State, Store, Submission
from bot.submission import Origin, Typed
from bot.text import one_line, person

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
#: Names meant to do harm: a ping, a right-to-left override, a terminal escape, a newline
#: that would start a row of its own, and a name far too long.
HOSTILE = [
    "<!channel> Joan",
    "Joan \u202eEllison",
    "Joan\x1b[2J Ellison",
    "Joan\nContact: forged",
    "J" * 5000,
]


class FakeCMS:
    """The CMS as the core sees it: every POST succeeds; contacts by id."""

    def __init__(self, contacts: dict[int, Contact] | None = None) -> None:
        self.contacts = contacts or {}
        self.posts: list[int] = []
        self.gets: list[int] = []

    def create_course_record(self, contact_id: int, record: NewCourseRecord) -> CourseRecord:
        self.posts.append(contact_id)
        return CourseRecord(
            id=5000 + len(self.posts),
            contact_id=contact_id,
            course_id=record.course_id,
            course_name="Safeguarding Foundations",
            completed_at=record.completed_at,
        )

    def get_contact(self, contact_id: int, *, deadline: float | None = None) -> Contact:
        self.gets.append(contact_id)
        if contact_id not in self.contacts:
            raise CMSNotFound(f"no contact {contact_id}", status_code=404)
        return self.contacts[contact_id]


@pytest.fixture
def core(tmp_path: Path) -> Any:
    store = Store(tmp_path / "log.db", clock=lambda: NOW)
    cms = FakeCMS()
    recorder = Recorder(store, cms, now=lambda: NOW, retry_delays=())  # type: ignore[arg-type]
    yield recorder, store, cms
    store.close()


TYPED = Typed(contact_id="1042", course_id="2", completed_at="2026-11-20")


# -- the words -------------------------------------------------------------------------------


def test_person_names_with_the_number_or_falls_back_to_it() -> None:
    assert person("Joan Ellison", 1042) == "Joan Ellison (#1042)"
    assert person(None, 1042) == "contact 1042"
    assert person("  \u202e ", 1042) == "contact 1042"


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_is_one_safe_short_line(name: str) -> None:
    shown = one_line(name)
    assert "\n" not in shown
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert len(shown) <= 80


def test_name_in_label() -> None:
    assert name_in_label("Joan Ellison (#1042), Vicar, Ashby", 1042) == "Joan Ellison"
    assert name_in_label("Contact #1042", 1042) is None
    assert name_in_label("Joan Ellison (#1043)", 1042) is None


# -- names kept in the log -------------------------------------------------------------------


def test_submit_keeps_the_name_the_book_holds_and_no_cms_call_is_made(core: Any) -> None:
    recorder, store, cms = core
    asked: list[int] = []
    recorder.contact_names = lambda cid: asked.append(cid) or "Joan Ellison"
    submission = recorder.submit(TYPED, Origin(frontend="cli", key="k1"))
    assert submission.contact_name == "Joan Ellison"
    assert store.get(submission.id).contact_name == "Joan Ellison"
    assert asked == [1042]
    assert cms.gets == []


def test_a_name_learnt_meanwhile_is_kept_with_the_outcome(core: Any) -> None:
    recorder, _store, _ = core
    known: dict[int, str] = {}
    recorder.contact_names = known.get
    submission = recorder.submit(TYPED, Origin(frontend="cli", key="k1"))
    assert submission.contact_name is None
    known[1042] = "Joan Ellison"  # the book's background lookup answered
    done = recorder.process(submission.id)
    assert done.state is State.RECORDED
    assert (done.contact_name, done.course_name) == ("Joan Ellison", "Safeguarding Foundations")


def test_the_given_name_is_kept_without_a_book(core: Any) -> None:
    recorder, _, _ = core
    submission = recorder.submit(TYPED, Origin(frontend="cli"), contact_name="Joan Ellison")
    assert recorder.process(submission.id).contact_name == "Joan Ellison"
    huge = recorder.submit(TYPED, Origin(frontend="cli"), contact_name="J" * 5000)
    assert huge.contact_name == "J" * 200


def test_a_failing_name_lookup_never_stops_a_submission(core: Any) -> None:
    recorder, _, _ = core

    def broken(contact_id: int) -> str | None:
        raise RuntimeError("boom")

    recorder.contact_names = broken
    submission = recorder.submit(TYPED, Origin(frontend="cli"))
    assert recorder.process(submission.id).state is State.RECORDED


def test_a_session_keeps_each_persons_name_from_their_match(core: Any) -> None:
    recorder, store, _ = core
    batch, _ = store.create_batch(
        {
            "key": "b1",
            "frontend": "cli",
            "typed": Typed(course_id="2", completed_at="2026-11-20").model_dump(),
            "matches": [
                Match("joan", "exact", 1042, "Joan Ellison (#1042), Ashby").to_json(),
                Match("1043", "id", 1043, "Contact #1043").to_json(),
            ],
        }
    )
    submissions = recorder.submit_batch(store.batch(batch.id), [1042, 1043])
    assert [s.contact_name for s in submissions] == ["Joan Ellison", None]


# -- names shown -----------------------------------------------------------------------------


def _submission(store: Store, recorder: Recorder, name: str | None, **changes: Any) -> Submission:
    submitted = recorder.submit(TYPED, Origin(frontend="cli"), contact_name=name)
    return store.update(submitted.id, "test", **changes) if changes else submitted


def test_replies_and_parent_messages_name_the_person(core: Any) -> None:
    recorder, store, _ = core
    done = recorder.process(_submission(store, recorder, "Joan Ellison").id)
    reply = outcome_message(done)["text"]
    assert "Recorded *Safeguarding Foundations* for Joan Ellison (#1042)." in reply
    parent = parent_message(done)["text"]
    assert "recorded *Safeguarding Foundations* for Joan Ellison (#1042)" in parent
    nameless = recorder.process(_submission(store, recorder, None).id)
    assert "for contact 1042." in outcome_message(nameless)["text"]
    assert "for contact 1042:" in parent_message(nameless)["text"]


def _mrkdwn(value: Any) -> list[str]:
    """Every mrkdwn text in blocks (the only text Slack parses for markup)."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            return [str(value["text"])]
        return [t for v in value.values() for t in _mrkdwn(v)]
    if isinstance(value, list):
        return [t for v in value for t in _mrkdwn(v)]
    return []


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_in_replies_summaries_and_the_home(core: Any, name: str) -> None:
    recorder, store, _ = core
    done = recorder.process(_submission(store, recorder, name).id)
    expiring = Expiring.of(done.model_copy(update={"expires_at": NOW.date()}), NOW.date())
    home = home_view(recent=[done], failures=[], expiring=[expiring], today=NOW.date())
    summary = batch_summary([done], {})
    texts = [
        outcome_message(done)["text"],
        parent_message(done)["text"],
        summary["text"],
        *_mrkdwn(summary["blocks"]),
        *_mrkdwn(home["blocks"]),
    ]
    for text in texts:
        assert "<!channel>" not in text
        assert "\u202e" not in text
        assert "\x1b" not in text
        assert "J" * 100 not in text
    assert "Joan\nContact" not in texts[0]
    everything = json.dumps([summary, home], ensure_ascii=False)  # plain text too
    assert "\u202e" not in everything
    assert "J" * 100 not in everything


def test_the_summary_names_people_without_a_match_label(core: Any) -> None:
    recorder, store, _ = core
    joan = recorder.process(_submission(store, recorder, "Joan Ellison").id)
    text = batch_summary([joan], {})["text"]
    assert ":white_check_mark: Joan Ellison (#1042): CMS record" in text
    buttons = [
        e["text"]["text"]
        for b in batch_summary([joan], {})["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == ["Correct Joan Ellison (#1042)"]


def test_the_home_names_people_in_each_list(core: Any) -> None:
    recorder, store, _ = core
    done = recorder.process(_submission(store, recorder, "Joan Ellison").id)
    expiring = Expiring.of(done.model_copy(update={"expires_at": NOW.date()}), NOW.date())
    view = json.dumps(home_view(recent=[done], failures=[], expiring=[expiring], today=NOW.date()))
    assert view.count("for Joan Ellison (#1042)") == 2
    assert expiring.as_json()["contact_name"] == "Joan Ellison"


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def log_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "log.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    return path


def _fill(path: Path, name: str | None) -> None:
    with Store(path) as store:
        submission, _ = store.create(
            {
                "key": "x",
                "frontend": "cli",
                "contact_id": 1042,
                "course_id": 2,
                "completed_at": dt.date(2026, 11, 20),
                "expires_at": dt.date(2026, 12, 1),
                "typed": {},
                "assumed": [],
                "notes": {},
                "contact_name": name,
            }
        )
        store.update(
            submission.id,
            "recorded",
            state=State.RECORDED,
            record_id=5001,
            course_name="Safeguarding Foundations",
        )


def test_history_and_expiring_name_people_and_courses(
    log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log_path, "Joan Ellison")
    assert cli.main(["history"]) == cli.EXIT_OK
    line = capsys.readouterr().out
    assert "contact Joan Ellison (#1042) course Safeguarding Foundations (#2)" in line
    assert cli.main(["history", "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)[0]["contact_name"] == "Joan Ellison"
    assert cli.main(["expiring", "--today", "2026-11-27"]) == cli.EXIT_OK
    rows = capsys.readouterr().out.splitlines()
    assert rows[2].startswith("2026-12-01     4  Joan Ellison (#1042) Safeguarding Foundations ")
    assert cli.main(["expiring", "--today", "2026-11-27", "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)[0]["contact_name"] == "Joan Ellison"


def test_history_falls_back_to_the_number(
    log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log_path, None)
    assert cli.main(["history"]) == cli.EXIT_OK
    assert "contact 1042   course Safeguarding Foundations (#2)" in capsys.readouterr().out


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_in_the_command_lines_rows(
    log_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    _fill(log_path, name)
    for command in (["history"], ["expiring", "--today", "2026-11-27"]):
        assert cli.main(command) == cli.EXIT_OK
        out = capsys.readouterr().out
        assert "\x1b" not in out
        assert "\u202e" not in out
        assert "J" * 100 not in out
        assert "Contact: forged" not in out.splitlines()[0 if command == ["history"] else 2][:1]
        assert len(out.splitlines()) == (1 if command == ["history"] else 3)


# -- a session's pasted numbers ----------------------------------------------------------------


def test_pasted_numbers_are_looked_up_before_anything_is_written() -> None:
    joan = Contact(id=1042, forenames="Joan", surname="Ellison", parish="Ashby")
    cards = {
        1042: Card(1042, "found", joan),
        1099: Card(1099, "unknown"),
        1100: Card(1100, "unchecked"),
    }
    matches = [
        Match("1042", "id", 1042, "Contact #1042"),
        Match("#1099", "id", 1099, "Contact #1099"),
        Match("1100", "id", 1100, "Contact #1100"),
        Match("Ann", "exact", 1050, "Ann Smith (#1050)"),
    ]
    checked = check_numbers(matches, cards.__getitem__)
    assert checked == [
        Match("1042", "id", 1042, "Joan Ellison (#1042), Ashby"),
        Match("#1099", "not_found", label="the CMS has no contact 1099"),
        Match("1100", "id", 1100, "Contact #1100"),
        Match("Ann", "exact", 1050, "Ann Smith (#1050)"),
    ]


def test_a_hostile_contacts_label_from_a_pasted_number_is_safe() -> None:
    evil = Contact(id=1042, forenames="<!channel>\u202e", surname="X\x1b" + "J" * 300)
    [match] = check_numbers(
        [Match("1042", "id", 1042, "Contact #1042")], lambda _: Card(1042, "found", evil)
    )
    assert "\u202e" not in match.label
    assert "\x1b" not in match.label


def test_batch_state_untouched() -> None:  # the statuses that are recorded are unchanged
    assert BatchState.CONFIRMING.value == "confirming"
    assert Batch.model_fields["matches"].default == []
