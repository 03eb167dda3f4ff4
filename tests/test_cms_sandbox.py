"""The CMS client against the running sandbox over real HTTP on 127.0.0.1.

Every status path of the client, the lost answer that must not create a second record, a 429
storm that ends in success, and the sandbox's own rules (signature, diocese, validation,
pagination, rate limits, persistence, the `sandbox` command).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.cms.client import CMSClient
from bot.cms.models import NewCourseRecord
from bot.cms.signing import signed
from bot.errors import (
    CMSAnswerLost,
    CMSAuthError,
    CMSError,
    CMSNotFound,
    CMSUnavailable,
    CMSValidationError,
    ConfigError,
)
from bot.local.sandbox import (
    SANDBOX_API_ID,
    SANDBOX_DIOCESE_ID,
    SANDBOX_SECRET_KEY,
    CMSSandbox,
    run_sandbox,
)
from tests.support.cms_fixtures import FakeTime
from tests.support.live_app import cms_client

# Every test here talks to a sandbox on 127.0.0.1 (or to where one was).
pytestmark = pytest.mark.slow

FOUNDATIONS = NewCourseRecord(
    course_id=2,
    qualification_id=22,
    booked_at=dt.date(2025, 2, 1),
    attended_at=dt.date(2025, 3, 1),
    completed_at=dt.date(2025, 3, 1),
    expires_at=dt.date(2028, 3, 1),
)
DATA = json.dumps({"diocese_id": SANDBOX_DIOCESE_ID})


def raw(
    sandbox: CMSSandbox,
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    *,
    secret: str = SANDBOX_SECRET_KEY,
    form: bool = False,
) -> httpx.Response:
    """One call signed by hand, to reach what the typed client never sends."""
    query = signed({"api_id": SANDBOX_API_ID, "data": DATA, **(params or {})}, secret)
    with httpx.Client(base_url=sandbox.base_url) as http:
        if form:
            return http.request(method, path, data=query)
        return http.request(method, path, params=query)


# --- the happy paths --------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["query", "form"])
def test_create_a_course_record(sandbox: CMSSandbox, transport: str) -> None:
    with cms_client(sandbox, write_transport=transport) as cms:
        record = cms.create_course_record(1042, FOUNDATIONS)
    assert record.contact_id == 1042
    assert record.course_name == "Safeguarding Foundations"
    assert record.qualification_name == "Safeguarding Foundations certificate"
    assert record.expires_at == dt.date(2028, 3, 1)
    held = sandbox.records(1042)
    assert len(held) == 1
    assert held[0]["id"] == record.id
    assert held[0]["booked_at"] == "2025-02-01"
    assert sandbox.calls == [("POST", "/v2/contacts/1042/courses", 200)]


def test_list_and_find_course_records(sandbox: CMSSandbox, cms: CMSClient) -> None:
    assert [r.id for r in cms.list_course_records(1001)] == [5001, 5002]
    assert cms.list_course_records(1010) == []  # no post, still addressable by id
    created = cms.create_course_record(1010, FOUNDATIONS)
    assert cms.find_course_record(1010, FOUNDATIONS) == created
    since = dt.datetime.now(dt.UTC)
    assert cms.find_course_record(1010, FOUNDATIONS, since=since) == created
    assert cms.find_course_record(1001, FOUNDATIONS, since=since) is None


def test_list_courses_and_an_awkward_name(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.add_course("<!channel> & *bold*", id=99)
    courses = {c.id: c for c in cms.list_courses()}
    assert courses[1].name == "Safeguarding Basic Awareness"
    assert courses[4].name == "Safeguarding Senior Leadership"
    assert courses[2].national_course_id == 102
    assert courses[99].name == "<!channel> & *bold*"
    assert len(courses) == 9


def test_list_courses_across_pages(sandbox: CMSSandbox, cms: CMSClient) -> None:
    for n in range(245):
        sandbox.add_course(f"Course {n}")
    assert len(cms.list_courses()) == 253
    assert [c for c in sandbox.calls if c[1] == "/v2/courses"] == [("GET", "/v2/courses", 200)] * 3


def test_pagination_headers_and_signed_links(sandbox: CMSSandbox) -> None:
    first = raw(sandbox, "GET", "/v2/courses", {"limit": "3", "offset": "0"})
    assert first.headers["X-Total-Count"] == "8"
    assert [c["id"] for c in first.json()] == [1, 2, 3]
    links = httpx.Response(200, headers={"Link": first.headers["Link"]}).links
    assert set(links) == {"next"}
    with httpx.Client() as http:
        second = http.get(links["next"]["url"])
        assert [c["id"] for c in second.json()] == [4, 5, 6]
        assert set(second.links) == {"next", "prev"}
        third = http.get(second.links["next"]["url"])
        assert [c["id"] for c in third.json()] == [7, 8]
        assert set(third.links) == {"prev"}
        back = http.get(third.links["prev"]["url"])
        assert [c["id"] for c in back.json()] == [4, 5, 6]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"limit": "0"}, {"limit": ["The limit must be between 1 and 1000."]}),
        ({"limit": "1001"}, {"limit": ["The limit must be between 1 and 1000."]}),
        ({"offset": "-1"}, {"offset": ["The offset must be an integer."]}),
    ],
)
def test_pagination_bounds(sandbox: CMSSandbox, params: dict[str, str], errors: Any) -> None:
    answer = raw(sandbox, "GET", "/v2/courses", params)
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"] == errors


def test_search_contacts(cms: CMSClient) -> None:
    assert [c.id for c in cms.search_contacts("holloway")] == [1001]
    assert [c.display_name for c in cms.search_contacts("maggie")] == ["Maggie Holloway"]
    found = cms.search_contacts("okafor")[0]
    assert (found.parish, found.post) == ("St Peter, Thornbury", "Parish Safeguarding Officer")
    # Names only by default; parish and post when asked.
    assert cms.search_contacts("Thornbury") == []
    assert [c.id for c in cms.search_contacts("Thornbury", names_only=False)] == [1002, 1003]
    # v2.4 returns only contacts holding a post.
    assert cms.search_contacts("Fairclough") == []
    assert len(cms.search_contacts("", limit=5)) == 5


def test_search_honours_fields(sandbox: CMSSandbox) -> None:
    answer = raw(sandbox, "GET", "/v2/contacts", {"fields": '{"contact":["surname"]}'})
    assert answer.json()[0] == {"id": 1001, "surname": "Holloway"}


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "errors"),
    [
        (
            NewCourseRecord(course_id=404),
            {"course_id": ["The selected course id is invalid."]},
        ),
        (
            NewCourseRecord(course_id=2, qualification_id=999),
            {"qualification_id": ["The selected qualification id is invalid."]},
        ),
        (
            NewCourseRecord(course_id=2, qualification_id=23),
            {
                "qualification_id": [
                    "The selected qualification id does not belong to the selected course."
                ]
            },
        ),
        (
            NewCourseRecord(
                course_id=2, booked_at=dt.date(2025, 3, 2), completed_at=dt.date(2025, 3, 1)
            ),
            {"booked_at": ["The booked at must be a date before or equal to completed at."]},
        ),
        (
            NewCourseRecord(
                course_id=2, attended_at=dt.date(2025, 3, 2), completed_at=dt.date(2025, 3, 1)
            ),
            {"attended_at": ["The attended at must be a date before or equal to completed at."]},
        ),
        (
            NewCourseRecord(
                course_id=2, booked_at=dt.date(2025, 3, 2), attended_at=dt.date(2025, 3, 1)
            ),
            {"booked_at": ["The booked at must be a date before or equal to attended at."]},
        ),
        (
            NewCourseRecord(
                course_id=2, completed_at=dt.date(2025, 3, 1), expires_at=dt.date(2025, 3, 1)
            ),
            {"expires_at": ["The expires at must be a date after completed at."]},
        ),
    ],
    ids=[
        "unknown-course",
        "unknown-qualification",
        "qualification-of-another-course",
        "booked-after-completed",
        "attended-after-completed",
        "booked-after-attended",
        "expires-not-after-completed",
    ],
)
def test_validation(
    sandbox: CMSSandbox, cms: CMSClient, record: NewCourseRecord, errors: Any
) -> None:
    with pytest.raises(CMSValidationError) as caught:
        cms.create_course_record(1042, record)
    assert caught.value.errors == errors
    assert sandbox.records(1042) == []


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"course_id": ["The course id field is required."]}),
        ({"course_id": "two"}, {"course_id": ["The course id must be an integer."]}),
        (
            {"course_id": "2", "completed_at": "2025-13-01"},
            {"completed_at": ["The completed at is not a valid date (YYYY-MM-DD)."]},
        ),
        (
            {"course_id": "2", "booked_at": "01/03/2025"},
            {"booked_at": ["The booked at is not a valid date (YYYY-MM-DD)."]},
        ),
    ],
)
def test_validation_of_what_the_client_never_sends(
    sandbox: CMSSandbox, params: dict[str, str], errors: Any
) -> None:
    answer = raw(sandbox, "POST", "/v2/contacts/1042/courses", params, form=True)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {"message": "The given data was invalid.", "status_code": 400, "errors": errors}
    }


def test_unknown_contact(sandbox: CMSSandbox, cms: CMSClient) -> None:
    with pytest.raises(CMSNotFound, match="no contact 999"):
        cms.create_course_record(999, FOUNDATIONS)
    with pytest.raises(CMSNotFound):
        cms.list_course_records(999)
    assert sandbox.records(999) == []
    assert [c[2] for c in sandbox.calls] == [404, 404]


@pytest.mark.parametrize(
    ("credentials", "status"),
    [
        ({"secret_key": "wrong"}, 401),
        ({"api_id": "someone-else"}, 401),
        ({"diocese_id": 8}, 403),
    ],
    ids=["bad-signature", "unknown-api-id", "another-diocese"],
)
def test_credentials_refused(sandbox: CMSSandbox, credentials: Any, status: int) -> None:
    with cms_client(sandbox, **credentials) as cms, pytest.raises(CMSAuthError) as caught:
        cms.create_course_record(1042, FOUNDATIONS)
    assert caught.value.status_code == status
    assert "wrong" not in caught.value.message
    assert sandbox.records(1042) == []


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (None, {"data": ["The data field is required."]}),
        ("[7]", {"data": ["The data must be a JSON object."]}),
        ("{}", {"diocese_id": ["The diocese id field is required."]}),
        ('{"diocese_id": "seven"}', {"diocese_id": ["The diocese id must be an integer."]}),
    ],
)
def test_diocese_id_is_required(sandbox: CMSSandbox, data: str | None, errors: Any) -> None:
    params = {"api_id": SANDBOX_API_ID} | ({"data": data} if data is not None else {})
    with httpx.Client(base_url=sandbox.base_url) as http:
        answer = http.get("/v2/courses", params=signed(params, SANDBOX_SECRET_KEY))
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"] == errors


def test_a_signature_over_the_merged_query_and_form(sandbox: CMSSandbox) -> None:
    params = signed({"api_id": SANDBOX_API_ID, "data": DATA, "course_id": "2"}, SANDBOX_SECRET_KEY)
    with httpx.Client(base_url=sandbox.base_url) as http:
        answer = http.post(
            "/v2/contacts/1042/courses",
            params={"api_id": params["api_id"], "sig": params["sig"]},
            data={"data": params["data"], "course_id": "2"},
        )
        tampered = http.post(
            "/v2/contacts/1042/courses",
            params={"api_id": params["api_id"], "sig": params["sig"]},
            data={"data": params["data"], "course_id": "3"},
        )
    assert answer.status_code == 200
    assert tampered.status_code == 401
    assert len(sandbox.records(1042)) == 1


def test_unknown_paths_and_methods(sandbox: CMSSandbox) -> None:
    assert raw(sandbox, "GET", "/v2/qualifications").status_code == 404
    assert raw(sandbox, "DELETE", "/v2/contacts/1042/courses").status_code == 405
    assert raw(sandbox, "POST", "/v2/courses").status_code == 405


# --- faults: the CMS failing ----------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_on_a_read_is_unavailable(sandbox: CMSSandbox, cms: CMSClient, status: int) -> None:
    sandbox.fail_next(status)
    with pytest.raises(CMSUnavailable, match=f"HTTP {status}"):
        cms.list_courses()
    assert len(cms.list_courses()) == 8  # once only


def test_unreadable_answer_is_unavailable(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.fail_next(200, body="<html>maintenance</html>")
    with pytest.raises(CMSUnavailable, match="could not be read"):
        cms.list_course_records(1001)


@pytest.mark.parametrize(("status", "kind"), [(410, CMSError), (404, CMSNotFound)])
def test_other_statuses(
    sandbox: CMSSandbox, cms: CMSClient, status: int, kind: type[CMSError]
) -> None:
    sandbox.fail_next(status)
    with pytest.raises(kind) as caught:
        cms.list_course_records(1001)
    assert caught.value.status_code == status


def test_dropped_connection_on_a_read(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.drop_next()
    with pytest.raises(CMSUnavailable, match="connection to the CMS failed"):
        cms.list_courses()
    assert sandbox.calls == [("GET", "/v2/courses", None)]


def test_slow_cms_times_out(sandbox: CMSSandbox) -> None:
    sandbox.delay = 0.5
    with (
        cms_client(sandbox, timeout=0.1) as cms,
        pytest.raises(CMSUnavailable, match="did not answer in time"),
    ):
        cms.list_courses()


def test_unreachable_cms() -> None:
    with CMSSandbox() as gone:
        url = gone.base_url
    with (
        CMSClient(
            httpx.Client(base_url=url, timeout=1.0),
            api_id=SANDBOX_API_ID,
            secret_key=SANDBOX_SECRET_KEY,
            diocese_id=SANDBOX_DIOCESE_ID,
        ) as cms,
        pytest.raises(CMSUnavailable, match="could not be reached"),
    ):
        cms.list_courses()


# --- lost answers: never a second record ------------------------------------------------------


def test_lost_answer_is_reconciled_not_repeated(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.lose_answer_next()
    record = cms.create_course_record(1042, FOUNDATIONS)
    held = sandbox.records(1042)
    assert [r["id"] for r in held] == [record.id]
    assert sandbox.calls == [
        ("POST", "/v2/contacts/1042/courses", None),
        ("GET", "/v2/contacts/1042/courses", 200),
    ]


def test_5xx_after_the_write_took_effect(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.fail_next(502, method="POST", commit=True)
    record = cms.create_course_record(1042, FOUNDATIONS)
    assert [r["id"] for r in sandbox.records(1042)] == [record.id]


def test_answer_too_slow_after_the_write_took_effect(sandbox: CMSSandbox) -> None:
    sandbox.stall_next(2.0, method="POST")
    with cms_client(sandbox, timeout=0.2) as cms:
        record = cms.create_course_record(1042, FOUNDATIONS)
    assert [r["id"] for r in sandbox.records(1042)] == [record.id]


def test_write_lost_before_it_took_effect_is_sent_again(
    sandbox: CMSSandbox, cms: CMSClient
) -> None:
    sandbox.drop_next(method="POST")
    record = cms.create_course_record(1042, FOUNDATIONS)
    assert [r["id"] for r in sandbox.records(1042)] == [record.id]
    assert [c for c in sandbox.calls if c[0] == "POST"] == [
        ("POST", "/v2/contacts/1042/courses", None),
        ("POST", "/v2/contacts/1042/courses", 200),
    ]


def test_write_lost_twice_before_it_took_effect(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.fail_next(500, times=2, method="POST")
    with pytest.raises(CMSUnavailable, match="nothing was recorded"):
        cms.create_course_record(1042, FOUNDATIONS)
    assert sandbox.records(1042) == []


def test_lost_answer_that_cannot_be_checked(sandbox: CMSSandbox, cms: CMSClient) -> None:
    sandbox.lose_answer_next()
    sandbox.fail_next(503, method="GET")
    with pytest.raises(CMSAnswerLost):
        cms.create_course_record(1042, FOUNDATIONS)
    assert len(sandbox.records(1042)) == 1  # it was recorded; the CMS could not say so


def test_renewal_of_an_identical_record_is_still_one_new_record(
    sandbox: CMSSandbox, cms: CMSClient
) -> None:
    first = cms.create_course_record(1042, FOUNDATIONS)
    sandbox.lose_answer_next()
    second = cms.create_course_record(1042, FOUNDATIONS)
    assert second.id > first.id  # the newest match, not the older twin
    assert len(sandbox.records(1042)) == 2


# --- rate limits --------------------------------------------------------------------------------


def test_rate_headers(sandbox: CMSSandbox, cms: CMSClient) -> None:
    cms.list_course_records(1001)
    assert (cms.rate_limit, cms.rate_limit_remaining) == (60, 59)
    sandbox.legacy_rate_headers = True
    cms.list_course_records(1001)
    assert cms.rate_limit_remaining == 58
    answer = raw(sandbox, "GET", "/v2/courses")
    assert answer.headers["X-Rate-Limit-Remaining"] == "57"
    assert "X-RateLimit-Remaining" not in answer.headers


def test_429_body_and_headers(sandbox: CMSSandbox) -> None:
    sandbox.rate_limit = 1
    assert raw(sandbox, "GET", "/v2/courses").status_code == 200
    answer = raw(sandbox, "GET", "/v2/courses")
    assert answer.status_code == 429
    assert answer.json() == {
        "error": {"message": "You have made too many requests.", "status_code": 429}
    }
    assert answer.headers["X-RateLimit-Limit"] == "1"
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in answer.headers
    sandbox.reset_rate_limits()
    assert raw(sandbox, "GET", "/v2/courses").status_code == 200


def test_429_storm_ends_in_success() -> None:
    with CMSSandbox(rate_limit=3, window=1.0) as sandbox:
        started = time.monotonic()
        with cms_client(sandbox, pacing=False) as cms:
            for _ in range(7):
                assert cms.create_course_record(1042, FOUNDATIONS).course_id == 2
        took = time.monotonic() - started
        statuses = [status for _method, _path, status in sandbox.calls]
        assert statuses.count(200) == 7
        assert statuses.count(429) >= 2
        assert len(sandbox.records(1042)) == 7  # a 429 is never a lost write
        assert took < 6


def test_pacing_avoids_the_storm() -> None:
    with CMSSandbox(rate_limit=3, window=1.0) as sandbox:
        with cms_client(sandbox, rate_window=1.0) as cms:
            for _ in range(7):
                cms.list_course_records(1001)
        statuses = [status for _method, _path, status in sandbox.calls]
        assert statuses == [200] * 7


def test_429_storm_from_another_program_sharing_the_api_id(sandbox: CMSSandbox) -> None:
    sandbox.fail_next(429, times=3)
    fake = FakeTime()
    with cms_client(sandbox, sleep=fake.sleep) as cms:
        assert len(cms.list_courses()) == 8
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_retry_after_from_the_cms_is_honoured(sandbox: CMSSandbox) -> None:
    sandbox.fail_next(429, headers={"Retry-After": "0"})
    sandbox.send_retry_after = True
    fake = FakeTime()
    with cms_client(sandbox, sleep=fake.sleep) as cms:
        cms.list_courses()
    assert fake.sleeps == [0.0]


def test_sandbox_sends_retry_after_when_asked() -> None:
    with CMSSandbox(rate_limit=1, window=30.0) as sandbox:
        sandbox.send_retry_after = True
        raw(sandbox, "GET", "/v2/courses")
        answer = raw(sandbox, "GET", "/v2/courses")
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 30


def test_rate_limits_are_per_api_id(sandbox: CMSSandbox) -> None:
    sandbox.rate_limit = 1
    sandbox.add_credentials("other", "other-secret", SANDBOX_DIOCESE_ID)
    with (
        cms_client(sandbox, pacing=False) as mine,
        cms_client(sandbox, api_id="other", secret_key="other-secret") as theirs,
    ):
        mine.list_course_records(1001)
        theirs.list_course_records(1001)
        assert theirs.rate_limit_remaining == 0


# --- keeping the data, and the command --------------------------------------------------------


def test_data_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cms.json"
    with CMSSandbox(data_path=path) as sandbox, cms_client(sandbox) as cms:
        sandbox.add_contact("Ada", "Lovelace", id=2001, post="Verger", parish="St Anne")
        first = cms.create_course_record(2001, FOUNDATIONS)
    with CMSSandbox(data_path=path) as sandbox, cms_client(sandbox) as cms:
        assert cms.list_course_records(2001) == [first]
        second = cms.create_course_record(2001, FOUNDATIONS)
        assert [c.id for c in cms.search_contacts("lovelace")] == [2001]
    assert second.id == first.id + 1
    assert len(json.loads(path.read_text())["records"]) == 5


def test_stop_closes_kept_alive_connections(sandbox: CMSSandbox, cms: CMSClient) -> None:
    cms.list_courses()
    sandbox.stop()
    with pytest.raises(CMSUnavailable):
        cms.list_courses()


def test_sandbox_command_refuses_a_port_in_use(sandbox: CMSSandbox) -> None:
    port = int(sandbox.base_url.rsplit(":", 1)[1])
    with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*--port"):
        run_sandbox(port=port)


@pytest.mark.slow
def test_sandbox_command_prints_settings_and_serves(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMS_", "SLACK_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--data", str(tmp_path / "d.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(5)]
        settings = dict(line.split("=", 1) for line in lines[1:])
        rest = []
        while "Ctrl-C stops" not in (line := process.stdout.readline()):
            assert line, "the sandbox stopped early"
            rest.append(line)
        assert settings["CMS_API_ID"] == SANDBOX_API_ID
        assert settings["CMS_SECRET_KEY"] == SANDBOX_SECRET_KEY
        assert settings["CMS_DIOCESE_ID"] == str(SANDBOX_DIOCESE_ID)
        with CMSClient(
            httpx.Client(base_url=settings["CMS_BASE_URL"], timeout=5.0),
            api_id=settings["CMS_API_ID"],
            secret_key=settings["CMS_SECRET_KEY"],
            diocese_id=int(settings["CMS_DIOCESE_ID"]),
        ) as cms:
            assert len(cms.list_courses()) == 8
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err + out
    shown = "".join(rest)
    assert "  2: Safeguarding Foundations  [22 Safeguarding Foundations certificate]" in shown
    assert "  1011: Mr Robert William Fairclough (no post)" in shown
    assert (tmp_path / "d.json").exists()
