"""Talk to a running Bolt app over real HTTP, as Slack does.

Slack delivers slash commands as form-encoded bodies and interactions (``view_submission``,
``block_suggestion``, ``block_actions``) as a form-encoded ``payload=<json>``, each signed
with the app's signing secret. `SlackHarness` builds those bodies, signs them with
`slack_sdk.signature.SignatureVerifier`, and POSTs them with httpx to ``<app>/slack/events``.
The payload builders are plain functions too, for tests that need the bodies themselves.

Typical end-to-end use, with the Web API replaced by `bot.slack.standin.SlackStandIn`::

    with SlackStandIn() as slack, SlackHarness(app_url, SECRET, standin=slack) as harness:
        assert harness.command("1042 foundations").status_code == 200
        [opened] = slack.wait_for("views.open")
        view = opened.response["view"]
        answer = harness.view_submission(view, {"contact_id": ("Jane Smith", "1042"), ...})

`Signing` forges bad requests: a stale timestamp, a wrong secret, a made-up signature.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.slack.standin import SlackStandIn

TEAM_ID = "T0STANDIN"
TEAM_DOMAIN = "standin"
API_APP_ID = "A0STANDIN"
USER_ID = "U0ADMIN"
USER_NAME = "admin"
CHANNEL_ID = "C0TRAINING"
CHANNEL_NAME = "training"
#: The legacy verification token Slack still puts in payloads (Bolt ignores it).
VERIFICATION_TOKEN = "legacy-verification-token"

_counter = itertools.count(1)

#: A value for one input block in `view_submission`: text for a text input, (label, value)
#: for a select, or None for a field left empty.
FieldValue = str | tuple[str, str] | None


# ---------------------------------------------------------------------- signing


@dataclass(frozen=True)
class Signing:
    """How to sign one request; the default signs it correctly, as Slack does.

    Attributes:
        timestamp: the ``X-Slack-Request-Timestamp`` (default: now).
        secret: sign with this secret instead of the app's.
        signature: send this ``X-Slack-Signature`` as it is; "" sends no signature headers.
    """

    timestamp: int | None = None
    secret: str | None = None
    signature: str | None = None

    @classmethod
    def stale(cls, seconds: int = 600) -> Signing:
        """Correctly signed, but `seconds` old (Bolt refuses anything over 5 minutes)."""
        return cls(timestamp=int(time.time()) - seconds)

    @classmethod
    def wrong_secret(cls) -> Signing:
        """Signed with a secret that is not the app's."""
        return cls(secret="not-the-signing-secret")

    @classmethod
    def forged(cls) -> Signing:
        """A well-formed signature that was never computed from the body."""
        return cls(signature="v0=" + "0" * 64)

    @classmethod
    def unsigned(cls) -> Signing:
        """No signature headers at all."""
        return cls(signature="")


def signed_headers(
    signing_secret: str, body: str, signing: Signing | None = None
) -> dict[str, str]:
    """The ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` headers for `body`."""
    signing = signing or Signing()
    if signing.signature == "":
        return {}
    timestamp = str(signing.timestamp if signing.timestamp is not None else int(time.time()))
    signature = signing.signature
    if signature is None:
        verifier = SignatureVerifier(signing.secret or signing_secret)
        signature = verifier.generate_signature(timestamp=timestamp, body=body) or ""
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


# ---------------------------------------------------------------------- bodies


def fake_trigger_id() -> str:
    """A trigger id shaped like Slack's (the stand-in will not accept it for views.open)."""
    n = next(_counter)
    return f"{n}.{TEAM_ID}.{hashlib.sha256(b'trigger%d' % n).hexdigest()[:32]}"


def user_json(user_id: str = USER_ID, user_name: str = USER_NAME) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID}


def team_json() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def command_body(
    text: str = "",
    *,
    command: str = "/record-course",
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    trigger_id: str | None = None,
    response_url: str = "http://127.0.0.1:9/hooks/commands/unused",
) -> str:
    """A slash-command request body, form-encoded as Slack sends it."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or fake_trigger_id(),
        }
    )


def input_elements(view: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Each input block of `view`: block_id -> (action_id, element type)."""
    found: dict[str, tuple[str, str]] = {}
    for block in view.get("blocks", []):
        if block.get("type") == "input":
            element = block["element"]
            found[block["block_id"]] = (element["action_id"], element["type"])
    return found


def state_value(element_type: str, value: FieldValue) -> dict[str, Any]:
    """One entry of ``view.state.values[block_id][action_id]`` exactly as Slack sends it."""
    if element_type in {"external_select", "static_select"}:
        if value is None:
            return {"type": element_type, "selected_option": None}
        label, option_value = value if isinstance(value, tuple) else (value, value)
        return {
            "type": element_type,
            "selected_option": {
                "text": {"type": "plain_text", "text": label, "emoji": True},
                "value": option_value,
            },
        }
    if isinstance(value, tuple):
        raise TypeError(f"a {element_type} takes text, not an option")
    return {"type": element_type, "value": value}


def state_values(
    view: Mapping[str, Any], values: Mapping[str, FieldValue]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``view.state.values`` for `view` with `values` (block_id -> value) filled in.

    Like Slack, every input block gets an entry; those not in `values` are empty.
    """
    elements = input_elements(view)
    unknown = set(values) - set(elements)
    if unknown:
        raise KeyError(f"no input blocks {sorted(unknown)} in the view (has {sorted(elements)})")
    return {
        block_id: {action_id: state_value(element_type, values.get(block_id))}
        for block_id, (action_id, element_type) in elements.items()
    }


def submitted_view(
    view: Mapping[str, Any],
    values: Mapping[str, FieldValue],
    *,
    raw_state: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`view` (a view dict, as ``views.open`` answered or as built) with a filled-in state."""
    view_id = str(view.get("id") or f"V{next(_counter):08d}")
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view.get("type", "modal"),
        "blocks": list(view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {
            "values": dict(raw_state) if raw_state is not None else state_values(view, values)
        },
        "hash": view.get("hash", "1700000000.abcdef"),
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": None,
        "root_view_id": view.get("root_view_id", view_id),
        "app_id": API_APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": TEAM_ID,
        "bot_id": view.get("bot_id", "B0BOT"),
    }


def view_submission_payload(
    view: Mapping[str, Any],
    values: Mapping[str, FieldValue] | None = None,
    *,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    trigger_id: str | None = None,
    raw_state: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``view_submission`` payload for `view` with `values` (block_id -> value) typed in.

    `raw_state` replaces ``view.state.values`` as given, for malformed submissions.
    """
    return {
        "type": "view_submission",
        "team": team_json(),
        "user": user_json(user_id, user_name),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or fake_trigger_id(),
        "view": submitted_view(view, values or {}, raw_state=raw_state),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_suggestion_payload(
    action_id: str,
    value: str,
    *,
    block_id: str | None = None,
    view: Mapping[str, Any] | None = None,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
) -> dict[str, Any]:
    """A ``block_suggestion`` payload: someone typed `value` into an external select."""
    shown = submitted_view(view or {"type": "modal"}, {}) if view is not None else None
    payload: dict[str, Any] = {
        "type": "block_suggestion",
        "user": user_json(user_id, user_name),
        "container": {"type": "view", "view_id": shown["id"] if shown else "V0"},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id or action_id,
        "value": value,
        "team": team_json(),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if shown is not None:
        payload["view"] = shown
    return payload


def block_actions_payload(
    action_id: str,
    *,
    value: str | None = None,
    block_id: str = "actions",
    message: Mapping[str, Any] | None = None,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    view: Mapping[str, Any] | None = None,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    trigger_id: str | None = None,
    response_url: str = "http://127.0.0.1:9/hooks/actions/unused",
) -> dict[str, Any]:
    """A ``block_actions`` payload: a button click in a message (or in `view`, if given).

    `message` is the message as Slack holds it (``{"ts": ..., "text": ..., "blocks": ...}``;
    the stand-in's ``chat.postMessage`` answer has it under ``"message"``).
    """
    now = f"{time.time():.6f}"
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": action_id, "emoji": True},
        "type": "button",
        "action_ts": now,
    }
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_json(user_id, user_name),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or fake_trigger_id(),
        "team": team_json(),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        shown = submitted_view(view, {})
        payload["container"] = {"type": "view", "view_id": shown["id"]}
        payload["view"] = shown
        payload["state"] = {"values": {}}
        return payload
    message = dict(message or {"type": "message", "ts": "1700000000.000100", "text": ""})
    payload["container"] = {
        "type": "message",
        "message_ts": message.get("ts"),
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if message.get("thread_ts"):
        payload["container"]["thread_ts"] = message["thread_ts"]
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["message"] = message
    payload["state"] = {"values": {}}
    payload["response_url"] = response_url
    return payload


def payload_body(payload: Mapping[str, Any]) -> str:
    """An interaction body as Slack sends it: form-encoded ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload)})


def parse_payload_body(body: str) -> dict[str, Any]:
    """The payload back out of `payload_body` (for tests of the harness itself)."""
    parsed: dict[str, Any] = json.loads(parse_qs(body, strict_parsing=True)["payload"][0])
    return parsed


# ---------------------------------------------------------------------- the sender


class SlackHarness:
    """Sends signed Slack requests to a running app at `app_url` (``/slack/events`` added).

    With `standin`, each command and click carries a trigger id and ``response_url`` the
    stand-in issued, so ``views.open`` and ``respond()`` work against it.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        standin: SlackStandIn | None = None,
        user_id: str = USER_ID,
        user_name: str = USER_NAME,
        channel_id: str = CHANNEL_ID,
        channel_name: str = CHANNEL_NAME,
        timeout: float = 10.0,
    ) -> None:
        base = app_url.rstrip("/")
        self.events_url = base if base.endswith("/slack/events") else base + "/slack/events"
        self.signing_secret = signing_secret
        self.standin = standin
        self.user_id, self.user_name = user_id, user_name
        self.channel_id, self.channel_name = channel_id, channel_name
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _trigger_id(self) -> str:
        return self.standin.new_trigger_id() if self.standin else fake_trigger_id()

    def _response_url(self, kind: str) -> str:
        if self.standin:
            return self.standin.new_response_url()
        return f"http://127.0.0.1:9/hooks/{kind}/unused"

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        signing: Signing | None = None,
    ) -> httpx.Response:
        """POST `body` to the app, signed per `signing` (correctly by default)."""
        headers = {"Content-Type": content_type}
        headers.update(signed_headers(self.signing_secret, body, signing))
        return self._http.post(self.events_url, content=body.encode("utf-8"), headers=headers)

    def send_payload(
        self, payload: Mapping[str, Any], *, signing: Signing | None = None
    ) -> httpx.Response:
        """POST an interaction payload as ``payload=<json>``."""
        return self.post(payload_body(payload), signing=signing)

    def command(
        self,
        text: str = "",
        *,
        command: str = "/record-course",
        user_id: str | None = None,
        channel_id: str | None = None,
        trigger_id: str | None = None,
        signing: Signing | None = None,
    ) -> httpx.Response:
        """Run `command` with `text` (as the harness's user, in its channel by default)."""
        body = command_body(
            text,
            command=command,
            user_id=user_id or self.user_id,
            user_name=self.user_name if user_id in {None, self.user_id} else str(user_id),
            channel_id=channel_id or self.channel_id,
            channel_name=self.channel_name if channel_id in {None, self.channel_id} else "other",
            trigger_id=trigger_id or self._trigger_id(),
            response_url=self._response_url("commands"),
        )
        return self.post(body, signing=signing)

    def view_submission(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, FieldValue] | None = None,
        *,
        user_id: str | None = None,
        raw_state: Mapping[str, Any] | None = None,
        signing: Signing | None = None,
    ) -> httpx.Response:
        """Submit `view` with `values` typed in (block_id -> text, (label, value) or None)."""
        payload = view_submission_payload(
            view,
            values,
            user_id=user_id or self.user_id,
            user_name=self.user_name if user_id in {None, self.user_id} else str(user_id),
            trigger_id=self._trigger_id(),
            raw_state=raw_state,
        )
        return self.send_payload(payload, signing=signing)

    def block_suggestion(
        self,
        action_id: str,
        value: str,
        *,
        block_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        signing: Signing | None = None,
    ) -> httpx.Response:
        """Type `value` into the external select `action_id`; the answer holds the options."""
        payload = block_suggestion_payload(
            action_id,
            value,
            block_id=block_id,
            view=view,
            user_id=user_id or self.user_id,
            user_name=self.user_name if user_id in {None, self.user_id} else str(user_id),
        )
        return self.send_payload(payload, signing=signing)

    def block_actions(
        self,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "actions",
        message: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        signing: Signing | None = None,
    ) -> httpx.Response:
        """Click the button `action_id` in `message` (or in `view`)."""
        payload = block_actions_payload(
            action_id,
            value=value,
            block_id=block_id,
            message=message,
            channel_id=channel_id or self.channel_id,
            view=view,
            user_id=user_id or self.user_id,
            user_name=self.user_name if user_id in {None, self.user_id} else str(user_id),
            trigger_id=self._trigger_id(),
            response_url=self._response_url("actions"),
        )
        return self.send_payload(payload, signing=signing)
