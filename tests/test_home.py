"""The App Home tab: the pure view builder, and the real app publishing it over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.expiring import Expiring
from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import Call, SlackStandIn
from bot.slack.app import SlackBot
from bot.slack.home import (
    MAX_EXPIRING,
    MAX_FAILURES,
    MAX_RECENT,
    NOT_ALLOWED,
    home_view,
    not_allowed_view,
)
from bot.slack.messages import CORRECT_ACTION, RETRY_ACTION
from bot.store import State, Store, Submission
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_harness import (
    API_APP_ID,
    TEAM_ID,
    USER_ID,
    VERIFICATION_TOKEN,
    Signing,
    SlackHarness,
)

TODAY = dt.date(2026, 11, 27)
AT = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
LONDON = ZoneInfo("Europe/London")


def submission(
    id: int = 1,
    state: State = State.RECORDED,
    *,
    course_name: str | None = "Safeguarding Foundations",
    created_at: dt.datetime = AT,
    **extra: Any,
) -> Submission:
    values: dict[str, Any] = {
        "id": id,
        "key": f"slack:T:{id}",
        "state": state,
        "frontend": "slack",
        "user_id": USER_ID,
        "user_name": "admin",
        "contact_id": 1042,
        "course_id": 2,
        "typed": {},
        "assumed": [],
        "notes": {},
        "course_name": course_name if state is State.RECORDED else None,
        "record_id": 5000 + id if state is State.RECORDED else None,
        "created_at": created_at,
        "updated_at": created_at,
        **extra,
    }
    return Submission.model_validate(values)


def record(days_left: int = 4, **extra: Any) -> Expiring:
    values: dict[str, Any] = {
        "submission_id": 7,
        "contact_id": 1043,
        "course_id": 3,
        "course_name": "Safeguarding Leadership",
        "expires_at": TODAY + dt.timedelta(days=days_left),
        "days_left": days_left,
        "record_id": 5007,
        "user_id": USER_ID,
        "user_name": "Jane Admin",
        "frontend": "slack",
        **extra,
    }
    return Expiring(**values)


def texts(view: dict[str, Any]) -> list[str]:
    """The text of every block, in order (headers, sections, contexts; dividers as ---)."""
    out = []
    for block in view["blocks"]:
        if block["type"] == "divider":
            out.append("---")
        elif block["type"] == "context":
            out.append(" ".join(e["text"] for e in block["elements"]))
        else:
            out.append(block["text"]["text"])
    return out


# --- the builder ------------------------------------------------------------------------------


def test_the_home_view_exactly() -> None:
    failed = submission(
        3, State.FAILED, reason="The CMS did not answer.", created_at=AT - dt.timedelta(days=1)
    )
    recent = [
        submission(4, State.PENDING),
        failed,
        submission(2, State.RECORDED),
        submission(1, State.NOT_FOUND, created_at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)),
    ]
    view = home_view(
        recent=recent,
        failures=[failed],
        expiring=[record(0), record(1, course_name=None, course_id=9), record(40)],
        today=TODAY,
        zone=LONDON,
        course_names={2: "Safeguarding Foundations"},
    )
    assert view == {
        "type": "home",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "Record Course", "emoji": True},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Today is 27 November 2026. Use `/record-course` in a channel "
                        "to record training; the outcome is posted in a thread there. "
                        "Recorded by mistake? The CMS API cannot delete a record: correct it "
                        "here, or ask a CMS administrator to remove it in the CMS portal.",
                    }
                ],
            },
            {
                "type": "header",
                "block_id": "failures",
                "text": {"type": "plain_text", "text": "Needs your attention", "emoji": True},
            },
            {
                "type": "section",
                "block_id": "failure_3",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Safeguarding Foundations* for contact 1042, yesterday 09:30\n"
                    ":warning: not recorded: The CMS did not answer.",
                },
                "accessory": {
                    "type": "button",
                    "action_id": "retry_submission",
                    "text": {"type": "plain_text", "text": "Try again", "emoji": True},
                    "value": "3",
                    "style": "primary",
                },
            },
            {"type": "divider"},
            {
                "type": "header",
                "block_id": "recent",
                "text": {"type": "plain_text", "text": "Your recent submissions", "emoji": True},
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Safeguarding Foundations* for contact 1042, today 09:30\n"
                    ":hourglass_flowing_sand: sending to the CMS…",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Safeguarding Foundations* for contact 1042, yesterday 09:30\n"
                    ":warning: not recorded: The CMS did not answer.",
                },
            },
            {
                "type": "section",
                "block_id": "recent_2",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Safeguarding Foundations* for contact 1042, today 09:30\n"
                    ":white_check_mark: recorded (CMS record 5002)",
                },
                "accessory": {
                    "type": "button",
                    "action_id": "correct_record",
                    "text": {"type": "plain_text", "text": "Correct this record", "emoji": True},
                    "value": "2",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*Safeguarding Foundations* for contact 1042, 2 November 2026\n"
                    ":x: contact not found in the CMS",
                },
            },
            {"type": "divider"},
            {
                "type": "header",
                "block_id": "expiring",
                "text": {
                    "type": "plain_text",
                    "text": "Expiring in the next 90 days",
                    "emoji": True,
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*27 November 2026* (today): *Safeguarding Leadership* for "
                    "contact 1043, recorded by Jane Admin",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*28 November 2026* (tomorrow): course 9 for contact 1043, "
                    "recorded by Jane Admin",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*6 January 2027* (in 40 days): *Safeguarding Leadership* for "
                    "contact 1043, recorded by Jane Admin",
                },
            },
        ],
    }


def test_an_empty_home_says_so() -> None:
    view = home_view(recent=[], failures=[], expiring=[], today=TODAY, days=30)
    assert texts(view)[2:] == [
        "Needs your attention",
        "Nothing needs your attention.",
        "---",
        "Your recent submissions",
        "You have not recorded anything yet.",
        "---",
        "Expiring in the next 30 days",
        "Nothing recorded here expires in the next 30 days.",
    ]


def test_a_rejected_submission_shows_the_cms_reasons() -> None:
    rejected = submission(
        5, State.REJECTED, errors={"completed_at": ["must be <b>before</b> today"]}
    )
    [line] = [
        t
        for t in texts(home_view(recent=[rejected], failures=[], expiring=[], today=TODAY))
        if "refused" in t
    ]
    assert line.endswith(
        ":x: the CMS refused it: Completed: must be &lt;b&gt;before&lt;/b&gt; today"
    )


def test_people_and_cms_text_is_escaped() -> None:
    hostile = "<!channel> & <https://evil.example|click>"
    failed = submission(3, State.FAILED, reason=hostile)
    recorded = submission(2, State.RECORDED, course_name=hostile)
    view = home_view(
        recent=[recorded, failed],
        failures=[failed],
        expiring=[record(5, course_name=hostile, user_name=hostile)],
        today=TODAY,
        course_names={2: hostile},
    )
    dumped = json.dumps(view)
    assert "<!channel>" not in dumped
    assert "<https://" not in dumped
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in dumped
    assert all("<" not in text for text in texts(view))


def test_each_list_is_capped_within_slacks_100_blocks() -> None:
    failures = [submission(i, State.FAILED, reason="x") for i in range(1, 31)]
    recent = [submission(i) for i in range(100, 130)]
    expiring = [record(i % 90, submission_id=i) for i in range(200)]
    view = home_view(recent=recent, failures=failures, expiring=expiring, today=TODAY)
    assert len(view["blocks"]) <= 100
    shown = texts(view)
    assert sum("not recorded" in t for t in shown[:20]) == MAX_FAILURES
    assert f"…and {30 - MAX_FAILURES} more." in shown
    assert f"…and {30 - MAX_RECENT} more." in shown
    assert f"…and {200 - MAX_EXPIRING} more: `python -m bot expiring` lists them all." in shown
    assert sum("recorded by" in t for t in shown) == MAX_EXPIRING
    buttons = [
        b["accessory"]["value"]
        for b in view["blocks"]
        if "accessory" in b and b["accessory"]["action_id"] == RETRY_ACTION
    ]
    assert buttons == [str(i) for i in range(1, MAX_FAILURES + 1)]
    corrects = [
        b["accessory"]["value"]
        for b in view["blocks"]
        if "accessory" in b and b["accessory"]["action_id"] == CORRECT_ACTION
    ]
    assert corrects == [str(i) for i in range(100, 100 + MAX_RECENT)]


def test_the_home_of_someone_not_on_the_list() -> None:
    assert not_allowed_view() == {
        "type": "home",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "Record Course", "emoji": True},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": NOT_ALLOWED}},
        ],
    }


# --- end to end ------------------------------------------------------------------------------

OUTSIDER = "U0OUTSIDER"
_events = iter(range(1, 10_000))


def app_home_opened(user_id: str, tab: str = "home") -> str:
    """An Events API delivery of `app_home_opened`, as Slack sends it (JSON)."""
    now = int(time.time())
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "api_app_id": API_APP_ID,
            "event": {
                "type": "app_home_opened",
                "user": user_id,
                "channel": "D0HOME",
                "tab": tab,
                "event_ts": f"{now}.000100",
            },
            "type": "event_callback",
            "event_id": f"Ev0HOME{next(_events)}",
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
    )


@dataclass
class Running:
    app: LiveApp

    @property
    def slack(self) -> SlackStandIn:
        return self.app.slack

    @property
    def bot(self) -> SlackBot:
        return self.app.bot

    @property
    def harness(self) -> SlackHarness:
        return self.app.harness

    @property
    def store(self) -> Store:
        return self.app.store

    def open_home(self, user_id: str = USER_ID, tab: str = "home") -> httpx.Response:
        return self.harness.post(app_home_opened(user_id, tab), content_type="application/json")

    def publishes(self, user_id: str, count: int = 1) -> list[Call]:
        return self.slack.wait_for(
            lambda c: c.method == "views.publish" and c.args.get("user_id") == user_id, count
        )


@pytest.fixture
def running(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[Running]:
    """The app with no retries, wrapped for the Home tab's tests."""
    with live_app(tmp_path / "log.db", slack, sandbox, retry_delays=()) as app:
        yield Running(app)


def seed(store: Store, today: dt.date) -> dict[str, int]:
    """A recorded submission expiring in 30 days, one of another person's, and a failure."""

    def add(key: str, user_id: str, state: State, **changes: Any) -> int:
        created, _ = store.create(
            {
                "key": key,
                "frontend": "slack",
                "team_id": TEAM_ID,
                "channel_id": "C0TRAINING",
                "user_id": user_id,
                "user_name": "admin" if user_id == USER_ID else "<!channel>",
                "contact_id": 1042 if user_id == USER_ID else 1043,
                "course_id": 2,
                "completed_at": today - dt.timedelta(days=3 * 365 - 30),
                "expires_at": today + dt.timedelta(days=30),
                "typed": {"contact_id": "1042", "course_id": "2"},
                "assumed": [],
                "notes": {},
            }
        )
        store.update(created.id, state.value, state=state, reported=1, **changes)
        return created.id

    return {
        "recorded": add(
            "k1", USER_ID, State.RECORDED, record_id=1, course_name="Safeguarding Foundations"
        ),
        "theirs": add(
            "k2", "U0COLLEAGUE", State.RECORDED, record_id=2, course_name="<!channel> course"
        ),
        "failed": add("k3", USER_ID, State.FAILED, reason="The CMS did not answer."),
    }


def test_opening_the_home_tab_publishes_the_persons_home(running: Running) -> None:
    ids = seed(running.store, running.bot.recorder.today())
    response = running.open_home()
    assert response.status_code == 200
    [call] = running.publishes(USER_ID)
    assert call.ok
    view = call.args["view"]
    assert view["type"] == "home"
    assert running.slack.home_view(USER_ID)["blocks"] == view["blocks"]
    shown = texts(view)
    attention = shown.index("Needs your attention")
    recent = shown.index("Your recent submissions")
    soon = shown.index("Expiring in the next 90 days")
    assert attention < recent < soon
    assert shown[attention + 1] == (
        "*Safeguarding Foundations* for contact 1042, "
        f"today {_local_time(running, ids['failed'])}\n"
        ":warning: not recorded: The CMS did not answer."
    )
    [button] = [
        b["accessory"]
        for b in view["blocks"]
        if "accessory" in b and b["accessory"]["action_id"] != CORRECT_ACTION
    ]
    assert (button["action_id"], button["value"]) == (RETRY_ACTION, str(ids["failed"]))
    assert len(shown[recent + 1 : soon - 1]) == 2  # only this person's two submissions
    expiring = shown[soon + 1 :]
    assert len(expiring) == 2  # everyone's, the colleague's name escaped
    assert all("(in 30 days)" in line for line in expiring)
    assert any("recorded by &lt;!channel&gt;" in line for line in expiring)
    assert any("*&lt;!channel&gt; course*" in line for line in expiring)


def _local_time(running: Running, submission_id: int) -> str:
    created = running.store.get(submission_id).created_at
    return created.astimezone(running.bot.recorder.zone).strftime("%H:%M")


def test_retrying_from_the_home_tab_records_it_and_refreshes_the_home(
    running: Running, sandbox: CMSSandbox
) -> None:
    ids = seed(running.store, running.bot.recorder.today())
    running.open_home()
    [first] = running.publishes(USER_ID)
    click = running.harness.block_actions(
        RETRY_ACTION,
        value=str(ids["failed"]),
        block_id=f"failure_{ids['failed']}",
        view=first.response["view"],
    )
    assert click.status_code == 200
    calls = running.publishes(USER_ID, count=2)
    assert running.store.get(ids["failed"]).state is State.RECORDED
    assert len(sandbox.records(1042)) == 1
    refreshed = texts(calls[-1].args["view"])
    assert "Nothing needs your attention." in refreshed
    # No "Try again" any more; the record made is offered for correction instead.
    accessories = [b["accessory"] for b in calls[-1].args["view"]["blocks"] if "accessory" in b]
    assert [a["action_id"] for a in accessories if a["action_id"] == RETRY_ACTION] == []
    assert str(ids["failed"]) in [a["value"] for a in accessories]


def test_someone_not_on_the_list_gets_the_refusal_and_nothing_from_the_log(
    running: Running,
) -> None:
    seed(running.store, running.bot.recorder.today())
    assert running.open_home(OUTSIDER).status_code == 200
    [call] = running.publishes(OUTSIDER)
    assert call.args["view"] == not_allowed_view()
    assert "1042" not in json.dumps(call.args["view"])


def test_the_messages_tab_publishes_nothing(running: Running) -> None:
    assert running.open_home(USER_ID, tab="messages").status_code == 200
    assert running.open_home(OUTSIDER).status_code == 200
    running.publishes(OUTSIDER)
    assert [c.args["user_id"] for c in running.slack.calls("views.publish")] == [OUTSIDER]


def test_an_unsigned_event_is_refused(running: Running) -> None:
    response = running.harness.post(
        app_home_opened(USER_ID), content_type="application/json", signing=Signing.forged()
    )
    assert response.status_code == 401
    running.open_home(OUTSIDER)
    running.publishes(OUTSIDER)
    assert [c.args["user_id"] for c in running.slack.calls("views.publish")] == [OUTSIDER]


# --- renewal rules, end to end: the form's blank expiry filled, the thread says so -------------


def test_a_blank_expiry_is_filled_by_course_name_and_the_thread_says_so(
    running: Running, sandbox: CMSSandbox
) -> None:
    from bot.renewals import parse_renewals

    running.bot.recorder.renewals = parse_renewals(
        '[courses]\n"safeguarding foundations" = "3 years"\n'
    )
    assert running.harness.command("").status_code == 200
    [opened] = running.slack.wait_for("views.open")
    answer = running.harness.view_submission(
        opened.response["view"],
        {
            "contact_id": ("Contact #1042", "1042"),
            "course_id": ("Safeguarding Foundations", "2"),
            "completed_at": "12/03/2025",
        },
    )
    assert answer.status_code == 200
    replies = running.slack.wait_for(
        lambda c: c.method == "chat.postMessage" and bool(c.args.get("thread_ts"))
    )
    text = replies[-1].args["text"]
    assert "Completed: 12 March 2025\n" in text
    assert "Expires: 12 March 2028 (filled in from the course's renewal period, 3 years)" in text
    [held] = sandbox.records(1042)
    assert held["expires_at"] == "2028-03-12"


def test_the_events_url_answers_slacks_url_verification(running: Running) -> None:
    # Slack checks the manifest's event_subscriptions.request_url with this when it is saved.
    body = json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = running.harness.post(body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
