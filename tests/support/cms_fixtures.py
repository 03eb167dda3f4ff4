"""Helpers for the CMS client's tests: a fake clock and canned CMS answers. (A real client
over HTTP to a running sandbox is `tests.support.live_app.cms_client`.)"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl

import httpx

#: The wall-clock time the unit tests pretend it is.
WALL = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
SECRET = "secret"


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def record_json(**fields: Any) -> dict[str, Any]:
    """A related course record as the CMS sends it."""
    base: dict[str, Any] = {
        "id": 5001,
        "contact_id": 1042,
        "course_id": 2,
        "qualification_id": None,
        "booked_at": None,
        "attended_at": None,
        "completed_at": "2025-03-01",
        "expires_at": None,
        "course_name": "Safeguarding Foundations",
        "qualification_name": None,
    }
    return base | fields


def sent_params(request: httpx.Request) -> dict[str, str]:
    """Every parameter of a request: its query string and any form body, merged."""
    params = dict(request.url.params)
    if request.content:
        params.update(parse_qsl(request.content.decode()))
    return params


def rate(limit: int, remaining: int) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
