"""What the submission and correction senders share.

- `OneAtATime`: work on one id at a time, whatever thread asks (the recorder's workers, a
  retry timer, a restart's resume and a person's button can all ask for the same submission
  or correction at once).
- `Later`: retries scheduled after a wait, all cancelled together when the sender stops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class OneAtATime:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: set[int] = set()

    def run(self, key: int, work: Callable[[int], T], *, busy: Callable[[int], T]) -> T:
        """`work(key)`, unless work on `key` is under way on another thread: then `busy(key)`
        at once (what is stored now), without waiting."""
        with self._lock:
            if key in self._busy:
                return busy(key)
            self._busy.add(key)
        try:
            return work(key)
        finally:
            with self._lock:
                self._busy.discard(key)

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._busy


class Later:
    """Calls scheduled for later (a retry after a wait), all cancelled together on stop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timers: set[threading.Timer] = set()

    def call(self, delay: float, work: Callable[[], None]) -> None:
        """Run `work()` on a timer thread after `delay` seconds, unless cancelled first."""

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            work()

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def cancel(self) -> None:
        """Cancel every call not yet made."""
        with self._lock:
            timers, self._timers = set(self._timers), set()
        for timer in timers:
            timer.cancel()

    @property
    def idle(self) -> bool:
        """True when no call is waiting."""
        with self._lock:
            return not self._timers
