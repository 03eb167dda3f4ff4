"""Who may record: the Slack user ids in `ALLOWED_USERS` and the members of `ALLOWED_USERGROUP`.

With neither set, nobody may record (a safeguarding log is not open to a whole workspace by
accident). The user group's members are fetched from Slack and cached for a few minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)


class Permissions:
    def __init__(
        self,
        *,
        users: Iterable[str] = (),
        usergroup: str | None = None,
        client: WebClient | None = None,
        max_age: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.users = frozenset(users)
        self.usergroup = usergroup
        self._client = client
        self._max_age = max_age
        self._clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.users or self.usergroup)

    def _group_members(self) -> frozenset[str]:
        with self._lock:
            fresh = (
                self._fetched_at is not None and self._clock() - self._fetched_at < self._max_age
            )
            if fresh or self._client is None or not self.usergroup:
                return self._members
        try:
            response = self._client.usergroups_users_list(usergroup=self.usergroup)
            members = frozenset(response.get("users") or [])
        except (SlackApiError, SlackClientError) as exc:
            log.warning("could not read the members of the allowed user group: %s", exc)
            return self._members
        with self._lock:
            self._members, self._fetched_at = members, self._clock()
        return members

    def allows(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        return bool(self.usergroup) and user_id in self._group_members()
