"""The CMS client (`bot.cms.client`) against respx: every status path, pacing and back-off.

Time is fake (`FakeTime`): sleeps are recorded and move the clock, so nothing waits.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from bot.cms.client import CMSClient
from bot.cms.models import NewCourseRecord
from bot.cms.signing import sign
from bot.errors import (
    CMSAnswerLost,
    CMSAuthError,
    CMSError,
    CMSNotFound,
    CMSRateLimited,
    CMSUnavailable,
    CMSValidationError,
    ConfigError,
)
from bot.settings import Settings
from tests.support.cms_fixtures import SECRET, WALL, FakeTime, rate, record_json, sent_params

BASE = "https://cms.test"
COURSES = "/v2/contacts/1042/courses"
RECORD = NewCourseRecord(course_id=2, completed_at=dt.date(2025, 3, 1))
TOO_MANY = {"error": {"message": "You have made too many requests.", "status_code": 429}}


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def make(fake: FakeTime) -> Iterator[Callable[..., CMSClient]]:
    made: list[CMSClient] = []

    def build(**kwargs: Any) -> CMSClient:
        kwargs.setdefault("sleep", fake.sleep)
        kwargs.setdefault("clock", fake.clock)
        kwargs.setdefault("now", lambda: WALL)
        client = CMSClient(
            httpx.Client(base_url=BASE), api_id="12", secret_key=SECRET, diocese_id=7, **kwargs
        )
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def cms(make: Callable[..., CMSClient]) -> CMSClient:
    return make()


def json_answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


# --- signing and transport ------------------------------------------------------------------


def test_create_sends_signed_query_with_empty_body(
    router: respx.MockRouter, cms: CMSClient
) -> None:
    route = router.post(COURSES).mock(return_value=json_answer(200, record_json()))
    record = cms.create_course_record(1042, RECORD)

    assert record.id == 5001
    assert record.completed_at == dt.date(2025, 3, 1)
    assert record.course_name == "Safeguarding Foundations"
    request = route.calls.last.request
    assert request.content == b""
    params = dict(request.url.params)
    assert params == {
        "api_id": "12",
        "data": '{"diocese_id":7}',
        "course_id": "2",
        "completed_at": "2025-03-01",
        "sig": sign(
            {
                "api_id": "12",
                "data": '{"diocese_id":7}',
                "course_id": "2",
                "completed_at": "2025-03-01",
            },
            SECRET,
        ),
    }


def test_create_matches_the_documented_vector(
    router: respx.MockRouter, make: Callable[..., CMSClient]
) -> None:
    route = router.post("/v2/contacts/1/courses").mock(
        return_value=json_answer(200, record_json(contact_id=1, course_id=3))
    )
    make().create_course_record(1, NewCourseRecord(course_id=3, completed_at=dt.date(2025, 3, 1)))
    assert route.calls.last.request.url.params["sig"] == (
        "b59af1ac923b20e031610be1d77af6209fbca99a5b2845834d4c6a1a4fc57d6b"
    )


def test_form_transport_puts_the_parameters_in_the_body(
    router: respx.MockRouter, make: Callable[..., CMSClient]
) -> None:
    route = router.post(COURSES).mock(return_value=json_answer(200, record_json()))
    make(write_transport="form").create_course_record(1042, RECORD)

    request = route.calls.last.request
    assert request.url.query == b""
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    params = sent_params(request)
    assert params["course_id"] == "2"
    assert params["sig"] == sign({k: v for k, v in params.items() if k != "sig"}, SECRET)


def test_form_transport_leaves_reads_in_the_query(
    router: respx.MockRouter, make: Callable[..., CMSClient]
) -> None:
    route = router.get(COURSES).mock(return_value=json_answer(200, []))
    make(write_transport="form").list_course_records(1042)
    assert route.calls.last.request.content == b""
    assert "sig" in route.calls.last.request.url.params


def test_unknown_transport_is_a_config_error() -> None:
    with httpx.Client() as http, pytest.raises(ConfigError, match="CMS_WRITE_TRANSPORT"):
        CMSClient(http, api_id="1", secret_key="s", diocese_id=1, write_transport="body")  # type: ignore[arg-type]


# --- reads ------------------------------------------------------------------------------------


def test_list_course_records(router: respx.MockRouter, cms: CMSClient) -> None:
    route = router.get(COURSES).mock(
        return_value=json_answer(
            200,
            [
                record_json(),
                record_json(
                    id=5002,
                    qualification_id=22,
                    qualification_name="Safeguarding Foundations certificate",
                    expires_at="2028-03-01",
                ),
            ],
        )
    )
    records = cms.list_course_records(1042)
    assert [r.id for r in records] == [5001, 5002]
    assert records[1].expires_at == dt.date(2028, 3, 1)
    assert "start_date" not in route.calls.last.request.url.params


def test_find_returns_the_newest_exact_match(router: respx.MockRouter, cms: CMSClient) -> None:
    router.get(COURSES).mock(
        return_value=json_answer(
            200,
            [
                record_json(id=5009),
                record_json(id=5012),
                record_json(id=5015, qualification_id=22),  # another qualification
                record_json(id=5016, completed_at="2025-03-02"),  # another day
                record_json(id=5017, course_id=3),
            ],
        )
    )
    found = cms.find_course_record(1042, RECORD)
    assert found is not None
    assert found.id == 5012


def test_find_returns_none_without_a_match(router: respx.MockRouter, cms: CMSClient) -> None:
    router.get(COURSES).mock(return_value=json_answer(200, [record_json(course_id=3)]))
    assert cms.find_course_record(1042, RECORD) is None


def test_find_since_filters_on_start_date_with_a_margin(
    router: respx.MockRouter, cms: CMSClient
) -> None:
    route = router.get(COURSES).mock(return_value=json_answer(200, []))
    london = dt.timezone(dt.timedelta(hours=1))
    cms.find_course_record(1042, RECORD, since=dt.datetime(2026, 6, 1, 12, 30, 45, tzinfo=london))
    # 12:30:45 at UTC+1 is 11:30:45 UTC; ten minutes earlier, to the minute.
    assert route.calls.last.request.url.params["start_date"] == "2026-06-01 11:20"


def test_find_since_must_be_aware(cms: CMSClient) -> None:
    with pytest.raises(ValueError, match="aware"):
        cms.find_course_record(1042, RECORD, since=dt.datetime(2026, 6, 1, 12, 0))


def test_list_courses_fetches_every_page(router: respx.MockRouter, cms: CMSClient) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["sig"] == sign({k: v for k, v in params.items() if k != "sig"}, SECRET)
        offset, limit = int(params["offset"]), int(params["limit"])
        items = [
            {"id": i, "name": f"Course {i}"}
            for i in range(offset + 1, min(offset + limit, 237) + 1)
        ]
        return json_answer(200, items, {"X-Total-Count": "999"})  # unreliable, ignored

    route = router.get("/v2/courses").mock(side_effect=page)
    courses = cms.list_courses()
    assert [c.id for c in courses] == list(range(1, 238))
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "100", "200"]
    assert {c.request.url.params["limit"] for c in route.calls} == {"100"}


def test_list_courses_stops_on_an_empty_page(router: respx.MockRouter, cms: CMSClient) -> None:
    full = [{"id": i, "name": f"Course {i}", "national_course_id": None} for i in range(100)]
    route = router.get("/v2/courses").mock(
        side_effect=[json_answer(200, full), json_answer(200, [])]
    )
    assert len(cms.list_courses()) == 100
    assert route.call_count == 2


def test_search_contacts(router: respx.MockRouter, cms: CMSClient) -> None:
    route = router.get("/v2/contacts").mock(
        return_value=json_answer(
            200,
            [
                {
                    "id": 1001,
                    "forenames": "Margaret Anne",
                    "surname": "Holloway",
                    "known_as_forenames": "Maggie",
                    "extra": 1,
                },
                {"id": 1002, "forenames": "David", "surname": "Holloway"},
            ],
        )
    )
    contacts = cms.search_contacts("holloway", limit=1)
    assert [c.display_name for c in contacts] == ["Maggie Holloway"]
    params = route.calls.last.request.url.params
    assert params["data"] == '{"diocese_id":7,"keyword":"holloway","keyword_names_only":"on"}'
    assert params["limit"] == "1"
    assert params["fields"].startswith('{"contact":["id",')
    assert params["sig"] == sign({k: v for k, v in params.items() if k != "sig"}, SECRET)


def test_search_contacts_beyond_names(router: respx.MockRouter, cms: CMSClient) -> None:
    route = router.get("/v2/contacts").mock(return_value=json_answer(200, []))
    assert cms.search_contacts("Thornbury", names_only=False) == []
    assert route.calls.last.request.url.params["data"] == '{"diocese_id":7,"keyword":"Thornbury"}'


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"errors": {"course_id": ["The selected course id is invalid."]}},
        {
            "error": {
                "message": "Invalid",
                "status_code": 400,
                "errors": {"course_id": ["The selected course id is invalid."]},
            }
        },
        {"errors": {"course_id": "The selected course id is invalid."}},
    ],
    ids=["top-level", "inside-error", "bare-string"],
)
def test_400_carries_the_messages_per_parameter(
    router: respx.MockRouter, cms: CMSClient, body: object
) -> None:
    router.post(COURSES).mock(return_value=json_answer(400, body))
    with pytest.raises(CMSValidationError) as caught:
        cms.create_course_record(1042, RECORD)
    assert caught.value.errors == {"course_id": ["The selected course id is invalid."]}
    assert caught.value.status_code == 400
    assert caught.value.body == body
    assert "course_id: The selected course id is invalid." in caught.value.message


def test_400_without_errors_gives_the_cms_message(router: respx.MockRouter, cms: CMSClient) -> None:
    router.post(COURSES).mock(
        return_value=json_answer(
            400, {"error": {"message": "Bad  data\nfield", "status_code": 400}}
        )
    )
    with pytest.raises(CMSValidationError) as caught:
        cms.create_course_record(1042, RECORD)
    assert caught.value.errors == {}
    assert caught.value.message == "The CMS refused the request: Bad data field"


def test_400_with_a_body_that_is_not_json(router: respx.MockRouter, cms: CMSClient) -> None:
    router.post(COURSES).mock(return_value=httpx.Response(400, text="<html>Bad Request</html>"))
    with pytest.raises(CMSValidationError) as caught:
        cms.create_course_record(1042, RECORD)
    assert caught.value.message == "The CMS refused the request: no reason given"
    assert caught.value.body == "<html>Bad Request</html>"


@pytest.mark.parametrize("method", ["create", "list"])
def test_404_is_an_unknown_contact(router: respx.MockRouter, cms: CMSClient, method: str) -> None:
    router.route(path=COURSES).mock(
        return_value=json_answer(
            404, {"error": {"message": "Contact not found.", "status_code": 404}}
        )
    )
    call: Callable[[], object] = (
        (lambda: cms.create_course_record(1042, RECORD))
        if method == "create"
        else (lambda: cms.list_course_records(1042))
    )
    with pytest.raises(CMSNotFound, match="no contact 1042") as caught:
        call()
    assert caught.value.status_code == 404


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_credential_errors(
    router: respx.MockRouter, cms: CMSClient, status: int
) -> None:
    router.get("/v2/courses").mock(
        return_value=json_answer(
            status, {"error": {"message": "Invalid signature.", "status_code": status}}
        )
    )
    with pytest.raises(CMSAuthError) as caught:
        cms.list_courses()
    assert caught.value.status_code == status
    assert "Invalid signature." in caught.value.message
    assert "CMS_SECRET_KEY" in caught.value.message
    assert SECRET not in caught.value.message.replace("CMS_SECRET_KEY", "")


@pytest.mark.parametrize(("status", "words"), [(410, "gone"), (418, "HTTP 418")])
def test_other_statuses_are_cms_errors(
    router: respx.MockRouter, cms: CMSClient, status: int, words: str
) -> None:
    router.get("/v2/courses").mock(return_value=json_answer(status, {}))
    with pytest.raises(CMSError, match=words) as caught:
        cms.list_courses()
    assert type(caught.value) is CMSError
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"error": {"message": "Server Error", "status_code": 500}}),
        httpx.Response(502, text="Bad gateway"),
        httpx.Response(503),
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"not": "a list"}),
        httpx.Response(200, json=[{"id": "not a number"}]),
    ],
    ids=["500", "502", "503", "200-not-json", "200-not-a-list", "200-wrong-items"],
)
def test_unusable_answers_to_reads_are_unavailable(
    router: respx.MockRouter, cms: CMSClient, answer: httpx.Response
) -> None:
    router.get(COURSES).mock(return_value=answer)
    with pytest.raises(CMSUnavailable) as caught:
        cms.list_course_records(1042)
    assert type(caught.value) is CMSUnavailable
    assert caught.value.status_code == answer.status_code


def _leaky(kind: type[httpx.RequestError]) -> Callable[[httpx.Request], httpx.Response]:
    """Raise `kind` the way httpx does, with the whole URL (signature included) in its text."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise kind(f"failed: {request.url}", request=request)

    return fail


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (httpx.ConnectError, "could not be reached"),
        (httpx.ConnectTimeout, "did not answer in time"),
        (httpx.ReadTimeout, "did not answer in time"),
        (httpx.ReadError, "connection to the CMS failed"),
        (httpx.RemoteProtocolError, "connection to the CMS failed"),
    ],
)
def test_transport_failures_of_reads_are_unavailable_and_never_show_the_signature(
    router: respx.MockRouter,
    cms: CMSClient,
    caplog: pytest.LogCaptureFixture,
    kind: type[httpx.TransportError],
    words: str,
) -> None:
    route = router.get(COURSES).mock(side_effect=_leaky(kind))
    caplog.set_level(logging.DEBUG, logger="bot.cms")
    with pytest.raises(CMSUnavailable, match=words) as caught:
        cms.list_course_records(1042)
    sig = route.calls.last.request.url.params["sig"]
    error = caught.value
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert sig not in str(error)
    assert SECRET not in str(error)
    assert sig not in caplog.text
    assert "sig=" not in caplog.text
    assert f"GET {COURSES} -> {kind.__name__}" in caplog.text


def test_each_call_is_logged_without_its_query(
    router: respx.MockRouter, cms: CMSClient, caplog: pytest.LogCaptureFixture
) -> None:
    router.get(COURSES).mock(return_value=json_answer(200, []))
    caplog.set_level(logging.DEBUG, logger="bot.cms")
    cms.list_course_records(1042)
    assert [r.getMessage() for r in caplog.records] == [f"CMS GET {COURSES} -> 200 in 0 ms"]
    assert caplog.records[0].name == "bot.cms.client"


# --- lost answers to a write -------------------------------------------------------------------


def lost_then(
    router: respx.MockRouter,
    first: Callable[[httpx.Request], httpx.Response] | httpx.Response,
    *later: httpx.Response,
) -> respx.Route:
    return router.post(COURSES).mock(side_effect=[first, *later])


LOST_ANSWERS = {
    "read-timeout": _leaky(httpx.ReadTimeout),
    "write-timeout": _leaky(httpx.WriteTimeout),
    "reset": _leaky(httpx.ReadError),
    "disconnected": _leaky(httpx.RemoteProtocolError),
    "undecodable": _leaky(httpx.DecodingError),
    "500": httpx.Response(500, text="oops"),
    "502": httpx.Response(502),
    "200-not-json": httpx.Response(200, text="<html>"),
    "200-wrong-shape": httpx.Response(200, json={"ok": True}),
}


@pytest.mark.parametrize("first", list(LOST_ANSWERS.values()), ids=list(LOST_ANSWERS))
def test_lost_answer_found_on_reconciliation_is_not_sent_again(
    router: respx.MockRouter, make: Callable[..., CMSClient], fake: FakeTime, first: Any
) -> None:
    post = lost_then(router, first)
    get = router.get(COURSES).mock(
        return_value=json_answer(200, [record_json(id=5001, course_id=3), record_json(id=5007)])
    )
    record = make().create_course_record(1042, RECORD)
    assert record.id == 5007
    assert post.call_count == 1
    # Asked about records updated since the write was sent (less a margin), after a pause.
    assert get.calls.last.request.url.params["start_date"] == "2026-11-27 09:50"
    assert fake.sleeps == [1.0]


def test_lost_answer_confirmed_absent_is_sent_once_more(
    router: respx.MockRouter, cms: CMSClient
) -> None:
    post = lost_then(
        router, _leaky(httpx.RemoteProtocolError), json_answer(200, record_json(id=5008))
    )
    router.get(COURSES).mock(return_value=json_answer(200, []))
    assert cms.create_course_record(1042, RECORD).id == 5008
    assert post.call_count == 2


@pytest.mark.parametrize("timeout", [httpx.ReadTimeout, httpx.WriteTimeout])
def test_timed_out_write_confirmed_absent_is_not_sent_again_at_once(
    router: respx.MockRouter, cms: CMSClient, timeout: type[httpx.TimeoutException]
) -> None:
    # A slow CMS may still make the record after we asked: the caller tries later, asking first.
    post = lost_then(router, _leaky(timeout), json_answer(200, record_json(id=5008)))
    router.get(COURSES).mock(return_value=json_answer(200, []))
    with pytest.raises(CMSAnswerLost, match="may still be making it"):
        cms.create_course_record(1042, RECORD)
    assert post.call_count == 1


def test_lost_answer_twice_and_absent_twice_is_unavailable(
    router: respx.MockRouter, cms: CMSClient
) -> None:
    post = lost_then(router, httpx.Response(500), httpx.Response(503))
    get = router.get(COURSES).mock(return_value=json_answer(200, []))
    with pytest.raises(CMSUnavailable, match="nothing was recorded") as caught:
        cms.create_course_record(1042, RECORD)
    assert type(caught.value) is CMSUnavailable
    assert caught.value.status_code == 503
    assert (post.call_count, get.call_count) == (2, 2)


@pytest.mark.parametrize(
    "check",
    [httpx.Response(500), _leaky(httpx.ConnectError), httpx.Response(401, json={})],
    ids=["500", "unreachable", "401"],
)
def test_lost_answer_that_cannot_be_checked_is_answer_lost(
    router: respx.MockRouter, cms: CMSClient, check: Any
) -> None:
    post = lost_then(router, _leaky(httpx.ReadTimeout))
    router.get(COURSES).mock(side_effect=[check])
    with pytest.raises(CMSAnswerLost, match="never arrived") as caught:
        cms.create_course_record(1042, RECORD)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert post.call_count == 1


@pytest.mark.parametrize(
    "kind", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol]
)
def test_write_that_never_left_is_unavailable_without_reconciliation(
    router: respx.MockRouter, cms: CMSClient, kind: type[httpx.TransportError]
) -> None:
    post = router.post(COURSES).mock(side_effect=_leaky(kind))
    get = router.get(COURSES).mock(return_value=json_answer(200, []))
    with pytest.raises(CMSUnavailable) as caught:
        cms.create_course_record(1042, RECORD)
    assert type(caught.value) is CMSUnavailable
    assert (post.call_count, get.call_count) == (1, 0)


def test_refusals_of_a_write_are_not_reconciled(router: respx.MockRouter, cms: CMSClient) -> None:
    router.post(COURSES).mock(return_value=json_answer(400, {"errors": {"x": ["y"]}}))
    get = router.get(COURSES).mock(return_value=json_answer(200, []))
    with pytest.raises(CMSValidationError):
        cms.create_course_record(1042, RECORD)
    assert get.call_count == 0


# --- rate limits ------------------------------------------------------------------------------


def test_rate_headers_in_either_spelling(router: respx.MockRouter, cms: CMSClient) -> None:
    router.get(COURSES).mock(
        side_effect=[
            json_answer(200, [], rate(60, 59)),
            json_answer(200, [], {"X-Rate-Limit-Limit": "60", "X-Rate-Limit-Remaining": "58"}),
            json_answer(200, [], {"X-RateLimit-Remaining": "lots"}),
        ]
    )
    assert cms.rate_limit_remaining is None
    cms.list_course_records(1042)
    assert (cms.rate_limit, cms.rate_limit_remaining) == (60, 59)
    cms.list_course_records(1042)
    assert cms.rate_limit_remaining == 58
    cms.list_course_records(1042)  # garbled: the last good value stands
    assert cms.rate_limit_remaining == 58


def test_429_then_success_backs_off_from_one_second(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    route = router.get(COURSES).mock(
        side_effect=[json_answer(429, TOO_MANY)] * 3 + [json_answer(200, [])]
    )
    assert cms.list_course_records(1042) == []
    assert route.call_count == 4
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_backoff_is_capped_at_sixty_seconds(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    router.get(COURSES).mock(side_effect=[httpx.Response(429)] * 8 + [json_answer(200, [])])
    cms.list_course_records(1042)
    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_retry_after_in_seconds_is_honoured(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    router.get(COURSES).mock(
        side_effect=[json_answer(429, TOO_MANY, {"Retry-After": "7"}), json_answer(200, [])]
    )
    cms.list_course_records(1042)
    assert fake.sleeps == [7.0]


def test_retry_after_as_a_date_is_honoured(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    when = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), usegmt=True
    )
    router.get(COURSES).mock(
        side_effect=[json_answer(429, TOO_MANY, {"Retry-After": when}), json_answer(200, [])]
    )
    cms.list_course_records(1042)
    assert 25 <= fake.sleeps[0] <= 30


def test_429_on_a_write_is_retried_without_reconciliation(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    post = router.post(COURSES).mock(
        side_effect=[json_answer(429, TOO_MANY), json_answer(200, record_json())]
    )
    get = router.get(COURSES).mock(return_value=json_answer(200, []))
    assert cms.create_course_record(1042, RECORD).id == 5001
    assert (post.call_count, get.call_count) == (2, 0)
    assert fake.sleeps == [1.0]


def test_429_surfaces_only_when_the_deadline_would_pass(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    route = router.post(COURSES).mock(return_value=json_answer(429, TOO_MANY))
    with pytest.raises(CMSRateLimited) as caught:
        cms.create_course_record(1042, RECORD, deadline=fake.now + 3.5)
    # waits 1 s and 2 s (3 s in all); a further 4 s would pass the deadline.
    assert fake.sleeps == [1.0, 2.0]
    assert route.call_count == 3
    assert caught.value.status_code == 429
    assert caught.value.body == TOO_MANY
    assert "try again" in caught.value.message


def test_429_surfaces_when_max_wait_would_pass(
    router: respx.MockRouter, make: Callable[..., CMSClient], fake: FakeTime
) -> None:
    router.get(COURSES).mock(return_value=json_answer(429, TOO_MANY))
    with pytest.raises(CMSRateLimited):
        make(max_wait=10.0).list_course_records(1042)
    assert fake.sleeps == [1.0, 2.0, 4.0]


def test_pacing_spreads_the_last_calls_over_the_window(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    router.get(COURSES).mock(
        side_effect=[json_answer(200, [], rate(4, n)) for n in (3, 2, 1, 0, 3, 2)]
    )
    start = fake.now
    for _ in range(6):
        cms.list_course_records(1042)
    # Window of 60 s from the first call. 3 left of 4: go at once. 2 left: spread them over
    # the 60 s left (every 20 s). None left: wait for the window to end (t=60), where a fresh
    # budget comes back and calls go at once again.
    assert fake.sleeps == [20.0, 20.0, 20.0]
    assert fake.now == start + 60.0


def test_pacing_follows_the_given_window(
    router: respx.MockRouter, make: Callable[..., CMSClient], fake: FakeTime
) -> None:
    router.get(COURSES).mock(side_effect=[json_answer(200, [], rate(3, n)) for n in (0, 2)])
    cms = make(rate_window=1.0)
    cms.list_course_records(1042)
    cms.list_course_records(1042)
    assert fake.sleeps == [1.0]


def test_pacing_never_waits_past_the_deadline(
    router: respx.MockRouter, cms: CMSClient, fake: FakeTime
) -> None:
    router.get(COURSES).mock(side_effect=[json_answer(200, [], rate(60, 0)), json_answer(200, [])])
    cms.list_course_records(1042)
    cms.list_course_records(1042, deadline=fake.now + 5)
    assert fake.sleeps == [5.0]


def test_pacing_can_be_turned_off(
    router: respx.MockRouter, make: Callable[..., CMSClient], fake: FakeTime
) -> None:
    router.get(COURSES).mock(return_value=json_answer(200, [], rate(60, 0)))
    cms = make(pacing=False)
    for _ in range(3):
        cms.list_course_records(1042)
    assert fake.sleeps == []


def test_429_means_the_budget_is_spent(router: respx.MockRouter, cms: CMSClient) -> None:
    router.get(COURSES).mock(
        side_effect=[json_answer(429, TOO_MANY), json_answer(200, [], rate(60, 59))]
    )
    cms.list_course_records(1042)
    assert cms.rate_limit_remaining == 59


# --- construction and lifecycle -----------------------------------------------------------------


def test_close_closes_the_injected_client() -> None:
    http = httpx.Client()
    with CMSClient(http, api_id="1", secret_key="s", diocese_id=1) as cms:
        assert cms.diocese_id == 1
    assert http.is_closed


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_from_settings_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CMS_API_ID", "CMS_SECRET_KEY", "CMS_DIOCESE_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="CMS_API_ID, CMS_SECRET_KEY, CMS_DIOCESE_ID"):
        CMSClient.from_settings(_settings())
    with pytest.raises(ConfigError, match="set CMS_DIOCESE_ID "):
        CMSClient.from_settings(_settings(cms_api_id="12", cms_secret_key=SecretStr("s")))


def test_from_settings_builds_its_own_client(router: respx.MockRouter, fake: FakeTime) -> None:
    settings = _settings(
        cms_base_url=BASE,
        cms_api_id="12",
        cms_secret_key=SecretStr(SECRET),
        cms_diocese_id=7,
        cms_timeout=3.0,
        cms_write_transport="form",
    )
    route = router.post(COURSES).mock(return_value=json_answer(200, record_json()))
    with CMSClient.from_settings(settings, sleep=fake.sleep, clock=fake.clock) as cms:
        assert cms.write_transport == "form"
        assert cms._http.timeout == httpx.Timeout(3.0, connect=5.0)
        cms.create_course_record(1042, RECORD)
    params = sent_params(route.calls.last.request)
    assert params["api_id"] == "12"
    assert params["data"] == '{"diocese_id":7}'
