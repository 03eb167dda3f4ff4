"""Faults the sandbox can be told to commit, so that failure paths can be exercised.

A `Fault` applies to the next `times` calls that match its `method` and `path` (an
`fnmatch` pattern such as `/v2/contacts/*/courses`). Its `action`:

- `"status"`: answer `status` with `body` (JSON; a `str` is sent as HTML, as it is) and
  `headers`, or with the sandbox's error body for that status;
- `"drop"`: close the connection without answering;
- `"stall"`: wait `seconds`, then answer (long enough, the client times out).

With `commit=True` the call is carried out first (a write takes effect) and only its answer
is replaced, dropped or delayed: the "lost answer" the client must reconcile.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Literal

from bot.local.sandbox.api import TOO_MANY, Answer, error

FaultAction = Literal["status", "drop", "stall"]


@dataclass
class Fault:
    action: FaultAction
    times: int = 1
    status: int = 500
    method: str | None = None
    path: str | None = None
    commit: bool = False
    seconds: float = 0.0
    body: object = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path)
        )


class FaultQueue:
    """Pending faults, first added first applied; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("a fault applies at least once")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this call, counted as used; None for a normal call."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def fault_answer(fault: Fault, rate_limit: int) -> Answer:
    """What a `status` fault answers."""
    if isinstance(fault.body, str):  # not JSON: an HTML error page, say
        answer = Answer(fault.status, fault.body.encode("utf-8"))
        answer.headers["Content-Type"] = "text/html; charset=utf-8"
    elif fault.body is not None:
        answer = Answer(fault.status, fault.body)
    elif fault.status == 429:
        answer = error(429, TOO_MANY)
        answer.headers.update({"X-RateLimit-Limit": str(rate_limit), "X-RateLimit-Remaining": "0"})
    else:
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        answer = error(fault.status, phrase + ".")
    answer.headers.update(fault.headers)
    return answer
