"""What the Slack listeners work with: one `SlackBot`, built by `bot.compose`.

The listeners are module-level functions (see `bot.slack.listeners`) that take this object
as their keyword argument `bot`; nothing here knows about any one listener.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App

from bot.catalogue import ContactSearch, CourseCatalogue
from bot.errors import SlackFailure
from bot.recording import Recorder
from bot.slack.client import SlackClient
from bot.slack.permissions import Permissions
from bot.slack.reporter import SlackReporter

log = logging.getLogger(__name__)


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
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="slack-views")
    )
    #: What else `close()` closes (a feature's own reporter, say), first.
    closers: list[Callable[[], None]] = field(default_factory=list)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """`views.open` at once on a thread of our own, so the request is answered meanwhile."""
        self.views.submit(self._open_view, trigger_id, view)

    def _open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackFailure as exc:
            log.warning("could not open the form: %s", exc)
        except Exception:
            log.exception("could not open the form")

    def close(self) -> None:
        self.views.shutdown(wait=True)
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
