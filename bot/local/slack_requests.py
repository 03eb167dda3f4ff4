"""Requests shaped exactly as Slack sends them, for driving the app without Slack.

Slack delivers slash commands as form-encoded bodies and interactions (``view_submission``,
``block_suggestion``, ``block_actions``) as a form-encoded ``payload=<json>``, each signed
with the app's signing secret. These pure functions build those bodies and the signature
headers. The local console (``python -m bot shell``) dispatches them to the Bolt app; the
end-to-end tests' harness (``tests/slack_harness.py``) POSTs them over HTTP.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

__all__ = [
    "API_APP_ID",
    "CHANNEL_ID",
    "CHANNEL_NAME",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "USER_ID",
    "USER_NAME",
    "VERIFICATION_TOKEN",
    "FieldValue",
    "block_actions_payload",
    "block_suggestion_payload",
    "command_body",
    "fake_trigger_id",
    "input_elements",
    "parse_payload_body",
    "payload_body",
    "signature_headers",
    "state_value",
    "state_values",
    "submitted_view",
    "team_json",
    "user_json",
    "view_submission_payload",
]

TEAM_ID = "T0STANDIN"
TEAM_DOMAIN = "standin"
API_APP_ID = "A0STANDIN"
USER_ID = "U0ADMIN"
USER_NAME = "admin"
CHANNEL_ID = "C0TRAINING"
CHANNEL_NAME = "training"
#: The legacy verification token Slack still puts in payloads (Bolt ignores it).
VERIFICATION_TOKEN = "legacy-verification-token"  # noqa: S105 (not a secret)

_counter = itertools.count(1)

#: A value for one input block in `view_submission`: text for a text input, (label, value)
#: for a select, or None for a field left empty.
FieldValue = str | tuple[str, str] | list[tuple[str, str]] | None


# ---------------------------------------------------------------------- signing


def signature_headers(
    signing_secret: str, body: str, *, timestamp: int | None = None
) -> dict[str, str]:
    """The ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` headers Slack sends with
    `body`, signed with `signing_secret` at `timestamp` (default: now)."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature or ""}


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
    if element_type in {"multi_external_select", "multi_static_select"}:
        chosen = value if isinstance(value, list) else []
        return {
            "type": element_type,
            "selected_options": [
                {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": v}
                for label, v in chosen
            ],
        }
    if isinstance(value, list):
        raise TypeError(f"a {element_type} takes one value, not a list")
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
