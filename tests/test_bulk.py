"""Recording a whole session: matching attendance lists, confirming, sending, summing up."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.bulk import Match, chosen_contacts, match_line, parse_attendance, resolve
from bot.cms.models import Contact
from bot.errors import CMSUnavailable
from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import Call, SlackStandIn
from bot.store import BatchState, State, Store
from tests.support.live_app import SECRET, LiveApp, cms_client, live_app, wait_until
from tests.support.serving import serve_env, serving
from tests.support.slack_harness import CHANNEL_ID, SlackHarness

# --- the attendance list ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("Joan Ellison\nDavid Pritchard", ["Joan Ellison", "David Pritchard"]),
        (
            "1. Joan Ellison\n2) David Pritchard\n- 1042\n• Sue Okafor",
            [
                "Joan Ellison",
                "David Pritchard",
                "1042",
                "Sue Okafor",
            ],
        ),
        ("  joan   ellison ,\n\n\nJOAN ELLISON\r\n", ["joan   ellison".replace("   ", " ")]),
        ("1042; 1001;1042", ["1042", "1001"]),
        ("", []),
        ("<!channel>\n*bold*", ["<!channel>", "*bold*"]),
    ],
)
def test_parse_attendance(text: str, lines: list[str]) -> None:
    assert parse_attendance(text) == lines


def test_parse_attendance_caps_lines_and_length() -> None:
    lines = parse_attendance("\n".join(f"Person {n} " + "x" * 500 for n in range(1000)))
    assert len(lines) == 200
    assert all(len(line) <= 100 for line in lines)


PEOPLE = [
    Contact(id=1, forenames="Ann", surname="Smith"),
    Contact(id=2, forenames="Bob", surname="Smith"),
    Contact(id=3, forenames="Joan Patricia", surname="Ellison"),
]


def fake_search(text: str) -> Sequence[Contact]:
    words = text.lower().split()
    return [c for c in PEOPLE if all(w in c.display_name.lower() for w in words)]


def test_match_line_outcomes() -> None:
    assert match_line("#1042", fake_search) == Match("#1042", "id", 1042, "Contact #1042")
    joan = match_line("joan ellison", fake_search)
    assert (joan.status, joan.contact_id) == ("exact", 3)
    smith = match_line("Smith", fake_search)
    assert smith.status == "several"
    assert [cid for _, cid in smith.candidates] == [1, 2]
    ann = match_line("ann smith", fake_search)
    assert (ann.status, ann.contact_id) == ("exact", 1)
    assert match_line("Nobody Here", fake_search).status == "not_found"


def test_match_line_when_the_cms_fails() -> None:
    def broken(text: str) -> Sequence[Contact]:
        raise CMSUnavailable("The CMS could not be reached.")

    failed = match_line("Joan", broken)
    assert failed.status == "error"
    assert failed.label == "The CMS could not be reached."


def test_chosen_contacts_in_order_each_once() -> None:
    matches = [
        Match("1042", "id", 1042),
        Match("Smith", "several", candidates=(("A", 1), ("B", 2))),
        Match("Nobody", "not_found"),
        Match("Joan", "exact", 1042),
        Match("Jones", "several", candidates=(("C", 5), ("D", 6))),
    ]
    assert chosen_contacts([7, 1042], matches, {1: 2, 4: None}) == [7, 1042, 2]


def test_resolve_keeps_the_chosen_person_and_drops_the_skipped() -> None:
    matches = [
        Match("Smith", "several", candidates=(("A Smith", 1), ("B Smith", 2))),
        Match("Jones", "several", candidates=(("C Jones", 5),)),
        Match("1042", "id", 1042, "Contact #1042"),
    ]
    resolved = resolve(matches, {0: 2, 1: None})
    assert resolved[0] == Match("Smith", "chosen", 2, "B Smith", matches[0].candidates)
    assert resolved[1].status == "skipped"
    assert resolved[2] == matches[2]
    assert chosen_contacts([], resolved, {}) == [2, 1042]


def test_match_round_trips_through_json() -> None:
    match = Match("Smith", "several", candidates=(("A Smith (#1)", 1),))
    assert Match.from_json(match.to_json()) == match


# --- end to end ----------------------------------------------------------------------------


def add_people(sandbox: CMSSandbox, count: int) -> list[int]:
    return [
        int(sandbox.add_contact(f"Person{n}", f"Attendee{n}", post="Sidesman")["id"])
        for n in range(count)
    ]


App = LiveApp


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn) -> Iterator[App]:
    cms = cms_client(sandbox, rate_window=1.0)  # the sandbox's windows are shortened below
    with live_app(tmp_path / "log.db", slack, sandbox, cms=cms, retry_delays=(0.1,)) as running:
        yield running


def open_session_form(harness: SlackHarness, slack: SlackStandIn, text: str = "") -> dict[str, Any]:
    opened = len(slack.calls("views.open", ok=True))
    assert harness.command(f"session {text}").status_code == 200
    view: dict[str, Any] = slack.wait_for("views.open", opened + 1, ok=True)[-1].response["view"]
    assert view["callback_id"] == "record_course_bulk"
    return view


def summary_replies(slack: SlackStandIn) -> list[str]:
    return [m.text for m in slack.messages(CHANNEL_ID) if m.thread_ts and "Done:" in m.text]


def test_twenty_people_recorded_once_each_with_progress_and_a_summary(
    app: App, sandbox: CMSSandbox, slack: SlackStandIn
) -> None:
    sandbox.limiter.window = 1.0
    sandbox.rate_limit = 8  # 8 calls a second: the bot must pace itself
    people = add_people(sandbox, 20)
    view = open_session_form(app.harness, slack, "foundations completed 1/11/2026")
    answer = app.harness.view_submission(
        view,
        {
            "attendance": "\n".join(str(p) for p in people),
            "course_id": ("Safeguarding Foundations", "2"),
            "completed_at": "1/11/2026",
        },
    )
    assert answer.json()["response_action"] == "update"
    [update] = slack.wait_for("views.update", ok=True)
    confirm = update.response["view"]
    assert confirm["callback_id"] == "record_course_bulk_confirm"
    assert "Found (20)" in str(confirm["blocks"])
    assert [c for c in sandbox.calls if c[0] == "POST"] == []

    assert app.harness.view_submission(confirm, {}).json() == {"response_action": "clear"}
    wait_until(lambda: summary_replies(slack), timeout=60)
    held = [r for r in sandbox.records() if r["contact_id"] in people]
    assert sorted(r["contact_id"] for r in held) == sorted(people)
    [parent] = [m for m in slack.messages(CHANNEL_ID) if m.thread_ts is None]
    assert "all 20 recorded" in slack.message(CHANNEL_ID, parent.ts).text
    assert slack.message(CHANNEL_ID, parent.ts).edits >= 1
    [summary] = summary_replies(slack)
    assert summary.startswith("Done: 20 of 20 recorded.")
    assert summary.count("CMS record") == 20
    # One message for the batch and one summary: no message per person.
    assert len(slack.messages(CHANNEL_ID)) == 2
    assert all(c.status != 429 for c in slack.calls())
    assert {s.state for s in app.store.recent(100)} == {State.RECORDED}
    wait_until(lambda: all(s.reported for s in app.store.recent(100)))


def test_ambiguous_and_unknown_names_are_resolved_before_anything_is_sent(
    app: App, sandbox: CMSSandbox, slack: SlackStandIn
) -> None:
    ann = sandbox.add_contact("Ann", "Smithson", post="Reader")["id"]
    sandbox.add_contact("Andrew", "Smithson", post="Verger")
    view = open_session_form(app.harness, slack)
    answer = app.harness.view_submission(
        view,
        {
            "attendance": "Joan Ellison\nSmithson\nNobody Whatever\n<!channel>",
            "course_id": ("Safeguarding Basic Awareness", "1"),
            "attended_at": "2/11/2026",
        },
    )
    assert answer.json()["response_action"] == "update"
    confirm = slack.wait_for("views.update", ok=True)[-1].response["view"]
    text = str(confirm["blocks"])
    assert "Joan Ellison" in text
    assert "Nobody Whatever" in text
    assert "&lt;!channel&gt;" in text
    assert "<!channel>" not in text.replace("“<!channel>”", "")  # only inside plain labels
    choices = [b for b in confirm["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in choices] == ["choose_1"]
    offered = [o["value"] for o in choices[0]["element"]["options"]]
    assert str(ann) in offered
    assert offered[-1] == "skip"
    assert [c for c in sandbox.calls if c[0] == "POST"] == []

    app.harness.view_submission(confirm, {"choose_1": ("Ann Smithson", str(ann))})
    wait_until(lambda: summary_replies(slack))
    [summary] = summary_replies(slack)
    assert f"Ann Smithson (#{ann}), Reader: CMS record" in summary
    held = {r["contact_id"] for r in sandbox.records() if r["course_id"] == 1}
    assert {1042, ann} <= held
    assert len([r for r in sandbox.records() if r["contact_id"] in (1042, ann)]) == 2


def test_people_picked_from_the_list_go_straight_to_confirmation(
    app: App, sandbox: CMSSandbox, slack: SlackStandIn
) -> None:
    view = open_session_form(app.harness, slack)
    answer = app.harness.view_submission(
        view,
        {
            "contact_ids": [("Maggie Holloway (#1001)", "1001"), ("Contact #1042", "1042")],
            "course_id": ("Safeguarding Leadership", "3"),
        },
    )
    body = answer.json()
    assert body["response_action"] == "update"
    assert body["view"]["callback_id"] == "record_course_bulk_confirm"
    assert "Maggie Holloway (#1001)" in str(body["view"]["blocks"])
    app.harness.view_submission(body["view"], {})
    wait_until(lambda: summary_replies(slack))
    [summary] = summary_replies(slack)
    assert "Maggie Holloway (#1001): CMS record" in summary


def test_a_session_submitted_twice_leaves_out_those_already_recorded(
    app: App, sandbox: CMSSandbox, slack: SlackStandIn
) -> None:
    before = len(sandbox.records())
    values = {"attendance": "1042\n1001", "course_id": ("Leadership", "3")}

    def confirm_page() -> dict[str, Any]:
        count = len(slack.calls("views.update", ok=True))
        app.harness.view_submission(open_session_form(app.harness, slack), values)
        view: dict[str, Any] = slack.wait_for("views.update", count + 1, ok=True)[-1].response[
            "view"
        ]
        return view

    app.harness.view_submission(confirm_page(), {})
    wait_until(lambda: len(summary_replies(slack)) == 1)
    again = confirm_page()
    assert "Already submitted in the last hour (2)" in str(again["blocks"])
    assert "Found (" not in str(again["blocks"])
    choice = next(b for b in again["blocks"] if b.get("block_id") == "again")
    assert choice["element"]["initial_option"]["value"] == "leave_out"
    answer = app.harness.view_submission(again, {"again": ("Leave them out", "leave_out")})
    assert answer.json()["response_action"] == "update"
    assert "Nothing was recorded" in str(answer.json()["view"]["blocks"])
    time.sleep(0.5)
    assert len(sandbox.records()) == before + 2  # nothing sent the second time

    third = confirm_page()
    app.harness.view_submission(third, {"again": ("Record them again", "again")})
    wait_until(lambda: len(summary_replies(slack)) == 2)
    assert len(sandbox.records()) == before + 4


def test_session_form_needs_people_and_good_dates(app: App, slack: SlackStandIn) -> None:
    view = open_session_form(app.harness, slack)
    answer = app.harness.view_submission(
        view, {"course_id": ("Foundations", "2"), "completed_at": "tbc"}
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"contact_ids", "completed_at"}


def test_confirming_twice_records_once(app: App, sandbox: CMSSandbox, slack: SlackStandIn) -> None:
    before = len(sandbox.records())
    view = open_session_form(app.harness, slack)
    app.harness.view_submission(
        view, {"attendance": "1042\n1001", "course_id": ("Leadership", "3")}
    )
    confirm = slack.wait_for("views.update", ok=True)[-1].response["view"]
    app.harness.view_submission(confirm, {})
    app.harness.view_submission(confirm, {})
    wait_until(lambda: summary_replies(slack))
    time.sleep(0.3)
    assert len(sandbox.records()) == before + 2
    assert len(summary_replies(slack)) == 1


def test_a_crash_half_way_resumes_the_rest(
    tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn
) -> None:
    people = add_people(sandbox, 12)
    env = serve_env(tmp_path / "log.db", sandbox, slack, secret=SECRET, token="xoxb-bulk")

    with serving(env, tmp_path, run=1) as (first, url):
        with SlackHarness(url, SECRET, standin=slack) as harness:
            view = open_session_form(harness, slack)
            harness.view_submission(
                view,
                {"attendance": "\n".join(map(str, people)), "course_id": ("Foundations", "2")},
            )
            confirm = slack.wait_for("views.update", ok=True)[-1].response["view"]
            sandbox.delay = 0.15
            harness.view_submission(confirm, {})
            wait_until(
                lambda: len([r for r in sandbox.records() if r["contact_id"] in people]) >= 4
            )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    sandbox.delay = 0
    done_before = len([r for r in sandbox.records() if r["contact_id"] in people])
    assert 4 <= done_before < 12

    with serving(env, tmp_path, run=2):
        wait_until(lambda: summary_replies(slack), timeout=60)
    held = [r["contact_id"] for r in sandbox.records() if r["contact_id"] in people]
    assert sorted(held) == sorted(people)  # every one, each once
    [summary] = summary_replies(slack)
    assert summary.startswith("Done: 12 of 12 recorded.")
    with Store(tmp_path / "log.db") as store:
        batch = store.batch(1)
        assert batch.state is BatchState.DONE
        assert batch.reported


def _calls(slack: SlackStandIn, method: str) -> list[Call]:
    return slack.calls(method)
