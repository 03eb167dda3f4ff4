"""Correcting a record: the CMS client's PUT (respx), the sandbox's PUT over HTTP, the checks
of a correction, the core (`bot.correcting`) against the sandbox, the reply, the command."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from bot.cms.client import CMSClient
from bot.cms.models import CourseRecord, CourseRecordChanges
from bot.cms.signing import verify
from bot.correction import CANNOT_CLEAR, check_correction, describe_changes
from bot.errors import (
    CMSAnswerLost,
    CMSNotFound,
    CMSValidationError,
    SubmissionInvalid,
)
from bot.expiring import expiring
from bot.local.sandbox import CMSSandbox
from bot.recording import Recorder
from bot.slack.messages import CORRECT_ACTION, correction_message, outcome_message
from bot.store import CorrectionState, State, Store
from bot.submission import Origin, Typed
from tests.support.live_app import cms_client

BASE = "https://cms.test"
TODAY = dt.date(2025, 6, 1)


def record(**changes: object) -> CourseRecord:
    values: dict[str, object] = {
        "id": 5004,
        "contact_id": 1042,
        "course_id": 2,
        "qualification_id": 22,
        "booked_at": dt.date(2025, 2, 1),
        "attended_at": dt.date(2025, 3, 3),
        "completed_at": dt.date(2025, 3, 3),
        "expires_at": dt.date(2028, 3, 3),
        "course_name": "Safeguarding Foundations",
        "qualification_name": "Safeguarding Foundations certificate",
    }
    values.update(changes)
    return CourseRecord.model_validate(values)


def as_json(r: CourseRecord) -> dict[str, object]:
    return r.model_dump(mode="json")


@pytest.fixture
def client() -> Iterator[CMSClient]:
    http = httpx.Client(base_url=BASE, timeout=5)
    c = CMSClient(http, api_id="12", secret_key="secret", diocese_id=7, pacing=False)
    c.reconcile_settle = 0
    yield c
    c.close()


def params_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


# --- the client's PUT (respx) ------------------------------------------------------------------


@respx.mock
def test_put_sends_only_the_changes_signed(client: CMSClient) -> None:
    route = respx.put(f"{BASE}/v2/contacts/1042/courses/5004").mock(
        return_value=httpx.Response(200, json=as_json(record(completed_at=dt.date(2025, 3, 4))))
    )
    changes = CourseRecordChanges(completed_at=dt.date(2025, 3, 4))
    done = client.update_course_record(1042, 5004, changes)
    assert done.completed_at == dt.date(2025, 3, 4)
    [call] = route.calls
    sent = params_of(call.request)
    assert set(sent) == {"api_id", "data", "completed_at", "sig"}
    assert sent["completed_at"] == "2025-03-04"
    assert json.loads(sent["data"]) == {"diocese_id": 7}
    assert verify(sent, "secret")
    assert call.request.content == b""


@respx.mock
def test_put_maps_400_and_404(client: CMSClient) -> None:
    url = f"{BASE}/v2/contacts/1042/courses/5004"
    errors = {"error": {"message": "bad", "status_code": 400, "errors": {"expires_at": ["No."]}}}
    respx.put(url).mock(
        side_effect=[httpx.Response(400, json=errors), httpx.Response(404, json={})]
    )
    changes = CourseRecordChanges(expires_at=dt.date(2024, 1, 1))
    with pytest.raises(CMSValidationError) as refused:
        client.update_course_record(1042, 5004, changes)
    assert refused.value.errors == {"expires_at": ["No."]}
    with pytest.raises(CMSNotFound):
        client.update_course_record(1042, 5004, changes)


@respx.mock
def test_put_waits_out_a_429(client: CMSClient) -> None:
    slept: list[float] = []
    client._sleep = slept.append
    url = f"{BASE}/v2/contacts/1042/courses/5004"
    route = respx.put(url).mock(
        side_effect=[
            httpx.Response(429, json={"error": {"message": "You have made too many requests."}}),
            httpx.Response(200, json=as_json(record())),
        ]
    )
    client.update_course_record(1042, 5004, CourseRecordChanges(booked_at=dt.date(2025, 2, 1)))
    assert route.call_count == 2
    assert slept


@respx.mock
def test_a_lost_put_that_arrived_is_found_with_a_get_and_not_sent_again(
    client: CMSClient,
) -> None:
    put = respx.put(f"{BASE}/v2/contacts/1042/courses/5004").mock(
        side_effect=httpx.ReadTimeout("lost")
    )
    applied = record(completed_at=dt.date(2025, 3, 4))
    get = respx.get(f"{BASE}/v2/contacts/1042/courses").mock(
        return_value=httpx.Response(200, json=[as_json(applied)])
    )
    done = client.update_course_record(
        1042, 5004, CourseRecordChanges(completed_at=dt.date(2025, 3, 4))
    )
    assert done == applied
    assert put.call_count == 1
    assert get.call_count == 1


@respx.mock
def test_a_lost_put_that_did_not_arrive_is_sent_again_once_after_checking(
    client: CMSClient,
) -> None:
    applied = record(completed_at=dt.date(2025, 3, 4))
    put = respx.put(f"{BASE}/v2/contacts/1042/courses/5004").mock(
        side_effect=[
            httpx.RemoteProtocolError("dropped"),
            httpx.Response(200, json=as_json(applied)),
        ]
    )
    respx.get(f"{BASE}/v2/contacts/1042/courses").mock(
        return_value=httpx.Response(200, json=[as_json(record())])
    )
    done = client.update_course_record(
        1042, 5004, CourseRecordChanges(completed_at=dt.date(2025, 3, 4))
    )
    assert done == applied
    assert put.call_count == 2


@respx.mock
def test_a_put_lost_twice_is_answer_lost(client: CMSClient) -> None:
    respx.put(f"{BASE}/v2/contacts/1042/courses/5004").mock(
        side_effect=httpx.RemoteProtocolError("dropped")
    )
    respx.get(f"{BASE}/v2/contacts/1042/courses").mock(
        return_value=httpx.Response(200, json=[as_json(record())])
    )
    with pytest.raises(CMSAnswerLost):
        client.update_course_record(
            1042, 5004, CourseRecordChanges(completed_at=dt.date(2025, 3, 4))
        )


# --- the sandbox's PUT, over HTTP ------------------------------------------------------------


@pytest.fixture
def made(sandbox: CMSSandbox) -> dict[str, object]:
    return (
        sandbox.state.create_record(
            1042,
            {
                "course_id": "2",
                "qualification_id": "22",
                "attended_at": "2025-03-03",
                "completed_at": "2025-03-03",
                "expires_at": "2028-03-03",
            },
        )[0]
        or {}
    )


def put(sandbox: CMSSandbox, contact: int, record_id: int, **params: str) -> httpx.Response:
    from bot.cms.signing import signed
    from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY

    query = signed(
        {
            "api_id": SANDBOX_API_ID,
            "data": json.dumps({"diocese_id": SANDBOX_DIOCESE_ID}),
            **params,
        },
        SANDBOX_SECRET_KEY,
    )
    return httpx.put(f"{sandbox.base_url}/v2/contacts/{contact}/courses/{record_id}", params=query)


@pytest.mark.slow
def test_sandbox_put_changes_only_what_is_sent(sandbox: CMSSandbox, made: dict) -> None:
    answer = put(sandbox, 1042, made["id"], completed_at="2025-03-04")
    assert answer.status_code == 200
    body = answer.json()
    assert body["completed_at"] == "2025-03-04"
    assert body["attended_at"] == "2025-03-03"
    assert body["expires_at"] == "2028-03-03"
    assert body["qualification_id"] == 22
    [held] = sandbox.records(1042)
    assert held["completed_at"] == "2025-03-04"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"completed_at": "2025-03-02"}, "attended_at"),  # before attended: the whole record
        ({"expires_at": "2025-01-01"}, "expires_at"),
        ({"completed_at": "03/04/2025"}, "completed_at"),
        ({"qualification_id": "21"}, "qualification_id"),  # another course's
        ({"qualification_id": "999"}, "qualification_id"),
        ({"course_id": "1"}, "course_id"),
    ],
)
def test_sandbox_put_validates_the_whole_record(
    sandbox: CMSSandbox, made: dict, params: dict[str, str], field: str
) -> None:
    answer = put(sandbox, 1042, made["id"], **params)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["errors"]
    [held] = sandbox.records(1042)
    assert held["completed_at"] == "2025-03-03"


@pytest.mark.slow
def test_sandbox_put_404s(sandbox: CMSSandbox, made: dict) -> None:
    assert put(sandbox, 424242, made["id"], booked_at="2025-01-01").status_code == 404
    assert put(sandbox, 1042, 999999, booked_at="2025-01-01").status_code == 404
    other = sandbox.records(1001)[0]
    assert put(sandbox, 1042, other["id"], booked_at="2020-01-01").status_code == 404
    assert sandbox.records(1001)[0] == other


@pytest.mark.slow
def test_sandbox_can_lose_the_answer_of_a_put_it_applied(sandbox: CMSSandbox, made: dict) -> None:
    sandbox.lose_answer_next(method="PUT")
    with pytest.raises(httpx.TransportError):
        put(sandbox, 1042, made["id"], completed_at="2025-03-04")
    assert sandbox.records(1042)[0]["completed_at"] == "2025-03-04"


# --- the checks of a correction ----------------------------------------------------------------


def test_only_what_changes_is_sent() -> None:
    typed = Typed(
        qualification_id="22",
        booked_at="1 February 2025",
        attended_at="3 March 2025",
        completed_at="4 March 2025",
        expires_at="3 March 2028",
    )
    checked = check_correction(typed, record(), today=TODAY, blank_keeps=False)
    assert checked.changes.params() == {"completed_at": "2025-03-04"}


def test_the_whole_corrected_record_is_checked() -> None:
    # Only completed is given (the command line): it is checked against the record's expiry.
    with pytest.raises(SubmissionInvalid) as refused:
        check_correction(
            Typed(completed_at="4 March 2029"),
            record(),
            today=dt.date(2030, 1, 1),
            blank_keeps=True,
        )
    assert "expires_at" in refused.value.errors


def test_a_problem_the_record_already_had_does_not_stop_a_correction() -> None:
    old = record(
        expires_at=dt.date(2025, 5, 1),
        completed_at=dt.date(2022, 5, 1),
        attended_at=dt.date(2022, 5, 1),
        booked_at=None,
    )
    checked = check_correction(Typed(booked_at="1 April 2022"), old, today=TODAY, blank_keeps=True)
    assert checked.changes.params() == {"booked_at": "2022-04-01"}


def test_emptying_a_field_in_the_form_is_refused() -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        check_correction(Typed(qualification_id="22"), record(), today=TODAY, blank_keeps=False)
    assert refused.value.errors["completed_at"] == CANNOT_CLEAR


def test_changes_are_described_as_the_issue_says() -> None:
    lines = describe_changes(record(), record(completed_at=dt.date(2025, 3, 4)))
    assert lines == ["completed 3 March 2025 → 4 March 2025"]


# --- the core, against the sandbox -------------------------------------------------------------


@pytest.fixture
def core(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[Recorder]:
    store = Store(tmp_path / "log.db")
    client = cms_client(sandbox)
    noon = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    recorder = Recorder(store, client, retry_delays=(), now=lambda: noon)
    yield recorder
    client.close()
    store.close()


def recorded(core: Recorder) -> int:
    typed = Typed(
        contact_id="1042", course_id="2", completed_at="3 March 2025", expires_at="3 years"
    )
    submission = core.submit(typed, Origin(frontend="cli", user_name="maker"))
    core.process(submission.id)
    done = core.store.get(submission.id)
    assert done.state is State.RECORDED
    return submission.id


def correct(core: Recorder, record_id: int, **typed: str) -> object:
    corrector = core.corrections
    current = corrector.fetch(1042, record_id)
    checked = corrector.check(Typed(**typed), current, blank_keeps=True)
    c = corrector.submit(checked, current, Origin(frontend="cli", user_name="corrector"))
    return corrector.log.get(c.id)


@pytest.mark.slow
def test_a_correction_is_logged_linked_and_changes_the_expiry_expiring_reads(
    core: Recorder, sandbox: CMSSandbox
) -> None:
    submission_id = recorded(core)
    record_id = core.store.get(submission_id).record_id
    assert record_id is not None
    puts_before = [c for c in sandbox.calls if c[0] == "PUT"]
    correct(core, record_id, expires_at="1 July 2025")
    [c] = core.corrections.log.of_submissions([submission_id])[submission_id]
    assert c.state is CorrectionState.CORRECTED
    assert c.record_id == record_id
    assert c.user_name == "corrector"
    assert c.changes == {"expires_at": "2025-07-01"}
    assert len([x for x in sandbox.calls if x[0] == "PUT"]) == len(puts_before) + 1
    assert sandbox.records(1042)[-1]["expires_at"] == "2025-07-01"
    submission = core.store.get(submission_id)
    assert submission.expires_at == dt.date(2025, 7, 1)
    assert submission.user_name == "maker"
    soon = expiring(core.store, today=TODAY, days=90)
    assert [e.expires_at for e in soon] == [dt.date(2025, 7, 1)]
    assert "correction corrected" in [e["event"] for e in core.store.events(submission_id)]


@pytest.mark.slow
def test_nothing_changed_sends_nothing(core: Recorder, sandbox: CMSSandbox) -> None:
    record_id = core.store.get(recorded(core)).record_id
    assert record_id is not None
    c = correct(core, record_id, completed_at="3 March 2025")
    assert c.state is CorrectionState.UNCHANGED
    assert [x for x in sandbox.calls if x[0] == "PUT"] == []


@pytest.mark.slow
def test_a_record_changed_meanwhile_is_not_overwritten(core: Recorder, sandbox: CMSSandbox) -> None:
    record_id = core.store.get(recorded(core)).record_id
    assert record_id is not None
    corrector = core.corrections
    current = corrector.fetch(1042, record_id)  # the second person's form opens
    first = corrector.check(Typed(completed_at="5 March 2025"), current, blank_keeps=True)
    corrector.submit(first, current, Origin(frontend="cli", key="first"))
    second = corrector.check(Typed(completed_at="4 March 2025"), current, blank_keeps=True)
    c = corrector.log.get(
        corrector.submit(second, current, Origin(frontend="cli", key="second")).id
    )
    assert c.state is CorrectionState.CONFLICT
    assert c.meanwhile is not None
    assert c.meanwhile["completed_at"] == "2025-03-05"
    assert sandbox.records(1042)[-1]["completed_at"] == "2025-03-05"
    assert len([x for x in sandbox.calls if x[0] == "PUT"]) == 1
    text = correction_message(c)["text"]
    assert "completed 3 March 2025 → 5 March 2025" in text
    assert "not sent" in text


@pytest.mark.slow
def test_a_lost_answer_is_checked_and_the_record_corrected_once(
    core: Recorder, sandbox: CMSSandbox
) -> None:
    record_id = core.store.get(recorded(core)).record_id
    assert record_id is not None
    sandbox.lose_answer_next(method="PUT")
    c = correct(core, record_id, completed_at="4 March 2025")
    assert c.state is CorrectionState.CORRECTED
    assert len([x for x in sandbox.calls if x[0] == "PUT"]) == 1
    assert sandbox.records(1042)[-1]["completed_at"] == "2025-03-04"


@pytest.mark.slow
def test_a_correction_left_sending_is_resumed_with_a_get_first(
    core: Recorder, sandbox: CMSSandbox
) -> None:
    record_id = core.store.get(recorded(core)).record_id
    assert record_id is not None
    corrector = core.corrections
    current = corrector.fetch(1042, record_id)
    checked = corrector.check(Typed(completed_at="4 March 2025"), current, blank_keeps=True)
    # As if the process died with the PUT on its way and the CMS applied it.
    c, _ = corrector.log.create(
        {
            "key": "k",
            "frontend": "cli",
            "record_id": record_id,
            "contact_id": 1042,
            "before": current.model_dump(mode="json"),
            "changes": checked.changes.params(),
        }
    )
    corrector.log.claim(c.id, sent=checked.changes.params(), sent_at=dt.datetime.now(dt.UTC))
    sandbox.state.update_record(1042, record_id, checked.changes.params())
    core.start()
    try:
        assert core.wait_idle(10)
    finally:
        core.stop()
    done = corrector.log.get(c.id)
    assert done.state is CorrectionState.CORRECTED
    assert [x for x in sandbox.calls if x[0] == "PUT"] == []
    assert (
        "correction reconciled" in [e["event"] for e in core.store.events(done.submission_id or 0)]
        or done.submission_id is None
    )


# --- messages ------------------------------------------------------------------------------------


def test_success_replies_offer_correct_and_explain_mistakes(core: Recorder) -> None:
    from bot.store import Submission

    now = dt.datetime.now(dt.UTC)
    s = Submission(
        id=3,
        key="k",
        state=State.RECORDED,
        frontend="slack",
        contact_id=1042,
        course_id=2,
        typed={},
        assumed=[],
        notes={},
        created_at=now,
        updated_at=now,
        record_id=5004,
        course_name="Safeguarding Foundations",
    )
    message = outcome_message(s)
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(CORRECT_ACTION, "3")]
    assert "Recorded by mistake?" in json.dumps(message["blocks"])
    assert "delete" not in json.dumps([b["text"]["text"] for b in buttons]).lower()
