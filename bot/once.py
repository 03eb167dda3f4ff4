"""`OneAtATime`: work on one id at a time, whatever thread asks (the recorder's workers, a
retry timer, a restart's resume and a person's button can all ask for the same submission
or correction at once)."""

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
