"""The sandbox as a real HTTP server on 127.0.0.1 (`python -m bot sandbox`).

Parameters are read from the query string and from a form body, merged (the body wins), and
the signature is checked over the merged set. Every answer carries a `Server-Timing` header
with the time the sandbox spent on the call, so that benchmarks can leave it out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.cms.sandbox.api import TOO_MANY, Answer, Credentials, RateLimiter, SandboxAPI, error
from bot.cms.sandbox.demo import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY
from bot.cms.sandbox.faults import Fault, FaultQueue
from bot.cms.sandbox.state import SandboxState, _utc_now
from bot.errors import ConfigError

log = logging.getLogger(__name__)

#: The largest request body the sandbox reads.
MAX_BODY = 1 << 20

Call = tuple[str, str, int | None]


class CMSSandbox:
    """A local imitation of the CMS API v2.4 with a demo diocese, and hooks for faults.

    Use as a context manager (`with CMSSandbox() as cms: cms.base_url`), or `start()` /
    `stop()`. `delay` (seconds before each answer) and `rate_limit` may be changed while it
    runs; `fail_next`, `drop_next`, `lose_answer_next` and `stall_next` queue faults.
    """

    def __init__(
        self,
        *,
        api_id: str = SANDBOX_API_ID,
        secret_key: str = SANDBOX_SECRET_KEY,
        diocese_id: int = SANDBOX_DIOCESE_ID,
        rate_limit: int = 60,
        window: float = 60.0,
        data_path: str | Path | None = None,
        delay: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.api_id = api_id
        self.secret_key = secret_key
        self.diocese_id = diocese_id
        self.delay = delay
        self.state = SandboxState(data_path=data_path, now=now)
        self.limiter = RateLimiter(rate_limit, window, clock)
        self.api = SandboxAPI(
            self.state, self.limiter, {api_id: Credentials(secret_key, diocese_id)}
        )
        self.faults = FaultQueue()
        #: Every call seen, as `(method, path, status)`; status None when nothing was answered.
        self.calls: list[Call] = []
        self.base_url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- running -----------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL (`http://127.0.0.1:PORT`)."""
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        server = _Server((host, port), _Handler, self)
        self._server = server
        self.base_url = f"http://{host}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="cms-sandbox"
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, close every connection and wait for the handlers to finish."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> CMSSandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- data --------------------------------------------------------------------------------

    @property
    def courses(self) -> dict[int, dict[str, Any]]:
        return self.state.courses

    @property
    def contacts(self) -> dict[int, dict[str, Any]]:
        return self.state.contacts

    @property
    def qualifications(self) -> dict[int, dict[str, Any]]:
        return self.state.qualifications

    def records(self, contact_id: int | None = None) -> list[dict[str, Any]]:
        """The records held (of one contact), oldest first."""
        return self.state.records(contact_id)

    def add_course(self, name: str, **fields: Any) -> dict[str, Any]:
        """Add a course (`id`, `description`, `national_course_id` optional)."""
        return self.state.add_course(name, **fields)

    def add_qualification(self, name: str, course_id: int, **fields: Any) -> dict[str, Any]:
        return self.state.add_qualification(name, course_id, **fields)

    def add_contact(self, forenames: str, surname: str, **fields: Any) -> dict[str, Any]:
        """Add a contact (`id`, `title`, `known_as_forenames`, `parish`, `post` optional)."""
        return self.state.add_contact(forenames, surname, **fields)

    def add_credentials(self, api_id: str, secret_key: str, diocese_id: int) -> None:
        """Accept another `api_id` (with its own rate-limit budget)."""
        self.api.credentials[api_id] = Credentials(secret_key, diocese_id)

    # --- rate limits -------------------------------------------------------------------------

    @property
    def rate_limit(self) -> int:
        return self.limiter.limit

    @rate_limit.setter
    def rate_limit(self, value: int) -> None:
        self.limiter.limit = value

    @property
    def legacy_rate_headers(self) -> bool:
        """Spell the headers `X-Rate-Limit-*`, as the live service did before 2023."""
        return self.api.legacy_rate_headers

    @legacy_rate_headers.setter
    def legacy_rate_headers(self, value: bool) -> None:
        self.api.legacy_rate_headers = value

    @property
    def send_retry_after(self) -> bool:
        """Add `Retry-After` to a 429 (the CMS documents none)."""
        return self.api.send_retry_after

    @send_retry_after.setter
    def send_retry_after(self, value: bool) -> None:
        self.api.send_retry_after = value

    # --- faults ------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        return self.faults.add(fault)

    def fail_next(
        self,
        status: int = 500,
        times: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        commit: bool = False,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer the next matching calls with `status` (after carrying them out if `commit`)."""
        return self.add_fault(
            Fault(
                "status",
                times,
                status=status,
                method=method,
                path=path,
                commit=commit,
                body=body,
                headers=dict(headers or {}),
            )
        )

    def drop_next(
        self,
        times: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        commit: bool = False,
    ) -> Fault:
        """Close the connection of the next matching calls without answering."""
        return self.add_fault(Fault("drop", times, method=method, path=path, commit=commit))

    def lose_answer_next(
        self, times: int = 1, *, method: str = "POST", path: str | None = None
    ) -> Fault:
        """Carry out the next matching calls (a POST takes effect), then drop the answer."""
        return self.drop_next(times, method=method, path=path, commit=True)

    def stall_next(
        self,
        seconds: float,
        times: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        commit: bool = True,
    ) -> Fault:
        """Wait `seconds` before answering the next matching calls (carried out first)."""
        return self.add_fault(
            Fault("stall", times, method=method, path=path, commit=commit, seconds=seconds)
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    # --- serving one call (called by the handler threads) -----------------------------------

    def _pause(self, seconds: float) -> None:
        server = self._server
        if seconds > 0 and server is not None:
            server.stopping.wait(seconds)

    def _answer_fault(self, fault: Fault) -> Answer:
        if isinstance(fault.body, str):  # not JSON: an HTML error page, say
            answer = Answer(fault.status, fault.body.encode("utf-8"))
            answer.headers["Content-Type"] = "text/html; charset=utf-8"
        elif fault.body is not None:
            answer = Answer(fault.status, fault.body)
        elif fault.status == 429:
            answer = error(429, TOO_MANY)
            answer.headers.update(
                {"X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": "0"}
            )
        else:
            try:
                phrase = HTTPStatus(fault.status).phrase
            except ValueError:
                phrase = "Error"
            answer = error(fault.status, phrase + ".")
        answer.headers.update(fault.headers)
        return answer


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() waits for every handler
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], sandbox: CMSSandbox
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CMSSandbox/2.4"
    timeout = 120
    server: _Server

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
            sandbox._pause(sandbox.delay)
            paused += sandbox.delay
        fault = sandbox.faults.take(method, path)
        if fault is not None and not fault.commit:
            if fault.action == "drop":
                self._drop(method, path)
                return
            if fault.action == "status":
                self._send(sandbox._answer_fault(fault), started, method, path, paused)
                return
            sandbox._pause(fault.seconds)
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
                answer = sandbox._answer_fault(fault)
            else:
                sandbox._pause(fault.seconds)
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


def run_sandbox(*, port: int = 8765, data_path: str | None = None, rate_limit: int = 60) -> None:
    """Serve the sandbox on 127.0.0.1 until Ctrl-C, after printing the settings to use."""
    sandbox = CMSSandbox(rate_limit=rate_limit, data_path=data_path)
    try:
        base_url = sandbox.start(port=port)
    except OSError as exc:
        raise ConfigError(
            f"The sandbox cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
            "choose another port with --port."
        ) from None
    try:
        print(
            "CMS sandbox running. Put these in .env (demo values, not secret):\n"
            f"CMS_BASE_URL={base_url}\n"
            f"CMS_API_ID={sandbox.api_id}\n"
            f"CMS_SECRET_KEY={sandbox.secret_key}\n"
            f"CMS_DIOCESE_ID={sandbox.diocese_id}\n",
            flush=True,
        )
        print(_describe(sandbox), flush=True)
        print(
            f"\nRate limit: {rate_limit} calls a minute. "
            + (f"Data kept in {data_path}. " if data_path else "Data kept in memory only. ")
            + "Ctrl-C stops.",
            flush=True,
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


def _describe(sandbox: CMSSandbox) -> str:
    lines = ["Courses (id: name [qualification ids]):"]
    for course in sorted(sandbox.courses.values(), key=lambda c: c["id"]):
        quals = [
            f"{q['id']} {q['name']}"
            for q in sandbox.qualifications.values()
            if q["course_id"] == course["id"]
        ]
        lines.append(
            f"  {course['id']}: {course['name']}" + (f"  [{'; '.join(quals)}]" if quals else "")
        )
    lines.append("Contacts (id: name, post):")
    for contact in sorted(sandbox.contacts.values(), key=lambda c: c["id"]):
        name = " ".join(
            part
            for part in (contact.get("title"), contact.get("forenames"), contact.get("surname"))
            if part
        )
        post = f"{contact['post']}, {contact['parish']}" if contact.get("post") else "no post"
        lines.append(f"  {contact['id']}: {name} ({post})")
    return "\n".join(lines)
