"""Who may record: the Slack user ids in `ALLOWED_USERS` and the members of `ALLOWED_USERGROUP`.

With neither set, nobody may record (a safeguarding log is not open to a whole workspace by
accident). The user group's members are fetched from Slack and cached (`max_age`, five
minutes). The check runs inside Slack's 3-second ack, so it never waits long on Slack: a
lookup runs on a thread of its own and `allows` waits for it at most `wait` seconds, then
answers from what it last knew. A lookup that failed is not tried again for `retry_after`
seconds (every command asking again would hammer a rate-limited Slack).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient

from bot.errors import SlackFailure

log = logging.getLogger(__name__)


class Permissions:
    def __init__(
        self,
        *,
        users: Iterable[str] = (),
        usergroup: str | None = None,
        client: WebClient | None = None,
        max_age: float = 300.0,
        retry_after: float = 30.0,
        wait: float = 0.8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = frozenset(users)
        self.usergroup = usergroup
        self._client = client
        self._max_age = max_age
        self._retry_after = retry_after
        self._wait = wait
        self._clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._lookup: threading.Event | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.users or self.usergroup)

    def warm(self) -> None:
        """Start fetching the group's members now (at start-up), without waiting."""
        self._start_lookup()

    def allows(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        return bool(self.usergroup) and user_id in self._group_members()

    def undecided(self, user_id: str) -> bool:
        """Whether a refusal of `user_id` is only for want of the group's members: the
        lookup is slow or failing and has never answered (the person should try again
        shortly, not be told they are not on the list)."""
        if user_id in self.users or not self.usergroup or self._client is None:
            return False
        with self._lock:
            return self._fetched_at is None

    # -- the cache ----------------------------------------------------------------------

    def _group_members(self) -> frozenset[str]:
        lookup = self._start_lookup()
        if lookup is not None:
            lookup.wait(self._wait)
        with self._lock:
            return self._members

    def _start_lookup(self) -> threading.Event | None:
        """The lookup under way (started now if the cache is stale), or None if fresh."""
        with self._lock:
            if self._client is None or not self.usergroup:
                return None
            now = self._clock()
            if self._fetched_at is not None and now - self._fetched_at < self._max_age:
                return None
            if self._lookup is None:
                if self._failed_at is not None and now - self._failed_at < self._retry_after:
                    return None  # failed a moment ago: what we knew will do meanwhile
                self._lookup = threading.Event()
                threading.Thread(
                    target=self._fetch, args=(self._lookup,), name="usergroup", daemon=True
                ).start()
            return self._lookup

    def _fetch(self, done: threading.Event) -> None:
        assert self._client is not None
        assert self.usergroup
        members: frozenset[str] | None = None
        try:
            response = self._client.usergroups_users_list(usergroup=self.usergroup)
            members = frozenset(str(u) for u in response.get("users") or [])
        except SlackFailure as exc:
            log.warning("could not read the members of the allowed user group: %s", exc)
        except Exception:
            log.exception("could not read the members of the allowed user group")
        finally:
            with self._lock:
                if members is not None:
                    self._members, self._fetched_at, self._failed_at = members, self._clock(), None
                else:
                    self._failed_at = self._clock()
                self._lookup = None
            done.set()
