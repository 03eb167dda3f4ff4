"""The fault-injection half of the Slack Web API stand-in, for the tests only.

`FaultySlackStandIn` answers as `bot.local.slack_standin.SlackStandIn` does, and can be told
to misbehave the ways Slack does: rate limits (HTTP 429 with ``Retry-After``), refusals and
failures of one method, slowness, ``not_in_channel``, an outage (connections refused, or
every call answered 500). `serve`, the shell and the bot never need this; the `slack`
fixture of ``tests/conftest.py`` is one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.local.slack_standin import SlackStandIn

__all__ = ["FaultySlackStandIn"]


@dataclass
class _Faults:
    rate_limited: dict[str, tuple[int, int]] = field(default_factory=dict)  # n, retry_after
    failures: dict[str, tuple[str, int, int | None]] = field(default_factory=dict)
    delays: dict[str | None, float] = field(default_factory=dict)
    not_in: set[str] = field(default_factory=set)
    down: Literal["refuse", "error"] | None = None


class FaultySlackStandIn(SlackStandIn):
    """A Slack stand-in that can be told to misbehave (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._faults = _Faults()

    def leave_channels(self, *channels: str) -> None:
        """The bot is not in these channels: posts there fail with ``not_in_channel``."""
        with self._lock:
            self._faults.not_in.update(channels)

    def join_channels(self, *channels: str) -> None:
        """Undo `leave_channels` for these channels."""
        with self._lock:
            self._faults.not_in.difference_update(channels)

    def rate_limit(self, method: str, times: int = 1, *, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and ``Retry-After``.

        slack_sdk's ``RateLimitErrorRetryHandler`` sleeps ``retry_after`` plus up to one
        second before retrying; use ``retry_after=0`` in tests.
        """
        with self._lock:
            self._faults.rate_limited[method] = (times, retry_after)

    def fail(self, method: str, error: str, times: int | None = 1, *, status: int = 200) -> None:
        """Answer the next `times` calls of `method` (all, if None) with ``error``.

        With the default ``status`` 200 this is Slack refusing a call
        (``{"ok": false, "error": error}``); with 500 or 503 it is Slack failing.
        """
        with self._lock:
            self._faults.failures[method] = (error, status, times)

    def delay(self, seconds: float, method: str | None = None) -> None:
        """Wait `seconds` before answering calls of `method` (every method if None)."""
        with self._lock:
            if seconds > 0:
                self._faults.delays[method] = seconds
            else:
                self._faults.delays.pop(method, None)

    def go_down(self, how: Literal["refuse", "error"] = "refuse") -> None:
        """Simulate an outage until `come_up`.

        ``"refuse"`` closes the listening socket, so connections are refused (slack_sdk's
        ``ConnectionErrorRetryHandler`` territory); ``"error"`` answers every call with HTTP 500.
        Calls are not recorded while connections are refused.
        """
        with self._lock:
            self._faults.down = how
        if how == "refuse":
            self._halt()
        elif self._started and self._server is None:
            self._serve(self.port)

    def come_up(self) -> None:
        """End an outage started with `go_down`, on the same port."""
        with self._lock:
            self._faults.down = None
        if self._started and self._server is None:
            self._serve(self.port)

    def clear_faults(self) -> None:
        """Remove every fault: rate limits, failures, delays, left channels, outages."""
        self.come_up()
        with self._lock:
            self._faults = _Faults()

    def reset(self) -> None:
        """Forget calls, messages, views and trigger ids, and clear faults."""
        self.clear_faults()
        super().reset()

    def stop(self) -> None:
        super().stop()
        with self._lock:
            self._faults.down = None

    # -- the hooks ------------------------------------------------------------------------

    def _before_answer(self, method: str) -> None:
        with self._lock:
            delay = self._faults.delays.get(method, self._faults.delays.get(None, 0.0))
        if delay:
            time.sleep(delay)

    def _forced_answer(
        self, method: str, args: Mapping[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]] | None:
        faults = self._faults
        if faults.down == "error":
            return 500, {"ok": False, "error": "internal_error"}
        if method in faults.rate_limited:
            times, retry_after = faults.rate_limited[method]
            if times <= 1:
                del faults.rate_limited[method]
            else:
                faults.rate_limited[method] = (times - 1, retry_after)
            headers["Retry-After"] = str(retry_after)
            return 429, {"ok": False, "error": "ratelimited"}
        if method in faults.failures:
            error, status, left = faults.failures[method]
            if left is not None:
                if left <= 1:
                    del faults.failures[method]
                else:
                    faults.failures[method] = (error, status, left - 1)
            return status, {"ok": False, "error": error}
        return None

    def _not_in_channel(self, channel: str) -> bool:
        return channel in self._faults.not_in
