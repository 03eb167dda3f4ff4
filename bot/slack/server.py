"""HTTP mode: the Bolt app behind waitress, a production WSGI server.

`/slack/events` takes Slack's requests (slash commands, interactivity, options); `/healthz`
answers 200 for load balancers and process managers.

Bolt parses a request's body before it checks anything, and trusts its shape: a body that is
not UTF-8, a `payload` that is not a JSON object, or a `view` that is a list make it raise
(an answer of 500, a traceback in the log). Such bodies are answered 400 here, before Bolt.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.context import BoltContext
from slack_bolt.request import payload_utils
from slack_bolt.request.internals import build_context, parse_body
from waitress.server import create_server

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: Larger request bodies are refused with 413 before anything reads them.
MAX_BODY = 4 * 1024 * 1024

#: Keys of a request body that Bolt reads as objects (when present and not null).
_OBJECT_KEYS = ("view", "user", "team", "container", "channel", "message", "event", "state")
#: Keys that Bolt reads as lists of objects.
_LIST_KEYS = ("actions", "authorizations", "response_urls")
#: How Bolt reads a body to match it to listeners and to build their arguments.
_BOLT_READERS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def readable(raw: bytes, content_type: str | None) -> bool:
    """Whether Bolt can parse `raw` (as it parses it) into a body of the shape it expects."""
    try:
        body: object = parse_body(raw.decode("utf-8"), (content_type or "").split(";")[0] or None)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    if not isinstance(body, dict):
        return False
    if "view" in body and not isinstance(body["view"], Mapping):
        return False  # Bolt reads a present `view` as an object, even when it is null
    for key in _OBJECT_KEYS:
        if body.get(key) is not None and not isinstance(body[key], Mapping):
            return False
    for key in _LIST_KEYS:
        items = body.get(key)
        if items is not None and not (
            isinstance(items, list) and all(isinstance(item, Mapping) for item in items)
        ):
            return False
    try:  # what Bolt reads from every request before any listener runs
        build_context(BoltContext(), body)
        for read in _BOLT_READERS:
            read(body)
    except Exception:  # any failure here is Bolt choking on the shape of the body
        return False
    return True


def wsgi_app(app: App) -> WSGIApplication:
    """The WSGI application: Bolt at `/slack/events`, a health check at `/healthz`."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
            if not readable(raw, environ.get("CONTENT_TYPE")):
                log.warning(
                    "refused a request whose body Slack would never send (%d bytes)", length
                )
                start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"bad request\n"]
            environ["wsgi.input"] = io.BytesIO(raw)
        return bolt(environ, start_response)

    return application


class HttpServer:
    """waitress serving the app; `run()` blocks, `start()` runs it on a thread (tests, shell)."""

    def __init__(
        self,
        app: App | WSGIApplication,
        *,
        host: str = "0.0.0.0",  # noqa: S104 (Slack must reach it; tests pass 127.0.0.1)
        port: int = 3000,
        threads: int = 8,
    ) -> None:
        self._server = cast(
            Any,
            create_server(
                wsgi_app(app) if isinstance(app, App) else app,
                host=host,
                port=port,
                threads=threads,
                ident="record-course",
                # Slack's largest requests (a modal's state) are tens of kilobytes.
                max_request_body_size=MAX_BODY,
            ),
        )
        self.host = host
        self.port = int(self._server.effective_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}{EVENTS_PATH}"

    def run(self) -> None:
        log.info("listening on %s", self.url)
        self._server.run()

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Finish the requests being handled, then close every socket and end the loop."""
        server = self._server
        server.task_dispatcher.shutdown(timeout=5)

        def close_all() -> None:  # runs on the loop's own thread, so no socket is in use
            for channel in list(server._map.values()):
                if channel is not server and channel is not server.trigger:
                    channel.close()
            server.close()  # the listening socket and the trigger: the loop then ends

        if self._thread is not None and self._thread.is_alive():
            server.trigger.pull_trigger(close_all)
            self._thread.join(5)
        else:
            close_all()

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
