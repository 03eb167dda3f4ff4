"""What the Slack listeners work with: one `SlackBot`, built by `bot.compose`.

The listeners are module-level functions (see `bot.slack.listeners`) that take this object
as their keyword argument `bot`; nothing here knows about any one listener.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from bot.catalogue import ContactSearch, CourseCatalogue
from bot.errors import SlackFailure
from bot.people import ContactBook
from bot.recording import Recorder
from bot.slack.client import SlackClient
from bot.slack.permissions import Permissions
from bot.slack.previewer import Previewer
from bot.slack.reporter import SlackReporter

log = logging.getLogger(__name__)

#: Seconds after its request within which a form is still sent to `views.open`: Slack's
#: trigger lives 3, and the call itself takes some of them.
TRIGGER_BUDGET = 2.0
#: Said to a person whose form could not be opened (Slack slow, or the trigger expired).
TRY_AGAIN = (
    "Sorry, Slack was too slow to open the form just now. Nothing was recorded: please "
    "try again (run `/record-course` once more)."
)


@dataclass
class SlackBot:
    """The Slack app and what its listeners use; `close()` stops the Slack side."""

    app: App
    client: SlackClient
    recorder: Recorder
    catalogue: CourseCatalogue
    contacts: ContactSearch
    permissions: Permissions
    reporter: SlackReporter
    socket_mode: bool
    views: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="slack-views")
    )
    #: Who a contact is and what the CMS holds for them (display lookups), if built.
    people: ContactBook | None = None
    #: The worker that updates a form as it is filled in, if built.
    previews: Previewer | None = None
    #: Ephemeral "try again" messages, on threads of their own (never behind the forms).
    notices: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="slack-notices")
    )
    clock: Callable[[], float] = time.monotonic
    #: What else `close()` closes (a feature's own reporter, say), first.
    closers: list[Callable[[], None]] = field(default_factory=list)

    def open_view(
        self,
        trigger_id: str,
        view: dict[str, Any],
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        then: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """`views.open` at once on a thread of our own, so the request is answered meanwhile.
        `then` is called (on that thread) with the view as Slack opened it (id and hash).

        A trigger lives 3 seconds: a form still waiting for a thread `TRIGGER_BUDGET`
        seconds after its request came is not sent (Slack would refuse it), and a form that
        cannot be opened is told to the person (`channel_id`, `user_id`) by an ephemeral
        message asking them to try again."""
        received = self.clock()
        self.views.submit(self._open_view, trigger_id, view, received, channel_id, user_id, then)

    def _open_view(
        self,
        trigger_id: str,
        view: dict[str, Any],
        received: float,
        channel_id: str | None,
        user_id: str | None,
        then: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        waited = self.clock() - received
        if waited > TRIGGER_BUDGET:
            log.warning("did not open a form: it waited %.1f s, its trigger expired", waited)
            self._tell_try_again(channel_id, user_id)
            return
        try:
            opened = self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackFailure as exc:
            log.warning("could not open the form: %s", exc)
        except Exception:
            log.exception("could not open the form")
        else:
            shown = opened.get("view")
            if then is not None and isinstance(shown, dict):
                try:
                    then(shown)
                except Exception:
                    log.exception("could not follow up an opened form")
            return
        self._tell_try_again(channel_id, user_id)

    def _tell_try_again(self, channel_id: str | None, user_id: str | None) -> None:
        if channel_id and user_id:
            self.notices.submit(self._post_ephemeral, channel_id, user_id, TRY_AGAIN)

    def _post_ephemeral(self, channel_id: str, user_id: str, text: str) -> None:
        self._post(
            "tell the person to try again",
            lambda: self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text),
        )

    def say_in_thread(self, channel: str, thread_ts: str, text: str) -> None:
        """Post `text` in a thread, on a thread of our own (a failure is only logged)."""
        self.views.submit(self._say_in_thread, channel, thread_ts, text)

    def _say_in_thread(self, channel: str, thread_ts: str, text: str) -> None:
        self._post(
            "post in the thread",
            lambda: self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text),
        )

    @staticmethod
    def _post(what: str, call: Callable[[], object]) -> None:
        """Make a Web API call whose failure is only logged (`what` names it)."""
        try:
            call()
        except SlackFailure as exc:
            log.warning("could not %s: %s", what, exc)
        except Exception:
            log.exception("could not %s", what)

    def close(self) -> None:
        if self.previews is not None:
            self.previews.close()
        if self.people is not None:
            self.people.close()
        self.views.shutdown(wait=True)
        self.notices.shutdown(wait=True)
        for closer in self.closers:
            closer()
        self.reporter.close()
        self.contacts.close()


def bind(listener: Callable[..., None], bot: SlackBot, **more: Any) -> Callable[..., None]:
    """`listener` with `bot` (and any `more`) given, for Bolt. Bolt injects arguments by the
    names of the wrapped function's positional parameters, so these must be keyword-only."""

    @functools.wraps(listener)
    def bound(**kwargs: Any) -> None:
        listener(**kwargs, bot=bot, **more)

    return bound
