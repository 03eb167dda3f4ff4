"""The Slack listeners, one module per feature, each attached by its `register(app, bot)`.

- `record`: `/record-course`, the record form, its pick-lists, "record it again?", and the
  buttons of a reply (reopen, retry).
- `session`: a whole training session (`/record-course session`).
- `correct`: "Correct this record" (a button, its form, the PUT's reply).
- `home`: the App Home tab.
- `preview`: the form answering as it is filled in (notes under the dates and the contact).

A listener is a module-level function taking Bolt's arguments by name (`ack`, `body`,
`command`, `view`, ...) and the app's pieces as the keyword-only `bot`, so a unit test can
call it with a fake `ack`. Who may record is decided before any listener runs, by
`bot.slack.middleware`. Each listener answers within milliseconds and never waits on the
CMS or on Slack: slow work goes to threads of our own (`bot.views`, the reporter, the core's
workers). The app runs listeners with `process_before_response=True`, so a listener's return
is the answer to Slack.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.slack.deps import SlackBot
from bot.slack.listeners import correct, home, preview, record, session

log = logging.getLogger(__name__)


def unexpected(error: Exception, body: dict[str, Any]) -> None:
    """The one handler of what no listener expected: logged, never shown to a person."""
    log.error("unhandled error in a Slack listener: %r", error, exc_info=error)


def register(app: App, bot: SlackBot) -> None:
    """Attach every feature's listeners."""
    record.register(app, bot)
    session.register(app, bot)
    correct.register(app, bot)
    home.register(app, bot)
    preview.register(app, bot)
    app.error(unexpected)
