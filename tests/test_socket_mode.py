"""`serve` in Socket Mode, end to end: the app connects out to a Socket Mode stand-in, gets
the slash command and the form's submission as envelopes, and answers each in its ack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_requests import command_body, view_submission_payload
from bot.local.slack_standin import SlackStandIn
from tests.support.live_app import thread_replies, wait_until
from tests.support.serving import serve_env, serving
from tests.support.socketmode import SocketModeStandIn

APP_TOKEN = "xapp-1-A0STANDIN-1-socketmodetoken"


@pytest.fixture
def socket_mode(slack: SlackStandIn) -> Iterator[SocketModeStandIn]:
    with SocketModeStandIn() as socket:
        slack.socket_mode_url = socket.url
        yield socket


def test_a_course_recorded_over_socket_mode(
    tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn, socket_mode: SocketModeStandIn
) -> None:
    # No signing secret: in Socket Mode nothing arrives over HTTP.
    env = serve_env(
        tmp_path / "log.db",
        sandbox,
        slack,
        secret="",
        token="xoxb-socket-mode",
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    with serving(env, tmp_path, run=1, listens=False):
        socket_mode.wait_connected()
        [connect] = slack.calls("apps.connections.open")
        assert connect.token == APP_TOKEN

        trigger_id = slack.new_trigger_id()
        command = dict(parse_qsl(command_body("1042 foundations", trigger_id=trigger_id)))
        assert socket_mode.ack(socket_mode.send("slash_commands", command)) == {}
        [opened] = slack.wait_for("views.open", ok=True)
        assert opened.args["trigger_id"] == trigger_id
        view = opened.response["view"]

        submission = view_submission_payload(
            view, {"contact_id": ("Joan Ellison", "1042"), "course_id": ("Foundations", "2")}
        )
        answer = socket_mode.ack(socket_mode.send("interactive", submission))
        assert answer == {"response_action": "clear"}
        [reply] = wait_until(lambda: thread_replies(slack), what="the thread reply")
    assert "Safeguarding Foundations" in reply.text
    assert len(sandbox.records(1042)) == 1
    assert "Traceback" not in (tmp_path / "serve-1.err").read_text()


def test_refusals_and_bad_envelopes_leave_the_connection_working(
    tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn, socket_mode: SocketModeStandIn
) -> None:
    env = serve_env(
        tmp_path / "log.db", sandbox, slack, secret="", token="xoxb-sm", SLACK_APP_TOKEN=APP_TOKEN
    )
    with serving(env, tmp_path, run=1, listens=False):
        socket_mode.wait_connected()
        outsider = dict(parse_qsl(command_body("1042", user_id="U0OUTSIDER")))
        refused = socket_mode.ack(socket_mode.send("slash_commands", outsider))
        assert "not on the list" in str(refused)
        # Envelopes that no listener takes, or that Bolt cannot read. Only Slack can send on
        # this connection and it sends neither; Bolt leaves them unacknowledged (logging its
        # own error for the second), and the connection must survive them.
        socket_mode.send("interactive", {"type": "view_submission"})
        socket_mode.send("interactive", {"type": "block_actions", "actions": []})
        # The connection still works.
        command = dict(parse_qsl(command_body("", trigger_id=slack.new_trigger_id())))
        assert socket_mode.ack(socket_mode.send("slash_commands", command)) == {}
        slack.wait_for("views.open", ok=True)
    assert sandbox.records(1042) == []
