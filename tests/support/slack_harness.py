"""Talk to a running Bolt app over real HTTP, as Slack does.

Slack delivers slash commands as form-encoded bodies and interactions (``view_submission``,
``block_suggestion``, ``block_actions``) as a form-encoded ``payload=<json>``, each signed
with the app's signing secret. `SlackHarness` builds those bodies, signs them with
`slack_sdk.signature.SignatureVerifier`, and POSTs them with httpx to ``<app>/slack/events``.
The payload builders live in `bot.local.slack_requests` (the local console uses them too) and
are re-exported here for the tests.

Typical end-to-end use, with the Web API replaced by `bot.local.slack_standin.SlackStandIn`::

    with SlackStandIn() as slack, SlackHarness(app_url, SECRET, standin=slack) as harness:
        assert harness.command("1042 foundations").status_code == 200
        [opened] = slack.wait_for("views.open")
        view = opened.response["view"]
        answer = harness.view_submission(view, {"contact_id": ("Jane Smith", "1042"), ...})

`Signing` forges bad requests: a stale timestamp, a wrong secret, a made-up signature.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from bot.local.slack_requests import (  # noqa: F401 (re-exported for the tests)
    API_APP_ID,
    CHANNEL_ID,
    CHANNEL_NAME,
    TEAM_DOMAIN,
    TEAM_ID,
    USER_ID,
    USER_NAME,
    VERIFICATION_TOKEN,
    FieldValue,
    block_actions_payload,
    block_suggestion_payload,
    command_body,
    fake_trigger_id,
    input_elements,
    parse_payload_body,
    payload_body,
    signature_headers,
    state_value,
    state_values,
    submitted_view,
    team_json,
    user_json,
    view_submission_payload,
)
from bot.local.slack_standin import SlackStandIn

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
    if signing.signature is None:
        secret = signing.secret or signing_secret
        return signature_headers(secret, body, timestamp=signing.timestamp)
    timestamp = str(signing.timestamp if signing.timestamp is not None else int(time.time()))
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signing.signature}


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
