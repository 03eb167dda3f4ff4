"""Rate-limit pacing and 429 back-off for the CMS client.

The CMS counts calls per `api_id` in fixed windows (60 a minute by default), shared by every
program that uses the same `api_id`, and reports what is left in `X-RateLimit-Limit` /
`X-RateLimit-Remaining` (before 2023: `X-Rate-Limit-*`). It gives no reset time, so the
`Pacer` estimates the end of the current window from when it first saw a fresh budget, and
errs late: it may wait a little longer than needed, never less.

Policy (our choice): while more than half the budget is left, calls go at once; below that,
the calls that remain are spread evenly over the rest of the window; with nothing left, the
next call waits for the window to end.
"""

from __future__ import annotations

import email.utils
import math
import threading
import time
from collections.abc import Callable, Mapping

#: Header names, newest spelling first.
LIMIT_HEADERS = ("x-ratelimit-limit", "x-rate-limit-limit")
REMAINING_HEADERS = ("x-ratelimit-remaining", "x-rate-limit-remaining")

#: Back-off after a 429 without `Retry-After`: 1 s, doubling, capped (cms-api.md, issue 2).
BACKOFF_FIRST = 1.0
BACKOFF_CAP = 60.0


def _header_int(headers: Mapping[str, str], names: tuple[str, ...]) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return int(value.strip())
        except ValueError:
            continue
    return None


def rate_headers(headers: Mapping[str, str]) -> tuple[int | None, int | None]:
    """`(limit, remaining)` from either spelling of the headers; None where absent or garbled."""
    return _header_int(headers, LIMIT_HEADERS), _header_int(headers, REMAINING_HEADERS)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), if there is one.

    `now` is the wall-clock time (`time.time()`) used for the HTTP-date form.
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(seconds, 0.0)


def backoff(attempt: int) -> float:
    """The wait before retry number `attempt` (1-based) after a 429 without `Retry-After`."""
    return min(BACKOFF_FIRST * 2.0 ** max(attempt - 1, 0), BACKOFF_CAP)


class Pacer:
    """What the CMS told us about our budget, and how long to wait before the next call.

    Thread-safe: one client may be used from several threads at once.
    """

    def __init__(
        self,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        free_fraction: float = 0.5,
    ) -> None:
        self.window = window
        self.free_fraction = free_fraction
        self._clock = clock
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.remaining: int | None = None
        self._window_end: float | None = None
        self._last_sent: float | None = None
        #: Calls booked by `reserve` whose answers (and so counts) have not come back yet.
        self._booked = 0

    def delay(self) -> float:
        """Seconds to wait before the next call (0 when it may go now)."""
        with self._lock:
            return self._delay(self._clock())

    def _delay(self, now: float) -> float:
        limit, remaining, end = self.limit, self.remaining, self._window_end
        if limit is None or remaining is None or end is None or now >= end:
            return 0.0
        remaining -= self._booked
        if remaining <= 0:
            return end - now
        if remaining > limit * self.free_fraction:
            return 0.0
        last = now if self._last_sent is None else self._last_sent
        next_at = last + (end - last) / (remaining + 1)
        return max(next_at - now, 0.0)

    def reserve(self) -> float:
        """Like `delay`, and book the call at that moment, atomically: the budget left drops
        by one and the next caller spaces itself from this call, so two threads asking at
        once do not both take the last call of a window (and meet a 429)."""
        with self._lock:
            now = self._clock()
            wait = self._delay(now)
            self._booked += 1
            self._last_sent = now + wait
            return wait

    def release(self) -> None:
        """A call booked with `reserve` is over (answered, its count observed, or failed)."""
        with self._lock:
            self._booked = max(self._booked - 1, 0)

    def sent(self, at: float) -> None:
        """Note that a call was sent at clock time `at`."""
        with self._lock:
            self._last_sent = at

    def observe(
        self, headers: Mapping[str, str], *, sent_at: float, received_at: float | None = None
    ) -> None:
        """Learn the budget from a response's headers (sent at `sent_at`, answered since)."""
        limit, remaining = rate_headers(headers)
        if remaining is None:
            return
        with self._lock:
            fresh = (
                self.remaining is None
                or remaining > self.remaining
                or self._window_end is None
                or sent_at >= self._window_end
            )
            if fresh:
                # The window began at or before this call reached the CMS, so before its
                # answer came back: counting from then puts the end no earlier than the real one.
                start = sent_at if received_at is None else max(received_at, sent_at)
                self._window_end = start + self.window
            if limit is not None:
                self.limit = limit
            self.remaining = max(remaining, 0)

    def exhausted(self) -> None:
        """A 429: nothing is left in this window, whatever the headers said."""
        with self._lock:
            self.remaining = 0
