"""The pure parts of the form that answers back (issue 14), the contact book, the CMS
client's `get_contact` (respx) and the sandbox's `GET /v2/contacts/{id}`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from bot.cms.client import CMSClient
from bot.cms.models import Contact, CourseRecord, NewCourseRecord
from bot.errors import CMSNotFound, CMSUnavailable
from bot.local.sandbox import CMSSandbox
from bot.people import Card, ContactBook, record_lines, same_record
from bot.preview import date_notes
from bot.slack import views
from bot.slack.live_form import form_texts, note_block_id, with_notes
from bot.slack.previewer import notes_for
from tests.support.cms_fixtures import SECRET
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import cms_client

TODAY = dt.date(2026, 11, 27)  # a Friday
BASE = "https://cms.test"


# --- readings ---------------------------------------------------------------------------------


def test_each_date_reads_and_the_expiry_follows_completion() -> None:
    notes = date_notes(
        {"completed_at": "20/11/2026", "expires_at": "3 years", "booked_at": ""}, today=TODAY
    )
    assert notes["completed_at"].ok
    assert notes["completed_at"].text.startswith("Friday 20 November 2026")
    assert notes["expires_at"].text == (
        "Tuesday 20 November 2029 (3 years after completion on 20 November 2026)"
    )
    assert "booked_at" not in notes


def test_a_refusal_and_a_between_field_problem() -> None:
    notes = date_notes(
        {"attended_at": "yesterday", "completed_at": "a week ago", "booked_at": "blah"},
        today=TODAY,
    )
    assert not notes["booked_at"].ok
    assert not notes["completed_at"].ok
    assert "check both dates" in notes["completed_at"].text


def test_no_expiry_is_said_back() -> None:
    assert date_notes({"expires_at": "never"}, today=TODAY)["expires_at"].ok


# --- the view ---------------------------------------------------------------------------------


def _form() -> dict[str, Any]:
    return views.record_modal(private_metadata='{"channel_id":"C1"}')


def test_date_inputs_dispatch_on_enter_and_typing() -> None:
    for block in _form()["blocks"]:
        if block["block_id"] in views.DATE_BLOCKS:
            assert block["dispatch_action"] is True
            assert block["element"]["dispatch_action_config"] == {
                "trigger_actions_on": ["on_enter_pressed", "on_character_entered"]
            }


def test_with_notes_adds_context_under_fields_and_keeps_every_input() -> None:
    form = _form()
    out = with_notes(form, {"completed_at": (["Friday 20 November 2026"], True)})
    ids = [b["block_id"] for b in out["blocks"]]
    at = ids.index("completed_at")
    assert ids[at + 1] == note_block_id("completed_at")
    assert [b for b in out["blocks"] if b["type"] == "input"] == [
        b for b in form["blocks"] if b["type"] == "input"
    ]
    assert out["private_metadata"] == form["private_metadata"]
    assert out["callback_id"] == form["callback_id"]
    # a second update replaces the note, never doubles it
    again = with_notes(out, {"completed_at": (["<!channel> & co"], False)})
    notes = [b for b in again["blocks"] if b["block_id"].startswith("note_")]
    assert len(notes) == 1
    assert notes[0]["elements"][0]["text"] == "⚠️ &lt;!channel&gt; &amp; co"
    # a note for a field the form lacks is left out; the bulk form works the same way
    bulk = views.bulk_modal(private_metadata="{}")
    assert with_notes(bulk, {"nope": (["x"], True)})["blocks"] == bulk["blocks"]


def test_form_texts_reads_text_and_picks() -> None:
    view = {
        "state": {
            "values": {
                "completed_at": {"completed_at": {"type": "plain_text_input", "value": "today"}},
                "contact_id": {
                    "contact_id": {"type": "external_select", "selected_option": {"value": "7"}}
                },
                "booked_at": {"booked_at": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert form_texts(view) == {"completed_at": "today", "contact_id": "7"}
    assert form_texts({}) == {}


# --- the contact card -------------------------------------------------------------------------


def _record(rid: int, course: int, completed: str, expires: str | None) -> CourseRecord:
    return CourseRecord(
        id=rid,
        contact_id=1,
        course_id=course,
        completed_at=dt.date.fromisoformat(completed),
        expires_at=dt.date.fromisoformat(expires) if expires else None,
        course_name=f"Course {course}",
    )


def test_record_lines_newest_first_with_expiry_words() -> None:
    lines = record_lines(
        [
            _record(1, 1, "2020-01-01", "2023-01-01"),
            _record(2, 2, "2024-02-27", "2027-02-27"),
            _record(3, 3, "2026-01-01", None),
        ],
        TODAY,
    )
    assert lines[0].startswith("Course 3: completed 1 January 2026")
    assert "(expires in 3 months)" in lines[1]
    assert lines[2].endswith("(expired)")


def test_same_record_by_completion_then_attended() -> None:
    held = [_record(9, 4, "2024-09-20", None)]
    assert same_record(held, NewCourseRecord(course_id=4, completed_at=dt.date(2024, 9, 20)))
    assert (
        same_record(held, NewCourseRecord(course_id=5, completed_at=dt.date(2024, 9, 20))) is None
    )
    assert same_record(held, NewCourseRecord(course_id=4)) is None


def test_notes_for_the_contact() -> None:
    card = Card(5, "found", Contact(id=5, forenames="Ann", surname="Lee", post="Reader"), ())
    notes = notes_for({"contact_id": "5"}, today=TODAY, card=card)
    assert notes["contact_id"] == (
        ["Ann Lee (#5), Reader", "No course records in the CMS yet."],
        True,
    )
    unknown = notes_for({}, today=TODAY, card=Card(5, "unknown"))
    assert unknown["contact_id"][1] is False


# --- the client -------------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[CMSClient]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        made = CMSClient(httpx.Client(base_url=BASE), api_id="12", secret_key=SECRET, diocese_id=7)
        made.router = router  # type: ignore[attr-defined]
        yield made
        made.close()


CONTACT = {"id": 1042, "forenames": "Joan", "surname": "Ellison", "post": "Tower Captain"}


@pytest.mark.parametrize("body", [CONTACT, [CONTACT], {"data": CONTACT}])
def test_get_contact_takes_an_object_or_a_one_element_array(client: CMSClient, body: Any) -> None:
    route = client.router.get("/v2/contacts/1042").respond(200, json=body)  # type: ignore[attr-defined]
    assert client.get_contact(1042).display_name == "Joan Ellison"
    params = dict(route.calls.last.request.url.params)
    assert params["limit"] == "100"
    assert params["offset"] == "0"
    assert params["sig"]
    assert SECRET not in str(route.calls.last.request.url)


def test_get_contact_404_is_not_found(client: CMSClient) -> None:
    client.router.get("/v2/contacts/5").respond(404, json={"error": {"message": "no"}})  # type: ignore[attr-defined]
    with pytest.raises(CMSNotFound, match="no contact 5"):
        client.get_contact(5)


@pytest.mark.parametrize(
    "body", [[], [CONTACT, CONTACT], {"id": 7}, "not json", {"forenames": "x"}]
)
def test_get_contact_odd_answers_are_unavailable(client: CMSClient, body: Any) -> None:
    answer = (
        httpx.Response(200, text=body) if isinstance(body, str) else httpx.Response(200, json=body)
    )
    client.router.get("/v2/contacts/1042").mock(return_value=answer)  # type: ignore[attr-defined]
    with pytest.raises(CMSUnavailable):
        client.get_contact(1042)


def test_spare_budget_follows_the_rate_headers(client: CMSClient) -> None:
    assert client.spare_budget(keep=30)
    client.router.get("/v2/contacts/1042").respond(  # type: ignore[attr-defined]
        200, json=CONTACT, headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "25"}
    )
    client.get_contact(1042)
    assert not client.spare_budget(keep=30)


# --- the sandbox and the book over HTTP -------------------------------------------------------


def test_sandbox_get_contact(sandbox: CMSSandbox) -> None:
    with cms_client(sandbox) as cms:
        assert cms.get_contact(1042).surname == "Ellison"
        with pytest.raises(CMSNotFound):
            cms.get_contact(999999)
        sandbox.api.one_as_array = True
        assert cms.get_contact(1003).post == "Parish Safeguarding Officer"


def test_wrong_diocese_or_signature_is_refused(sandbox: CMSSandbox) -> None:
    with (
        cms_client(sandbox, secret_key="wrong") as cms,
        pytest.raises(Exception, match="credentials"),
    ):
        cms.get_contact(1042)


def test_the_book_caches_and_respects_its_budget(sandbox: CMSSandbox) -> None:
    with cms_client(sandbox) as cms:
        book = ContactBook(cms, per_minute=3)
        try:
            assert book.card(1003).status == "found"  # 2 calls: contact, records
            assert book.card(1003).records is not None  # cached
            assert book.card(999999).status == "unknown"  # the 3rd call
            assert book.card(1001).status == "unchecked"  # no budget left: could not look
            assert book.cached(999999).status == "unknown"
            book.forget(1003)
            assert book.cached(1003).records is None
        finally:
            book.close()


@pytest.mark.slow
def test_standin_keeps_input_state_for_unchanged_ids() -> None:
    with FaultySlackStandIn() as slack:
        from slack_sdk import WebClient

        web = WebClient(token="xoxb-t", base_url=slack.url)
        opened = web.views_open(trigger_id=slack.new_trigger_id(), view=_form())["view"]
        typed = slack.type_into(opened["id"], {"completed_at": "today", "booked_at": "monday"})
        assert typed["hash"] == opened["hash"]
        changed = _form()
        for block in changed["blocks"]:
            if block["block_id"] == "booked_at":
                block["element"]["action_id"] = "renamed"
        updated = web.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)
        values = updated["view"]["state"]["values"]
        assert values == {
            "completed_at": {"completed_at": {"type": "plain_text_input", "value": "today"}}
        }
        from slack_sdk.errors import SlackApiError

        with pytest.raises(SlackApiError, match="hash_conflict"):
            web.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)
