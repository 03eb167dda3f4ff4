"""The Slack Web API stand-in (`bot.local.slack_standin`) and the request harness (`slack_harness`).

The stand-in is driven by slack_sdk's own `WebClient`, over real HTTP, as the app drives it.
The harness is checked by its signatures and payloads round-tripping, and end to end against
a minimal Bolt app served on 127.0.0.1 (the pattern the app's end-to-end tests follow).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.local.slack_standin import RESPONSE_URL, Call, SlackStandIn
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.slack_harness import (
    CHANNEL_ID,
    USER_ID,
    Signing,
    SlackHarness,
    block_actions_payload,
    block_suggestion_payload,
    command_body,
    parse_payload_body,
    payload_body,
    signed_headers,
    state_values,
    view_submission_payload,
)

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "record_course",
    "private_metadata": '{"channel": "C0TRAINING"}',
    "title": {"type": "plain_text", "text": "Record a course"},
    "submit": {"type": "plain_text", "text": "Record"},
    "blocks": [
        {
            "type": "input",
            "block_id": "contact_id",
            "label": {"type": "plain_text", "text": "Contact"},
            "element": {"type": "external_select", "action_id": "contact_id"},
        },
        {
            "type": "input",
            "block_id": "completed_at",
            "optional": True,
            "label": {"type": "plain_text", "text": "Completed"},
            "element": {"type": "plain_text_input", "action_id": "completed_at"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "not an input"}},
    ],
}


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.url)


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


# ---------------------------------------------------------------------- serving


def test_url_is_a_base_url_that_webclient_joins_under_api(slack: SlackStandIn) -> None:
    assert slack.url == f"http://127.0.0.1:{slack.port}/api/"


def test_answers_methods_without_the_api_prefix_too(slack: SlackStandIn) -> None:
    bare = WebClient(token=TOKEN, base_url=f"http://127.0.0.1:{slack.port}/")
    assert bare.auth_test()["user_id"] == "U0BOT"


def test_port_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = FaultySlackStandIn().url


@pytest.mark.slow
def test_stop_frees_the_port_and_twice_is_harmless() -> None:
    standin = FaultySlackStandIn().start()
    client = WebClient(token=TOKEN, base_url=standin.url, retry_handlers=[])
    client.auth_test()
    standin.stop()
    standin.stop()
    with pytest.raises(OSError, match="refused"):
        client.auth_test()


def test_starting_twice_is_an_error(slack: SlackStandIn) -> None:
    with pytest.raises(RuntimeError):
        slack.start()


def test_auth_test_reports_the_bot_identity(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer.data == {
        "ok": True,
        "url": "https://standin.slack.com/",
        "team": "Stand-in Workspace",
        "user": "record-course",
        "team_id": "T0STANDIN",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
        "is_enterprise_install": False,
    }


def test_calls_without_a_token_are_refused(slack: SlackStandIn) -> None:
    anonymous = WebClient(base_url=slack.url)
    assert error_of(anonymous.auth_test) == "not_authed"


@pytest.mark.slow
def test_a_configured_token_is_enforced() -> None:
    with FaultySlackStandIn(token=TOKEN) as standin:
        assert WebClient(token=TOKEN, base_url=standin.url).auth_test()["ok"]
        wrong = WebClient(token="xoxb-other", base_url=standin.url)
        assert error_of(wrong.auth_test) == "invalid_auth"


def test_unknown_methods_are_answered_like_slack(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("reactions.add")) == "unknown_method"


def test_records_every_call_with_args_token_and_answer(
    slack: SlackStandIn, client: WebClient
) -> None:
    before = time.time()
    client.chat_postMessage(channel="C1", text="hello", blocks=[{"type": "divider"}])
    [call] = slack.calls("chat.postMessage")
    assert call.method == "chat.postMessage"
    assert call.args == {"channel": "C1", "text": "hello", "blocks": [{"type": "divider"}]}
    assert call.token == TOKEN
    assert before <= call.at <= time.time()
    assert call.status == 200
    assert call.ok
    assert call.error is None
    assert call.response["ts"] == "1700000000.000100"


def test_form_encoded_and_query_arguments_are_parsed(
    slack: SlackStandIn, client: WebClient
) -> None:
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "form", "blocks": json.dumps([{"type": "divider"}])},
    )
    client.users_info(user="U123")  # slack_sdk sends this one as a query string
    client.api_call("chat.postMessage", data={"channel": "C2", "text": "multipart"})
    posted, info, multipart = slack.calls()
    assert posted.args == {"channel": "C1", "text": "form", "blocks": [{"type": "divider"}]}
    assert info.args == {"user": "U123"}
    assert multipart.args == {"channel": "C2", "text": "multipart"}


def test_a_body_that_is_not_json_is_refused(slack: SlackStandIn, client: WebClient) -> None:
    import httpx

    answer = httpx.post(
        slack.url + "chat.postMessage",
        content=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.json() == {"ok": False, "error": "invalid_json"}


# ---------------------------------------------------------------------- views


def test_views_open_needs_an_issued_trigger_used_once(
    slack: SlackStandIn, client: WebClient
) -> None:
    trigger = slack.new_trigger_id()
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "record_course"
    assert view["private_metadata"] == MODAL["private_metadata"]
    assert view["blocks"] == MODAL["blocks"]
    assert view["state"] == {"values": {}}
    assert view["root_view_id"] == view["id"]
    assert slack.view(view["id"]) == view
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == (
        "expired_trigger_id"
    )
    assert error_of(lambda: client.views_open(trigger_id="1.2.made-up", view=MODAL)) == (
        "invalid_trigger_id"
    )


@pytest.mark.slow
def test_trigger_ids_expire() -> None:
    with FaultySlackStandIn(trigger_ttl=0.05) as standin:
        client = WebClient(token=TOKEN, base_url=standin.url)
        trigger = standin.new_trigger_id()
        time.sleep(0.1)
        assert error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == (
            "expired_trigger_id"
        )


def test_views_open_refuses_something_that_is_not_a_view(
    slack: SlackStandIn, client: WebClient
) -> None:
    trigger = slack.new_trigger_id()
    assert error_of(lambda: client.views_open(trigger_id=trigger, view={"blocks": []})) == (
        "invalid_arguments"
    )


def test_views_update_by_id_keeps_the_id_and_changes_the_hash(
    slack: SlackStandIn, client: WebClient
) -> None:
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=MODAL)["view"]
    changed = {**MODAL, "blocks": [], "private_metadata": "new"}
    updated = client.views_update(view_id=opened["id"], view=changed)["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert updated["private_metadata"] == "new"
    assert slack.view(opened["id"])["blocks"] == []
    stale = opened["hash"]
    assert error_of(lambda: client.views_update(view_id=opened["id"], view=MODAL, hash=stale)) == (
        "hash_conflict"
    )
    assert error_of(lambda: client.views_update(view_id="V404", view=MODAL)) == "not_found"


def test_views_update_by_external_id(slack: SlackStandIn, client: WebClient) -> None:
    opened = client.views_open(
        trigger_id=slack.new_trigger_id(), view={**MODAL, "external_id": "sub-1"}
    )["view"]
    updated = client.views_update(external_id="sub-1", view={**MODAL, "blocks": []})["view"]
    assert updated["id"] == opened["id"]
    assert error_of(lambda: client.views_update(external_id="nope", view=MODAL)) == ("not_found")


def test_views_push_needs_a_trigger_and_gives_a_new_view(
    slack: SlackStandIn, client: WebClient
) -> None:
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=MODAL)["view"]
    pushed = client.views_push(trigger_id=slack.new_trigger_id(), view=MODAL)["view"]
    assert pushed["id"] != opened["id"]
    assert [v["id"] for v in slack.views()] == [opened["id"], pushed["id"]]
    assert error_of(lambda: client.views_push(trigger_id="x", view=MODAL)) == ("invalid_trigger_id")


HOME: dict[str, Any] = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}],
}


def test_views_publish_keeps_one_home_view_per_user(slack: SlackStandIn, client: WebClient) -> None:
    first = client.views_publish(user_id="U0ADMIN", view=HOME)
    assert first["ok"] is True
    assert first["view"]["type"] == "home"
    assert first["view"]["blocks"] == HOME["blocks"]
    again = client.views_publish(user_id="U0ADMIN", view={**HOME, "blocks": []})["view"]
    assert again["id"] == first["view"]["id"]
    assert again["hash"] != first["view"]["hash"]
    other = client.views_publish(user_id="U0OTHER", view=HOME)["view"]
    assert other["id"] != again["id"]
    assert slack.home_view("U0ADMIN")["blocks"] == []
    assert slack.home_view("U0OTHER")["blocks"] == HOME["blocks"]
    [call, *_] = slack.calls("views.publish")
    assert call.args["user_id"] == "U0ADMIN"
    with pytest.raises(KeyError):
        slack.home_view("U0NOBODY")
    slack.reset()
    with pytest.raises(KeyError):
        slack.home_view("U0ADMIN")


def test_views_publish_refuses_a_modal_a_missing_user_and_a_stale_hash(
    slack: SlackStandIn, client: WebClient
) -> None:
    assert error_of(lambda: client.views_publish(user_id="U0ADMIN", view=MODAL)) == (
        "invalid_arguments"
    )
    assert error_of(lambda: client.views_publish(user_id="", view=HOME)) == "invalid_arguments"
    assert error_of(lambda: client.views_publish(user_id="C0CHANNEL", view=HOME)) == "not_found"
    published = client.views_publish(user_id="U0ADMIN", view=HOME)["view"]
    client.views_publish(user_id="U0ADMIN", view=HOME, hash=published["hash"])
    assert error_of(
        lambda: client.views_publish(user_id="U0ADMIN", view=HOME, hash=published["hash"])
    ) == ("hash_conflict")


# ---------------------------------------------------------------------- messages


def test_post_message_gives_increasing_ts_and_threads_replies(
    slack: SlackStandIn, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C1", text="recording...")
    reply = client.chat_postMessage(channel="C1", text="done", thread_ts=parent["ts"])
    other = client.chat_postMessage(channel="C2", text="elsewhere")
    assert (parent["ts"], reply["ts"], other["ts"]) == (
        "1700000000.000100",
        "1700000000.000200",
        "1700000000.000300",
    )
    assert parent["channel"] == "C1"
    assert parent["message"]["text"] == "recording..."
    assert [m.text for m in slack.messages()] == ["recording...", "done", "elsewhere"]
    assert [m.text for m in slack.messages("C1")] == ["recording...", "done"]
    [threaded] = slack.messages("C1", thread_ts=parent["ts"])
    assert (threaded.text, threaded.thread_ts, threaded.user) == ("done", parent["ts"], "U0BOT")
    assert slack.message("C2", other["ts"]).text == "elsewhere"


def test_a_reply_under_a_message_that_does_not_exist_is_refused(client: WebClient) -> None:
    assert error_of(
        lambda: client.chat_postMessage(channel="C1", text="x", thread_ts="1.000001")
    ) == ("thread_not_found")


def test_a_message_needs_text_or_blocks(client: WebClient) -> None:
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns before sending
        assert error_of(lambda: client.chat_postMessage(channel="C1")) == "no_text"


def test_posting_to_a_user_id_lands_in_their_dm(slack: SlackStandIn, client: WebClient) -> None:
    answer = client.chat_postMessage(channel="U0ADMIN", text="direct")
    assert answer["channel"] == slack.dm_channel("U0ADMIN") == "D0ADMIN"
    assert [m.text for m in slack.messages("D0ADMIN")] == ["direct"]


def test_chat_update_changes_the_stored_message(slack: SlackStandIn, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="recording...")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "recorded"}}]
    answer = client.chat_update(channel="C1", ts=parent["ts"], text="recorded", blocks=blocks)
    assert (answer["ts"], answer["text"]) == (parent["ts"], "recorded")
    message = slack.message("C1", parent["ts"])
    assert (message.text, message.blocks, message.edits) == ("recorded", tuple(blocks), 1)
    assert error_of(lambda: client.chat_update(channel="C1", ts="9.000009", text="x")) == (
        "message_not_found"
    )


def test_post_ephemeral(slack: SlackStandIn, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U9", text="not for you")
    [ephemeral] = slack.ephemerals("C1", user="U9")
    assert (ephemeral.text, ephemeral.ts) == ("not for you", answer["message_ts"])
    assert slack.messages() == []
    assert slack.ephemerals(user="U8") == []


def test_conversations_open_gives_a_dm_channel(slack: SlackStandIn, client: WebClient) -> None:
    assert client.conversations_open(users="U0ADMIN")["channel"]["id"] == "D0ADMIN"
    assert error_of(lambda: client.conversations_open(users="U1,U2")) == "not_supported"


def test_usergroup_membership_is_configurable(slack: SlackStandIn, client: WebClient) -> None:
    slack.set_usergroup("S0TRAINERS", ["U1", "U2"])
    assert client.usergroups_users_list(usergroup="S0TRAINERS")["users"] == ["U1", "U2"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S404")) == ("no_such_subteam")


def test_users_info(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_user("U1", name="jane", real_name="Jane Smith")
    user = client.users_info(user="U1")["user"]
    assert (user["id"], user["name"], user["real_name"], user["tz"]) == (
        "U1",
        "jane",
        "Jane Smith",
        "Europe/London",
    )
    assert client.users_info(user="U777")["user"]["real_name"] == "User U777"
    assert error_of(lambda: client.users_info(user="nobody")) == "user_not_found"


def test_response_urls_take_five_posts(slack: SlackStandIn) -> None:
    url = slack.new_response_url()
    webhook = WebhookClient(url)
    statuses = [webhook.send(text=f"post {n}").status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 404]
    first = slack.calls(RESPONSE_URL)[0]
    assert first.args == {"text": "post 0", "response_url": url}
    assert WebhookClient(url + "x").send(text="?").status_code == 404


# ---------------------------------------------------------------------- faults


def test_not_in_channel_for_chosen_channels(slack: SlackStandIn, client: WebClient) -> None:
    slack.leave_channels("C_PRIVATE")
    assert error_of(lambda: client.chat_postMessage(channel="C_PRIVATE", text="x")) == (
        "not_in_channel"
    )
    assert client.chat_postMessage(channel="C_OTHER", text="x")["ok"]
    slack.join_channels("C_PRIVATE")
    assert client.chat_postMessage(channel="C_PRIVATE", text="x")["ok"]
    [refused] = slack.calls("chat.postMessage", ok=False)
    assert refused.error == "not_in_channel"


def test_rate_limit_answers_429_with_retry_after(slack: SlackStandIn, client: WebClient) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_rate_limit_is_retried_by_slack_sdks_handler(
    slack: SlackStandIn, client: WebClient
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
    assert len(slack.messages()) == 1


def test_fail_answers_an_error_a_number_of_times(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail("chat.postMessage", "channel_not_found", times=2)
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="x")) == (
        "channel_not_found"
    )
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_fail_with_a_server_status(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail("views.open", "fatal_error", times=None, status=503)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.views_open(trigger_id=slack.new_trigger_id(), view=MODAL)
        assert caught.value.response.status_code == 503


def test_delay(slack: SlackStandIn, client: WebClient) -> None:
    def timed(call: Any) -> float:
        started = time.monotonic()
        call()
        return time.monotonic() - started

    slack.delay(0.5, "chat.postMessage")
    assert timed(client.auth_test) < 0.5  # other methods are not delayed
    assert timed(lambda: client.chat_postMessage(channel="C1", text="x")) >= 0.5
    slack.delay(0, "chat.postMessage")
    assert timed(lambda: client.chat_postMessage(channel="C1", text="x")) < 0.5
    slack.delay(0.2)  # every method
    assert timed(client.auth_test) >= 0.2


def test_down_with_errors_then_up(slack: SlackStandIn, client: WebClient) -> None:
    slack.go_down("error")
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    assert caught.value.response.status_code == 500
    slack.come_up()
    assert client.auth_test()["ok"]


def test_down_refusing_connections_then_up_on_the_same_port(
    slack: SlackStandIn, client: WebClient
) -> None:
    port = slack.port
    client.retry_handlers.clear()  # slack_sdk retries connection errors once by default
    slack.go_down("refuse")
    with pytest.raises(OSError, match="refused"):
        client.auth_test()
    slack.go_down("error")  # from one kind of outage to the other
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    assert caught.value.response.status_code == 500
    slack.come_up()
    assert slack.port == port
    assert client.auth_test()["ok"]
    assert [c.status for c in slack.calls()] == [500, 200]


def test_the_token_is_kept_out_of_reprs(slack: SlackStandIn, client: WebClient) -> None:
    client.auth_test()
    [call] = slack.calls()
    assert call.token == TOKEN
    assert TOKEN not in repr(call)


def test_reset_forgets_everything(slack: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x")
    slack.leave_channels("C1")
    slack.reset()
    assert slack.calls() == []
    assert slack.messages() == []
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


# ---------------------------------------------------------------------- waiting, observing


def test_wait_for_returns_when_calls_arrive_from_another_thread(
    slack: SlackStandIn, client: WebClient
) -> None:
    def later() -> None:
        time.sleep(0.1)
        client.chat_postMessage(channel="C1", text="one")
        client.chat_postMessage(channel="C1", text="two")

    worker = threading.Thread(target=later)
    worker.start()
    calls = slack.wait_for("chat.postMessage", 2, timeout=5)
    worker.join()
    assert [c.args["text"] for c in calls] == ["one", "two"]


def test_wait_for_a_predicate(slack: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C2", text="two")
    [call] = slack.wait_for(lambda c: c.args.get("channel") == "C2")
    assert call.args["text"] == "two"


def test_wait_for_times_out_saying_what_came(slack: SlackStandIn, client: WebClient) -> None:
    slack.leave_channels("C1")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(TimeoutError, match=r"chat.postMessage \(not_in_channel\)"):
        slack.wait_for("chat.postMessage", timeout=0.1, ok=True)


def test_observers_see_each_answered_call(client: WebClient) -> None:
    seen: list[Call] = []

    def broken(call: Call) -> None:
        raise ValueError("an observer bug must not break the stand-in")

    with FaultySlackStandIn(observer=seen.append) as standin:
        standin.add_observer(broken)
        client = WebClient(token=TOKEN, base_url=standin.url)
        client.chat_postMessage(channel="C1", text="hello")
    assert [(c.method, c.args["text"], c.response["ts"]) for c in seen] == [
        ("chat.postMessage", "hello", "1700000000.000100")
    ]


def test_concurrent_posts_get_unique_ts(slack: SlackStandIn, client: WebClient) -> None:
    def post(n: int) -> None:
        client.chat_postMessage(channel="C1", text=str(n))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({m.ts for m in slack.messages("C1")}) == 20


# ---------------------------------------------------------------------- the harness


def test_signed_headers_round_trip() -> None:
    body = command_body("1042 foundations")
    headers = signed_headers(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )


@pytest.mark.parametrize(
    "signing",
    [Signing.stale(), Signing.wrong_secret(), Signing.forged()],
    ids=["stale", "wrong-secret", "forged"],
)
def test_forged_signatures_do_not_verify(signing: Signing) -> None:
    body = command_body("x")
    headers = signed_headers(SECRET, body, signing)
    assert not SignatureVerifier(SECRET).is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )


def test_unsigned_sends_no_signature_headers() -> None:
    assert signed_headers(SECRET, "x", Signing.unsigned()) == {}


def test_command_body_is_what_slack_sends() -> None:
    fields = parse_qs(command_body("contact 1042 <!channel>", trigger_id="1.2.3"))
    assert {k: v[0] for k, v in fields.items() if k not in {"response_url"}} == {
        "token": "legacy-verification-token",
        "team_id": "T0STANDIN",
        "team_domain": "standin",
        "channel_id": CHANNEL_ID,
        "channel_name": "training",
        "user_id": USER_ID,
        "user_name": "admin",
        "command": "/record-course",
        "text": "contact 1042 <!channel>",
        "api_app_id": "A0STANDIN",
        "is_enterprise_install": "false",
        "trigger_id": "1.2.3",
    }


def test_view_submission_state_is_shaped_as_slack_sends_it() -> None:
    payload = parse_payload_body(
        payload_body(
            view_submission_payload(
                {**MODAL, "id": "V123"},
                {"contact_id": ("Jane Smith (St Mary's)", "1042"), "completed_at": "yesterday"},
            )
        )
    )
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == USER_ID
    assert payload["team"]["id"] == "T0STANDIN"
    view = payload["view"]
    assert (view["id"], view["callback_id"], view["private_metadata"]) == (
        "V123",
        "record_course",
        MODAL["private_metadata"],
    )
    assert view["state"]["values"] == {
        "contact_id": {
            "contact_id": {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Jane Smith (St Mary's)", "emoji": True},
                    "value": "1042",
                },
            }
        },
        "completed_at": {"completed_at": {"type": "plain_text_input", "value": "yesterday"}},
    }


def test_empty_fields_are_sent_as_slack_sends_them() -> None:
    assert state_values(MODAL, {}) == {
        "contact_id": {"contact_id": {"type": "external_select", "selected_option": None}},
        "completed_at": {"completed_at": {"type": "plain_text_input", "value": None}},
    }


def test_values_for_blocks_not_in_the_view_are_a_test_bug() -> None:
    with pytest.raises(KeyError, match="expires_at"):
        state_values(MODAL, {"expires_at": "3 years"})


def test_block_suggestion_and_block_actions_payloads() -> None:
    suggestion = block_suggestion_payload("contact_id", "smi", view={**MODAL, "id": "V9"})
    assert (suggestion["type"], suggestion["action_id"], suggestion["block_id"]) == (
        "block_suggestion",
        "contact_id",
        "contact_id",
    )
    assert (suggestion["value"], suggestion["view"]["id"]) == ("smi", "V9")
    click = block_actions_payload(
        "reopen", value="42", message={"ts": "1700000000.000200", "text": "failed"}
    )
    assert click["type"] == "block_actions"
    assert click["actions"][0]["action_id"] == "reopen"
    assert click["actions"][0]["value"] == "42"
    assert click["container"]["message_ts"] == "1700000000.000200"
    assert click["channel"]["id"] == CHANNEL_ID


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def tiny_app(slack: SlackStandIn) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A minimal Bolt app over HTTP on 127.0.0.1, with the stand-in as its Web API."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    seen: list[dict[str, Any]] = []
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=slack.url))

    @app.command("/record-course")
    def command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.options("contact_id")
    def contacts(ack: Ack, body: dict[str, Any]) -> None:
        seen.append(body)
        option = {"text": {"type": "plain_text", "text": "Jane Smith"}, "value": "1042"}
        ack(options=[option])

    @app.view("record_course")
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen.append(body)
        ack(response_action="errors", errors={"completed_at": "not a date"})

    @app.action("reopen")
    def reopen(ack: Ack, body: dict[str, Any]) -> None:
        seen.append(body)
        ack()

    server = make_server(
        "127.0.0.1",
        0,
        SlackRequestHandler(app),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_harness_drives_a_bolt_app_end_to_end(
    slack: SlackStandIn, tiny_app: tuple[str, list[dict[str, Any]]]
) -> None:
    app_url, seen = tiny_app
    with SlackHarness(app_url, SECRET, standin=slack) as harness:
        assert harness.command("1042").status_code == 200
        [opened] = slack.wait_for("views.open", ok=True)
        view = opened.response["view"]

        options = harness.block_suggestion("contact_id", "jan", view=view)
        assert options.json()["options"][0]["value"] == "1042"
        assert seen[-1]["value"] == "jan"

        answer = harness.view_submission(
            view, {"contact_id": ("Jane Smith", "1042"), "completed_at": "someday"}
        )
        assert answer.json() == {
            "response_action": "errors",
            "errors": {"completed_at": "not a date"},
        }
        values = seen[-1]["view"]["state"]["values"]
        assert values["completed_at"]["completed_at"]["value"] == "someday"
        assert seen[-1]["view"]["id"] == view["id"]

        assert harness.block_actions("reopen", value="7").status_code == 200
        assert seen[-1]["actions"][0]["value"] == "7"


@pytest.mark.parametrize(
    "signing",
    [Signing.stale(), Signing.wrong_secret(), Signing.forged(), Signing.unsigned()],
    ids=["stale", "wrong-secret", "forged", "unsigned"],
)
def test_bolt_refuses_forged_requests_from_the_harness(
    slack: SlackStandIn, tiny_app: tuple[str, list[dict[str, Any]]], signing: Signing
) -> None:
    app_url, _ = tiny_app
    with SlackHarness(app_url, SECRET, standin=slack) as harness:
        assert harness.command("1042", signing=signing).status_code == 401
    assert slack.calls("views.open") == []
