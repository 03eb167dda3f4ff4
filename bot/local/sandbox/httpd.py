"""The HTTP side of the sandbox: one thread per connection, HTTP/1.1 keep-alive.

Parameters are read from the query string and from a form body, merged (the body wins), and
handed to `SandboxAPI`, which checks the signature over the merged set. Faults queued on the
sandbox are applied here. Every answer carries a `Server-Timing` header with the time the
sandbox spent on the call (less any delay it was told to add), so benchmarks can leave it out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from bot.local.sandbox.api import Answer, SandboxAPI, error
from bot.local.sandbox.faults import FaultQueue, fault_answer


class CMSSandbox(Protocol):
    """What the HTTP side needs of the sandbox it serves (`server.CMSSandbox` has it): the
    API, its faults and pacing, and the log of calls. A protocol, so that this module does
    not import the one that starts it."""

    api: SandboxAPI
    faults: FaultQueue
    delay: float
    calls: list[tuple[str, str, int | None]]

    @property
    def rate_limit(self) -> int: ...


log = logging.getLogger(__name__)

#: The largest request body the sandbox reads.
MAX_BODY = 1 << 20


class SandboxServer(ThreadingHTTPServer):
    """Serves one `CMSSandbox`; tracks its connections so that it can close them all."""

    daemon_threads = False  # so that server_close() waits for every handler
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type[SandboxHandler], sandbox: CMSSandbox
    ) -> None:
        self.sandbox = sandbox
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def opened(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)
            if self.stopping.is_set():
                _shut(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if the server is stopping."""
        if seconds > 0:
            self.stopping.wait(seconds)

    def close_connections(self) -> None:
        with self._connections_lock:
            self.stopping.set()
            for connection in self._connections:
                _shut(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("sandbox: error while serving a call")


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CMSSandbox/2.4"
    timeout = 120
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go in separate writes: without this, delayed ACKs cost 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        started = time.perf_counter()
        method = self.command
        url = urlsplit(self.path)
        path = url.path
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(error(413, "Request too large."), started, method, path)
            return
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

        paused = 0.0
        if sandbox.delay > 0:
            self.server.pause(sandbox.delay)
            paused += sandbox.delay
        fault = sandbox.faults.take(method, path)
        if fault is not None and not fault.commit:
            if fault.action == "drop":
                self._drop(method, path)
                return
            if fault.action == "status":
                self._send(fault_answer(fault, sandbox.rate_limit), started, method, path, paused)
                return
            self.server.pause(fault.seconds)
            paused += fault.seconds
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            answer = sandbox.api.handle(method, path, params, base_url=f"http://{host}")
        except Exception:
            log.exception("sandbox: %s %s failed", method, path)
            answer = error(500, "Internal Server Error.")
        if fault is not None and fault.commit:
            if fault.action == "drop":
                self._drop(method, path)
                return
            if fault.action == "status":
                answer = fault_answer(fault, sandbox.rate_limit)
            else:
                self.server.pause(fault.seconds)
                paused += fault.seconds
        self._send(answer, started, method, path, paused)

    def _send(
        self, answer: Answer, started: float, method: str, path: str, paused: float = 0.0
    ) -> None:
        if isinstance(answer.body, bytes):
            payload = answer.body
        else:
            payload = json.dumps(answer.body).encode("utf-8")
        headers = {"Content-Type": "application/json"} | answer.headers
        spent_ms = max((time.perf_counter() - started - paused) * 1000, 0.0)
        self.server.sandbox.calls.append((method, path, answer.status))
        log.info("sandbox %s %s -> %d", method, path, answer.status)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Server-Timing", f"app;dur={spent_ms:.3f}")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away (it timed out, say)

    def _drop(self, method: str, path: str) -> None:
        self.server.sandbox.calls.append((method, path, None))
        log.info("sandbox %s %s -> connection dropped", method, path)
        self.close_connection = True
        _shut(self.connection)

    # The standard handler logs the request line, query string (and signature) included.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)
