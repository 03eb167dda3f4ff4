"""Before the Slack app is installed: `serve` with only the signing secret.

Slack checks the events request URL when the app's manifest is saved, before the app is
installed, so before the bot token (`SLACK_BOT_TOKEN`) exists. In HTTP mode with a signing
secret and no token, `serve` runs this small WSGI application instead of the Bolt app:

- Slack's URL verification (a signed `url_verification` event) is answered with its
  challenge, so the manifest can be saved;
- a slash command gets an ephemeral "not finished setting up" answer;
- anything else signed is answered with an empty 200 (nothing is recorded, nothing is
  sent anywhere); anything not signed by Slack is refused with 401, as the app does;
- `/healthz` answers `setup` (200), so a platform's health check passes meanwhile.

Set `SLACK_BOT_TOKEN` and restart `serve`: the real app takes over.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.slack.server import EVENTS_PATH, MAX_BODY

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

NOT_SET_UP = (
    "Record Course is not finished setting up: its Slack bot token is not set yet. "
    "Ask whoever runs the bot to install the app to the workspace, set SLACK_BOT_TOKEN and "
    "restart it."
)
WAITING = (
    "SLACK_BOT_TOKEN is not set: answering Slack's URL check only. Nothing can be recorded "
    "until the app is installed, SLACK_BOT_TOKEN is set and serve is restarted."
)

_JSON = [("Content-Type", "application/json; charset=utf-8")]
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def setup_app(signing_secret: str) -> WSGIApplication:
    """The WSGI application `serve` runs until the bot token is set."""
    verifier = SignatureVerifier(signing_secret)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == "/healthz":
            start_response("200 OK", _TEXT)
            return [b"setup\n"]
        if path != EVENTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            start_response("404 Not Found", _TEXT)
            return [b"not found\n"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            start_response("413 Payload Too Large", _TEXT)
            return [b"too large\n"]
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = {
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        }
        if not verifier.is_valid_request(raw, headers):
            start_response("401 Unauthorized", _TEXT)
            return [b"invalid request\n"]
        return _answer(raw, environ.get("CONTENT_TYPE") or "", start_response)

    return application


def _answer(raw: bytes, content_type: str, start_response: StartResponse) -> Iterable[bytes]:
    text = raw.decode("utf-8", errors="replace")
    if content_type.startswith("application/json"):
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("type") == "url_verification":
            log.info("answered Slack's URL verification")
            start_response("200 OK", _JSON)
            return [json.dumps({"challenge": str(body.get("challenge") or "")}).encode()]
        start_response("200 OK", _TEXT)  # an event: acknowledged, nothing done
        return [b""]
    form = parse_qs(text)
    if form.get("command"):
        start_response("200 OK", _JSON)
        return [json.dumps({"response_type": "ephemeral", "text": NOT_SET_UP}).encode()]
    payload = form.get("payload", [""])[0]
    try:
        kind = json.loads(payload).get("type") if payload else None
    except (ValueError, AttributeError):
        kind = None
    if kind == "block_suggestion":
        start_response("200 OK", _JSON)
        return [json.dumps({"options": []}).encode()]
    start_response("200 OK", _TEXT)
    return [b""]
