"""What the pick-lists offer: the diocese's courses (cached), contacts (searched), and the
qualifications seen so far.

Slack gives an options request 3 seconds, network included, and the CMS may take longer
than that. So the course list is served from memory and refreshed in the background, and a
contact search that the CMS has not answered within `search_timeout` seconds answers with
what is known (an earlier answer for the same text, or the typed number as an id).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from bot.cms.client import CMSClient
from bot.cms.models import Contact, Course
from bot.errors import CMSError
from bot.text import safe_display

log = logging.getLogger(__name__)

#: Longest search text sent to the CMS.
MAX_QUERY = 100


@dataclass(frozen=True)
class Choice:
    """One option of a pick-list: what is shown and the id it stands for."""

    label: str
    value: str


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class CourseCatalogue:
    """The diocese's courses, fetched once and refreshed in the background."""

    def __init__(
        self,
        cms: CMSClient,
        *,
        max_age: float = 600.0,
        first_wait: float = 1.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cms = cms
        self._max_age = max_age
        self._first_wait = first_wait
        self._loaded = threading.Event()
        self._clock = clock
        self._courses: list[Course] = []
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self._refreshing = False

    def refresh(self) -> list[Course]:
        """Fetch the course list now (blocking). Keeps the old list if the CMS fails."""
        try:
            courses = self._cms.list_courses()
        except CMSError as exc:
            log.warning("could not refresh the course list: %s", exc.message)
            with self._lock:
                self._refreshing = False
                return list(self._courses)
        with self._lock:
            self._courses = sorted(courses, key=lambda c: c.name.lower())
            self._fetched_at = self._clock()
            self._refreshing = False
            self._loaded.set()
            return list(self._courses)

    def _refresh_in_background_if_stale(self) -> None:
        with self._lock:
            stale = self._fetched_at is None or self._clock() - self._fetched_at > self._max_age
            if not stale or self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self.refresh, name="course-refresh", daemon=True).start()

    def courses(self) -> list[Course]:
        """The courses known now. Waits for the CMS only before the first list arrived, and
        then at most `first_wait` seconds (Slack allows 3 for the whole answer)."""
        self._refresh_in_background_if_stale()
        if not self._loaded.is_set():
            self._loaded.wait(self._first_wait)
        with self._lock:
            return list(self._courses)

    def get(self, course_id: int) -> Course | None:
        return next((c for c in self.courses() if c.id == course_id), None)

    def name_of(self, course_id: int, *, wait: bool = False) -> str | None:
        """A course's name from the list in memory; None if it is not known. Never waits
        for the CMS, unless `wait` is true and no list has arrived yet (then fetches it)."""
        if wait and not self._loaded.is_set():
            self.refresh()
        else:
            self._refresh_in_background_if_stale()
        with self._lock:
            return next((c.name for c in self._courses if c.id == course_id), None)

    def search(self, text: str, *, limit: int = 100) -> list[Course]:
        """Courses whose name contains every word typed, or whose id is the number typed."""
        courses = self.courses()
        text = text.strip()[:MAX_QUERY]
        if not text:
            return courses[:limit]
        if text.isdigit():
            exact = [c for c in courses if c.id == int(text)]
            if exact:
                return exact
        words = _words(text)
        return [c for c in courses if all(w in c.name.lower() for w in words)][:limit]

    def best_match(self, text: str) -> Course | None:
        """The one course that a command's text names, if exactly one matches."""
        found = self.search(text)
        if len(found) == 1:
            return found[0]
        exact = [c for c in found if c.name.lower() == text.strip().lower()]
        return exact[0] if len(exact) == 1 else None


def contact_label(contact: Contact) -> str:
    """How a contact is shown in the pick-list: name, number, and post or parish if known."""
    where = ", ".join(part for part in (contact.post, contact.parish) if part)
    label = f"{contact.display_name} (#{contact.id})"
    return safe_display(" ".join((f"{label}, {where}" if where else label).split()))


#: The option offered when the CMS is too slow (or failing) to search by name: a typed
#: number always gives its own option at once. Choosing this one is refused by the form.
UNAVAILABLE_LABEL = "The CMS is slow to search: type the person's contact number"
UNAVAILABLE_VALUE = "cms-unavailable"


class ContactSearch:
    """Contact search that always answers quickly, from the CMS or from what it knows.

    Bounded in time and in concurrency, because every options request holds one of the
    server's threads while it waits: a request waits for the CMS at most `search_timeout`
    seconds, at most `max_waiting` requests wait at once (the others answer at once from
    what is known), and at most `max_searches` searches are sent to the CMS at once (no
    queue of searches that nobody will wait for builds up behind a slow CMS). What is known:
    an earlier answer for the same text, or for a shorter text it begins with (filtered
    here), else an option saying the CMS is slow and a number will do.
    """

    def __init__(
        self,
        cms: CMSClient,
        *,
        search_timeout: float = 1.0,
        max_waiting: int = 2,
        max_searches: int = 2,
        cache_size: int = 256,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self._cms = cms
        self._timeout = search_timeout
        self._cache: OrderedDict[str, list[Contact]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._waiting = threading.BoundedSemaphore(max_waiting)
        self._max_searches = max_searches
        self._executor = executor or ThreadPoolExecutor(
            max_searches, thread_name_prefix="contact-search"
        )
        self._pending: dict[str, Future[list[Contact]]] = {}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _remember(self, key: str, found: list[Contact]) -> None:
        with self._lock:
            self._cache[key] = found
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _fetch(self, key: str) -> list[Contact]:
        try:
            found = self._cms.search_contacts(key)
        finally:
            with self._lock:
                self._pending.pop(key, None)
        self._remember(key, found)
        return found

    def _known(self, key: str) -> list[Contact] | None:
        """From the cache: the answer for the longest shorter text `key` begins with,
        narrowed to the contacts whose label holds every word typed; None if none."""
        with self._lock:
            shorter = [k for k in self._cache if key.startswith(k)]
            if not shorter:
                return None
            found = self._cache[max(shorter, key=len)]
        words = _words(key)
        return [c for c in found if all(w in contact_label(c).lower() for w in words)]

    def _lookup(self, key: str, size: int) -> list[Contact] | None:
        """The CMS's answer for `key` if it comes in time, else what is known, else None."""
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            future = self._pending.get(key)
            if future is None and len(self._pending) < self._max_searches:
                future = self._executor.submit(self._fetch, key)
                self._pending[key] = future
        if future is not None and self._waiting.acquire(blocking=False):
            try:
                return future.result(timeout=self._timeout)
            except FutureTimeout:
                log.warning("contact search for a %d-character text is slow", size)
            except CMSError as exc:
                log.warning("contact search failed: %s", exc.message)
            finally:
                self._waiting.release()
        return self._known(key)

    def search(self, text: str) -> list[Choice]:
        """Choices for what was typed: a typed number first (as an id), then names found."""
        text = " ".join(text.split())[:MAX_QUERY]
        choices: list[Choice] = []
        digits = text.lstrip("#")
        if digits.isdigit() and 0 < int(digits) < 2**31:
            choices.append(Choice(f"Contact #{int(digits)}", str(int(digits))))
        if len(text) < 2:
            return choices
        found = self._lookup(text.lower(), len(text))
        if found is None and not choices:
            return [Choice(UNAVAILABLE_LABEL, UNAVAILABLE_VALUE)]
        for contact in found or []:
            choice = Choice(contact_label(contact), str(contact.id))
            if choice.value not in {c.value for c in choices}:
                choices.append(choice)
            else:  # the typed id is a known contact: show the name instead
                choices = [choice if c.value == choice.value else c for c in choices]
        return choices[:100]
