"""`CMSSandbox`, the sandbox as a real HTTP server on 127.0.0.1, and `python -m bot sandbox`."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.errors import ConfigError
from bot.local.sandbox.api import Credentials, RateLimiter, SandboxAPI
from bot.local.sandbox.demo import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY
from bot.local.sandbox.faults import Fault, FaultQueue
from bot.local.sandbox.httpd import SandboxHandler, SandboxServer
from bot.local.sandbox.state import SandboxState, utc_now

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
        now: Callable[[], dt.datetime] = utc_now,
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
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    # --- running -----------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL (`http://127.0.0.1:PORT`)."""
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        server = SandboxServer((host, port), SandboxHandler, self)
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

    def reset_rate_limits(self) -> None:
        """Start every `api_id` on a fresh window."""
        self.limiter.reset()

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
