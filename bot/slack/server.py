"""HTTP mode: the Bolt app behind waitress, a production WSGI server.

`/slack/events` takes Slack's requests (slash commands, interactivity, options); `/healthz`
answers 200 for load balancers and process managers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def wsgi_app(app: App) -> WSGIApplication:
    """The WSGI application: Bolt at `/slack/events`, a health check at `/healthz`."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return bolt(environ, start_response)

    return application


class HttpServer:
    """waitress serving the app; `run()` blocks, `start()` runs it on a thread (tests, shell)."""

    def __init__(
        self,
        app: App,
        *,
        host: str = "0.0.0.0",  # noqa: S104 (Slack must reach it; tests pass 127.0.0.1)
        port: int = 3000,
        threads: int = 8,
    ) -> None:
        self._server = cast(
            Any,
            create_server(
                wsgi_app(app), host=host, port=port, threads=threads, ident="record-course"
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
