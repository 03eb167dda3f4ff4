"""The recording core against the running CMS sandbox: checks, states, exactly-once."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest

from bot.errors import SubmissionInvalid
from bot.local.sandbox import SANDBOX_SECRET_KEY, CMSSandbox
from bot.recording import Recorder
from bot.store import State, Store, Submission
from bot.submission import Checked, Origin, Typed, check
from tests.support.live_app import cms_client

TODAY = dt.date(2026, 11, 27)  # a Friday
FOUNDATIONS = "2"
CONTACT = "1042"


def typed(**fields: str) -> Typed:
    values = {"contact_id": CONTACT, "course_id": FOUNDATIONS, **fields}
    return Typed(**values)


def cli() -> Origin:
    return Origin(frontend="cli")


# --- check: everything that can be refused without the CMS ---------------------------------


def test_check_reads_ids_and_dates() -> None:
    checked = check(
        typed(
            qualification_id="22",
            booked_at="2/11/2026",
            attended_at="last Tuesday",
            completed_at="yesterday",
            expires_at="3 years",
        ),
        today=TODAY,
    )
    assert checked.contact_id == 1042
    assert checked.record.course_id == 2
    assert checked.record.qualification_id == 22
    assert checked.record.booked_at == dt.date(2026, 11, 2)
    assert checked.record.attended_at == dt.date(2026, 11, 24)
    assert checked.record.completed_at == dt.date(2026, 11, 26)
    assert checked.record.expires_at == dt.date(2029, 11, 26)
    assert checked.assumed == ()


def test_check_flags_assumed_day() -> None:
    checked = check(typed(completed_at="March 2026"), today=TODAY)
    assert checked.record.completed_at == dt.date(2026, 3, 1)
    assert checked.assumed == ("completed_at",)


def test_check_leaves_empty_optional_fields_out() -> None:
    checked = check(typed(), today=TODAY)
    assert checked.record.params() == {"course_id": "2"}


def errors_of(value: Typed) -> dict[str, str]:
    with pytest.raises(SubmissionInvalid) as info:
        check(value, today=TODAY)
    return info.value.errors


def test_missing_contact_and_course_are_refused() -> None:
    errors = errors_of(Typed())
    assert errors == {"contact_id": "Choose a contact.", "course_id": "Choose a course."}


@pytest.mark.parametrize("field", ["contact_id", "course_id", "qualification_id"])
@pytest.mark.parametrize(
    "text", ["abc", "-3", "0", "1.5", "99999999999999", "<!channel>", "x" * 100_000, "١٢٣"]
)
def test_ids_must_be_positive_integers(field: str, text: str) -> None:
    errors = errors_of(typed(**{field: text}))
    assert list(errors) == [field]
    assert "<!channel>" not in errors[field] or errors[field].count('"') == 2
    assert len(errors[field]) < 200


@pytest.mark.parametrize("field", ["booked_at", "attended_at", "completed_at", "expires_at"])
@pytest.mark.parametrize("text", ["tbc", "<!channel>", "31/02/2025", "x" * 100_000, "\x00\x1b[2J"])
def test_unreadable_dates_are_refused_under_their_field(field: str, text: str) -> None:
    errors = errors_of(typed(**{field: text}))
    assert list(errors) == [field]
    assert len(errors[field]) < 300


def test_dates_out_of_order_are_refused() -> None:
    errors = errors_of(typed(attended_at="10/11/2026", completed_at="3/11/2026"))
    assert list(errors) == ["completed_at"]


def test_a_huge_id_is_quoted_short() -> None:
    errors = errors_of(typed(contact_id="9" * 500))
    assert errors["contact_id"] == f'"{"9" * 40}…" is not a valid contact number.'


def test_all_field_errors_come_back_at_once_in_form_order() -> None:
    errors = errors_of(Typed(course_id="abc", booked_at="soon", expires_at="whenever"))
    assert list(errors) == ["contact_id", "course_id", "booked_at", "expires_at"]


def test_typed_text_is_capped() -> None:
    assert len(Typed(contact_id="9" * 10_000).contact_id) == 500


# --- submit: stored before anything is sent -------------------------------------------------


def test_submit_stores_pending_and_sends_nothing(recorder: Recorder, sandbox: CMSSandbox) -> None:
    submission = recorder.submit(typed(completed_at="yesterday"), cli())
    assert submission.state is State.PENDING
    assert submission.completed_at == recorder.today() - dt.timedelta(days=1)
    assert submission.typed["completed_at"] == "yesterday"
    assert sandbox.calls == []


def test_submit_with_same_key_returns_the_first(recorder: Recorder) -> None:
    origin = Origin(frontend="slack", key="slack:T1:V123", user_id="U1")
    first = recorder.submit(typed(), origin)
    second = recorder.submit(typed(), origin)
    assert second.id == first.id
    assert second.contact_id == 1042
    assert recorder.store.count() == 1


def test_submit_with_a_seen_key_and_other_content_is_a_new_submission(
    recorder: Recorder,
) -> None:
    # Issue 12: a front end that reuses ids (the shell's stand-in after a restart) must not
    # have a new form dropped as a repeat of an old one.
    origin = Origin(frontend="slack", key="slack:T1:V123", user_id="U1")
    first = recorder.submit(typed(), origin)
    second = recorder.submit(typed(contact_id="1001"), origin)
    assert second.id != first.id
    assert second.contact_id == 1001
    assert second.key.startswith("slack:T1:V123~")
    assert recorder.submit(typed(contact_id="1001"), origin).id == second.id
    assert recorder.store.count() == 2


def test_submit_refuses_invalid_input_and_stores_nothing(recorder: Recorder) -> None:
    with pytest.raises(SubmissionInvalid):
        recorder.submit(typed(completed_at="tbc"), cli())
    assert recorder.store.count() == 0


def test_probable_duplicate_within_the_hour(recorder: Recorder) -> None:
    first = recorder.submit(typed(completed_at="yesterday"), cli())
    recorder.process(first.id)
    checked = recorder.check(typed(completed_at="yesterday"))
    duplicate = recorder.probable_duplicate(checked)
    assert duplicate is not None
    assert duplicate.id == first.id
    assert recorder.probable_duplicate(recorder.check(typed(completed_at="2 days ago"))) is None


# --- process: each outcome ------------------------------------------------------------------


def test_recorded_with_names_the_cms_returned(recorder: Recorder, sandbox: CMSSandbox) -> None:
    submission = recorder.submit(typed(qualification_id="22", completed_at="yesterday"), cli())
    done = recorder.process(submission.id)
    assert done.state is State.RECORDED
    assert done.course_name == "Safeguarding Foundations"
    assert done.qualification_name == "Safeguarding Foundations certificate"
    assert done.cms_status == 200
    held = sandbox.records(1042)
    assert len(held) == 1
    assert done.record_id == held[0]["id"]
    assert done.sent == {
        "contact_id": "1042",
        "course_id": "2",
        "qualification_id": "22",
        "completed_at": (recorder.today() - dt.timedelta(days=1)).isoformat(),
    }
    assert [e["event"] for e in recorder.store.events(done.id)] == [
        "submitted",
        "sending",
        "recorded",
    ]


def test_processing_a_recorded_submission_again_sends_nothing(
    recorder: Recorder, sandbox: CMSSandbox
) -> None:
    submission = recorder.submit(typed(), cli())
    recorder.process(submission.id)
    again = recorder.process(submission.id)
    assert again.state is State.RECORDED
    assert len(sandbox.records(1042)) == 1


def test_rejected_keeps_the_cms_errors(recorder: Recorder, sandbox: CMSSandbox) -> None:
    submission = recorder.submit(typed(course_id="999"), cli())
    done = recorder.process(submission.id)
    assert done.state is State.REJECTED
    assert done.cms_status == 400
    assert done.errors is not None
    assert list(done.errors) == ["course_id"]
    assert sandbox.records(1042) == []


def test_qualification_of_another_course_is_rejected(recorder: Recorder) -> None:
    submission = recorder.submit(typed(qualification_id="25"), cli())
    done = recorder.process(submission.id)
    assert done.state is State.REJECTED
    assert done.errors is not None
    assert "qualification_id" in done.errors


def test_unknown_contact_is_not_found(recorder: Recorder) -> None:
    submission = recorder.submit(typed(contact_id="424242"), cli())
    done = recorder.process(submission.id)
    assert done.state is State.NOT_FOUND
    assert done.cms_status == 404
    assert done.reason == "Contact 424242 was not found in the CMS."


def test_cms_down_retries_then_fails_with_a_reason_and_can_be_retried(
    recorder: Recorder, sandbox: CMSSandbox
) -> None:
    seen: list[Submission] = []
    recorder.add_listener(seen.append)
    sandbox.fail_next(503, times=50, method="POST")
    recorder.start()
    submission = recorder.submit(typed(), cli())
    recorder.enqueue(submission.id)
    assert recorder.wait_idle(20)
    failed = recorder.store.get(submission.id)
    assert failed.state is State.FAILED
    assert failed.reason is not None
    assert "503" in failed.reason or "unavailable" in failed.reason.lower()
    assert [s.state for s in seen] == [State.PENDING, State.PENDING, State.FAILED]
    assert sandbox.records(1042) == []

    sandbox.clear_faults()
    recorder.retry(submission.id)
    assert recorder.wait_idle(20)
    assert recorder.store.get(submission.id).state is State.RECORDED
    assert len(sandbox.records(1042)) == 1


def test_transient_outage_recovers_by_itself(recorder: Recorder, sandbox: CMSSandbox) -> None:
    sandbox.fail_next(500, times=1, method="POST")
    recorder.start()
    submission = recorder.submit(typed(), cli())
    recorder.enqueue(submission.id)
    assert recorder.wait_idle(20)
    done = recorder.store.get(submission.id)
    assert done.state is State.RECORDED
    assert len(sandbox.records(1042)) == 1


def test_lost_answer_is_reconciled_not_resent(recorder: Recorder, sandbox: CMSSandbox) -> None:
    sandbox.lose_answer_next(method="POST")
    submission = recorder.submit(typed(completed_at="yesterday"), cli())
    done = recorder.process(submission.id)
    assert done.state is State.RECORDED
    held = sandbox.records(1042)
    assert len(held) == 1
    assert done.record_id == held[0]["id"]


def test_crash_while_sending_is_reconciled_on_restart(
    store: Store, sandbox: CMSSandbox, recorder: Recorder
) -> None:
    # The POST reached the CMS, then the process died: the log says `sending`.
    submission = recorder.submit(typed(completed_at="yesterday"), cli())
    store.claim(submission.id, sent={}, sent_at=dt.datetime.now(dt.UTC))
    recorder.cms.create_course_record(1042, recorder.check(typed(completed_at="yesterday")).record)
    assert len(sandbox.records(1042)) == 1

    restarted = Recorder(store, recorder.cms, retry_delays=())
    restarted.start()
    try:
        assert restarted.wait_idle(10)
    finally:
        restarted.stop()
    done = store.get(submission.id)
    assert done.state is State.RECORDED
    assert len(sandbox.records(1042)) == 1
    assert "reconciled" in [e["event"] for e in store.events(submission.id)]


def test_pending_submissions_are_resumed_on_start(
    store: Store, sandbox: CMSSandbox, recorder: Recorder
) -> None:
    ids = [recorder.submit(typed(contact_id=str(c)), cli()).id for c in (1001, 1002, 1003)]
    recorder.start()
    assert recorder.wait_idle(10)
    assert [store.get(i).state for i in ids] == [State.RECORDED] * 3
    assert {r["contact_id"] for r in sandbox.records()} == {1001, 1002, 1003}


def test_unreported_outcomes_are_told_again_on_start(store: Store, recorder: Recorder) -> None:
    submission = recorder.submit(typed(), cli())
    recorder.process(submission.id)  # outcome stored, never reported (the process died)
    told: list[int] = []
    restarted = Recorder(store, recorder.cms)
    restarted.add_listener(lambda s: told.append(s.id))
    restarted.start()
    restarted.stop()
    assert told == [submission.id]


def test_workers_bound_calls_in_flight(store: Store, sandbox: CMSSandbox) -> None:
    sandbox.delay = 0.2
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    client = cms_client(sandbox, pacing=False)

    original = client.create_course_record

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                in_flight -= 1

    client.create_course_record = counted  # type: ignore[method-assign]
    rec = Recorder(store, client, workers=2)
    rec.start()
    try:
        for n in range(6):
            rec.enqueue(rec.submit(typed(contact_id=str(1001 + n)), cli()).id)
        assert rec.wait_idle(20)
    finally:
        rec.stop()
        client.close()
    assert peak == 2
    assert store.count(State.RECORDED) == 6


def test_secrets_never_reach_the_database(tmp_path: Path, sandbox: CMSSandbox) -> None:
    path = tmp_path / "log.db"
    client = cms_client(sandbox)
    with Store(path) as store:
        rec = Recorder(store, client, retry_delays=())
        for fields in ({}, {"course_id": "999"}, {"contact_id": "424242"}):
            rec.process(rec.submit(typed(**fields), cli()).id)
        sandbox.lose_answer_next(method="POST")
        rec.process(rec.submit(typed(contact_id="1001"), cli()).id)
    client.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("log.db"))
    assert SANDBOX_SECRET_KEY.encode() not in raw
    assert b"sig=" not in raw
    assert not re.search(rb"[0-9a-f]{64}", raw)


def test_checked_is_what_submit_stores(recorder: Recorder) -> None:
    checked: Checked = recorder.check(typed(booked_at="1/11/2026"))
    submission = recorder.submit(typed(booked_at="1/11/2026"), cli(), checked=checked)
    assert submission.booked_at == dt.date(2026, 11, 1)
