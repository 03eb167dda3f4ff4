"""Issue 12, item 8: a CMS 400 whose `errors` is not a map of lists is told with its reasons.

respx for the client's parsing; the message renderer on what it returns; and one run end to
end over HTTP, with the sandbox answering such a 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from bot.cms.client import GENERAL_ERRORS, CMSClient
from bot.cms.models import NewCourseRecord
from bot.errors import CMSValidationError
from bot.local.sandbox import CMSSandbox
from bot.slack.messages import outcome_message
from bot.store import State, Submission
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import live_app

BASE = "https://cms.test"
COURSES = "/v2/contacts/1042/courses"
RECORD = NewCourseRecord(course_id=2, completed_at=dt.date(2025, 3, 1))
FAILED = {"message": "Validation failed", "status_code": 400}


@pytest.fixture
def cms() -> Iterator[CMSClient]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        client = CMSClient(
            httpx.Client(base_url=BASE),
            api_id="12",
            secret_key="s3cret",
            diocese_id=7,
            pacing=False,
            sleep=lambda _s: None,
        )
        client.router = router  # type: ignore[attr-defined]
        yield client
        client.close()


def refused(cms: CMSClient, body: object) -> CMSValidationError:
    cms.router.post(COURSES).mock(return_value=httpx.Response(400, json=body))  # type: ignore[attr-defined]
    with pytest.raises(CMSValidationError) as caught:
        cms.create_course_record(1042, RECORD)
    return caught.value


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"errors": ["The course id is invalid."], "error": FAILED},
            {GENERAL_ERRORS: ["The course id is invalid."]},
        ),
        ({"errors": "The course id is invalid."}, {GENERAL_ERRORS: ["The course id is invalid."]}),
        (
            {"error": {**FAILED, "errors": ["Too early.", "Too late."]}},
            {GENERAL_ERRORS: ["Too early.", "Too late."]},
        ),
        (
            {"errors": {"course_id": {"0": "Unknown course.", "1": ["Not yours."]}}},
            {"course_id": ["Unknown course.", "Not yours."]},
        ),
        (
            {"errors": {"course_id": "Unknown course."}},
            {"course_id": ["Unknown course."]},
        ),
        (
            {"errors": [{"field": "completed_at", "message": "In the future."}, "Also this."]},
            {"completed_at": ["In the future."], GENERAL_ERRORS: ["Also this."]},
        ),
        (
            {"errors": [["Deep", ["down"]], {"detail": "odd"}, None, 7]},
            {GENERAL_ERRORS: ["Deep", "down", "odd", "7"]},
        ),
        ({"errors": {"course_id": [], "x": None}, "error": FAILED}, {}),
    ],
)
def test_400_reasons_in_any_shape_are_kept(
    cms: CMSClient, body: object, errors: dict[str, list[str]]
) -> None:
    exc = refused(cms, body)
    assert exc.errors == errors
    for messages in errors.values():
        for message in messages:
            assert message in exc.message


def test_a_400_with_no_reasons_still_says_what_the_cms_said(cms: CMSClient) -> None:
    exc = refused(cms, {"errors": [], "error": FAILED})
    assert exc.errors == {}
    assert "Validation failed" in exc.message


def rejected(errors: dict[str, list[str]]) -> Submission:
    now = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    return Submission(
        id=1,
        key="k",
        state=State.REJECTED,
        frontend="slack",
        contact_id=1042,
        course_id=2,
        typed={},
        assumed=[],
        notes={},
        errors=errors,
        reason="The CMS refused the record",
        created_at=now,
        updated_at=now,
    )


def test_the_reply_tells_reasons_not_keyed_by_a_field() -> None:
    submission = rejected({GENERAL_ERRORS: ["The course id is invalid."], "course_id": ["No."]})
    text = outcome_message(submission)["text"]
    assert "• The course id is invalid." in text
    assert "*Course*: No." in text
    assert "**" not in text


@pytest.mark.slow
def test_end_to_end_a_list_of_reasons_reaches_the_thread(
    tmp_path: Path, sandbox: CMSSandbox
) -> None:
    body: dict[str, Any] = {"error": FAILED, "errors": ["The course id is invalid.", "<!here>"]}
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as app:
        sandbox.fail_next(400, method="POST", body=body)
        submission = app.submit(
            {"contact_id": ("Joan Ellison", "1042"), "course_id": ("Safeguarding Foundations", "2")}
        )
        done = app.settled(submission.id)
        assert done.state is State.REJECTED
        _parent, replies = app.thread()
        text = replies[-1].text
        assert "The course id is invalid." in text
        assert "&lt;!here&gt;" in text
        assert "Validation failed" not in text
