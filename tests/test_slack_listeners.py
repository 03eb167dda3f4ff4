"""The record listeners and the middleware, called as functions with a fake `ack`.

No Slack, no CMS and no sockets: the listeners get a `SlackBot` whose recorder has a real
SQLite log and a CMS client that must not be called (storing a submission sends nothing:
sending is the notifier's, which these tests do not attach).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from bot.cms.client import CMSClient
from bot.cms.models import Course
from bot.recording import Recorder
from bot.slack import middleware, views
from bot.slack.deps import SlackBot, bind
from bot.slack.listeners import record
from bot.slack.payloads import FormMetadata
from bot.store import State, Store

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)  # Friday 27 November 2026


class FakeAck:
    """Records what a listener acked with (Bolt's `ack` takes keyword arguments)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> str:
        self.calls.append(kwargs)
        return "answered"

    @property
    def only(self) -> dict[str, Any]:
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


class Catalogue:
    def __init__(self) -> None:
        self.courses = {2: Course(id=2, name="Safeguarding Foundations")}

    def get(self, course_id: int) -> Course | None:
        return self.courses.get(course_id)

    def best_match(self, text: str) -> Course | None:
        return self.courses[2] if "found" in text.lower() else None

    def search(self, text: str) -> list[Course]:
        return [c for c in self.courses.values() if text.lower() in c.name.lower()]


def _no_cms(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the CMS was called: {request.method} {request.url}")


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Any]:
    cms = CMSClient(
        httpx.Client(base_url="https://cms.test", transport=httpx.MockTransport(_no_cms)),
        api_id="12",
        secret_key="secret",
        diocese_id=7,
    )
    store = Store(tmp_path / "log.db")
    recorder = Recorder(store, cms, now=lambda: NOW, retry_delays=())
    opened: list[tuple[str, dict[str, Any]]] = []
    fake = SimpleNamespace(
        recorder=recorder,
        catalogue=Catalogue(),
        contacts=SimpleNamespace(search=lambda text: []),
        people=None,  # no contact lookups: the CMS is not there
        open_view=lambda trigger_id, view, **where: opened.append((trigger_id, view)),
        opened=opened,
    )
    yield fake
    store.close()
    cms.close()


def command(text: str = "", **extra: str) -> dict[str, Any]:
    return {
        "command": "/record-course",
        "text": text,
        "user_id": "U0ADMIN",
        "channel_id": "C0TRAINING",
        "trigger_id": "T1.abc",
        **extra,
    }


def submission(values: dict[str, str], view_id: str = "V0001") -> tuple[dict[str, Any], ...]:
    """A view_submission body and its view, as Bolt passes them."""
    state = {"values": {name: {name: {"value": text}} for name, text in values.items()}}
    view = {
        "id": view_id,
        "callback_id": views.CALLBACK_ID,
        "private_metadata": FormMetadata(channel_id="C0TRAINING").dump(),
        "state": state,
    }
    body = {
        "type": "view_submission",
        "user": {"id": "U0ADMIN", "username": "admin"},
        "team": {"id": "T0DIOCESE"},
        "view": view,
    }
    return body, view


# --- the command ------------------------------------------------------------------------------


def test_the_command_acks_at_once_and_opens_the_form_filled_in(bot: Any) -> None:
    ack = FakeAck()
    record.open_form(ack=ack, command=command("1042 foundations completed yesterday"), bot=bot)
    assert ack.only == {}
    [(trigger, view)] = bot.opened
    assert trigger == "T1.abc"
    assert view["callback_id"] == views.CALLBACK_ID
    assert FormMetadata.load(view["private_metadata"]).channel_id == "C0TRAINING"
    blocks = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert blocks["contact_id"]["element"]["initial_option"]["value"] == "1042"
    assert blocks["course_id"]["element"]["initial_option"]["text"]["text"] == (
        "Safeguarding Foundations"
    )
    assert blocks["completed_at"]["element"]["initial_value"] == "yesterday"


def test_session_opens_the_session_form(bot: Any) -> None:
    ack = FakeAck()
    record.open_form(ack=ack, command=command("session"), bot=bot)
    assert ack.only == {}
    [(_trigger, view)] = bot.opened
    assert view["callback_id"] == views.BULK_CALLBACK_ID


# --- the form -------------------------------------------------------------------------------


def test_a_valid_form_is_stored_pending_and_closed(bot: Any) -> None:
    ack = FakeAck()
    body, view = submission({"contact_id": "1042", "course_id": "2", "completed_at": "yesterday"})
    record.submit_form(ack=ack, body=body, view=view, bot=bot)
    assert ack.only == {"response_action": "clear"}
    [stored] = bot.recorder.store.recent(5)
    assert stored.state is State.PENDING
    assert (stored.contact_id, stored.course_id) == (1042, 2)
    assert stored.completed_at == dt.date(2026, 11, 26)
    assert (stored.channel_id, stored.user_id, stored.user_name) == (
        "C0TRAINING",
        "U0ADMIN",
        "admin",
    )
    assert stored.key == "slack:T0DIOCESE:V0001"


def test_what_cannot_be_read_is_answered_under_its_field_and_nothing_is_stored(
    bot: Any,
) -> None:
    ack = FakeAck()
    body, view = submission({"contact_id": "abc", "course_id": "2", "completed_at": "31/02/2025"})
    record.submit_form(ack=ack, body=body, view=view, bot=bot)
    answer = ack.only
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"contact_id", "completed_at"}
    assert "February 2025 has only 28 days" in answer["errors"]["completed_at"]
    assert bot.recorder.store.count() == 0


def test_the_same_form_submitted_twice_is_stored_once_and_says_so(bot: Any) -> None:
    body, view = submission({"contact_id": "1042", "course_id": "2"})
    first = FakeAck()
    record.submit_form(ack=first, body=body, view=view, bot=bot)
    assert first.only == {"response_action": "clear"}
    again = FakeAck()
    record.submit_form(ack=again, body=body, view=view, bot=bot)
    answer = again.only
    assert answer["response_action"] == "update"  # never a silent close
    assert "already submitted (submission #1)" in str(answer["view"])
    assert bot.recorder.store.count() == 1


def test_the_same_record_again_asks_before_recording(bot: Any) -> None:
    values = {"contact_id": "1042", "course_id": "2", "completed_at": "yesterday"}
    record.submit_form(
        ack=FakeAck(), body=submission(values)[0], view=submission(values)[1], bot=bot
    )
    ack = FakeAck()
    body, view = submission(values, view_id="V0002")
    record.submit_form(ack=ack, body=body, view=view, bot=bot)
    answer = ack.only
    assert answer["response_action"] == "push"
    assert answer["view"]["callback_id"] == views.DUPLICATE_CALLBACK_ID
    assert bot.recorder.store.count() == 1

    confirm = FakeAck()
    pushed = {**answer["view"], "id": "V0003"}
    record.confirm_duplicate(ack=confirm, body=body, view=pushed, bot=bot)
    assert confirm.only == {"response_action": "clear"}
    assert bot.recorder.store.count() == 2


# --- pick-lists and buttons -----------------------------------------------------------------


def test_a_typed_qualification_number_is_offered(bot: Any) -> None:
    ack = FakeAck()
    record.qualification_options(ack=ack, body={"value": "#22"}, bot=bot)
    assert ack.only == {"options": [views.option("Qualification #22", "22")]}


def test_courses_are_offered_from_the_catalogue(bot: Any) -> None:
    ack = FakeAck()
    record.course_options(ack=ack, body={"value": "found"}, bot=bot)
    assert ack.only == {"options": [views.option("Safeguarding Foundations", "2")]}


@pytest.mark.parametrize("value", ["", "abc", "999", "٣", "9" * 400])
def test_a_button_naming_no_submission_is_only_acked(bot: Any, value: str) -> None:
    for listener in (record.retry_submission, record.reopen_form):
        ack = FakeAck()
        listener(ack=ack, body={"actions": [{"value": value}], "trigger_id": "T"}, bot=bot)
        assert ack.only == {}
    assert bot.opened == []


def test_bind_gives_bolt_only_its_own_arguments() -> None:
    from slack_bolt.util.utils import get_arg_names_of_callable

    bound = bind(record.submit_form, SlackBot.__new__(SlackBot))
    assert get_arg_names_of_callable(bound) == ["ack", "body", "view"]


# --- the middleware -------------------------------------------------------------------------


class Allow:
    def __init__(self, *users: str) -> None:
        self.users = set(users)
        self.asked: list[str] = []

    def allows(self, user_id: str) -> bool:
        self.asked.append(user_id)
        return user_id in self.users

    def undecided(self, user_id: str) -> bool:
        return False


def run_middleware(body: dict[str, Any], *users: str) -> tuple[FakeAck, dict[str, Any], bool]:
    ack, context, went_on = FakeAck(), {}, []
    answer = middleware.who_may_record(Allow(*users))(  # type: ignore[arg-type]
        ack=ack, body=body, context=context, next=lambda: went_on.append(True)
    )
    assert answer == ("answered" if ack.calls else None)
    return ack, context, bool(went_on)


REQUESTS = {
    "command": command(),
    "options": {"type": "block_suggestion", "user": {"id": "U0ADMIN"}, "value": "jo"},
    "form": submission({})[0],
    "session form": {
        "type": "view_submission",
        "user": {"id": "U0ADMIN"},
        "view": {"callback_id": views.BULK_CALLBACK_ID},
    },
    "confirm": {
        "type": "view_submission",
        "user": {"id": "U0ADMIN"},
        "view": {"callback_id": views.BULK_CONFIRM_CALLBACK_ID},
    },
    "button": {"type": "block_actions", "user": {"id": "U0ADMIN"}, "actions": []},
    "home": {"type": "event_callback", "event": {"type": "app_home_opened", "user": "U0ADMIN"}},
}


@pytest.mark.parametrize("kind", REQUESTS)
def test_someone_allowed_goes_on_to_the_listener(kind: str) -> None:
    ack, context, went_on = run_middleware(REQUESTS[kind], "U0ADMIN")
    assert went_on
    assert context == {"may_record": True}
    assert ack.calls == []


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("command", {"text": middleware.REFUSAL}),
        ("options", {"options": []}),
        ("form", {"response_action": "errors", "errors": {"contact_id": middleware.NOT_ALLOWED}}),
        (
            "session form",
            {"response_action": "errors", "errors": {views.PEOPLE_BLOCK: middleware.NOT_ALLOWED}},
        ),
        ("confirm", {"response_action": "clear"}),
        ("button", {}),
    ],
)
def test_someone_else_is_answered_by_the_middleware_and_no_listener_runs(
    kind: str, answer: dict[str, Any]
) -> None:
    ack, context, went_on = run_middleware(REQUESTS[kind], "U0OTHER")
    assert not went_on
    assert context == {"may_record": False}
    assert ack.only == answer


def test_the_home_of_someone_else_still_opens_to_say_so() -> None:
    ack, context, went_on = run_middleware(REQUESTS["home"], "U0OTHER")
    assert went_on
    assert context == {"may_record": False}
    assert ack.calls == []


@pytest.mark.parametrize(
    ("body", "user"),
    [
        ({"user_id": "U1"}, "U1"),
        ({"user": {"id": "U2"}}, "U2"),
        ({"event": {"user": "U3"}}, "U3"),
        ({"user": "U4"}, ""),
        ({}, ""),
    ],
)
def test_the_user_of_any_request(body: dict[str, Any], user: str) -> None:
    assert middleware.user_of(body) == user
