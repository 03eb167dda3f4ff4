"""The App Home tab: each person's recent submissions, failures to retry, what expires soon.

The page itself is built and published by `bot.slack.home.HomeTab`, on the bot's view
thread; this listener only tells it that someone opened the tab. After every outcome the
tab of the person whose submission it was is refreshed (a recorder listener).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.deps import SlackBot, bind
from bot.slack.home import HomeTab


def register(app: App, bot: SlackBot) -> None:
    tab = HomeTab(bot)
    app.event("app_home_opened")(bind(home_opened, bot, tab=tab))
    bot.recorder.add_listener(tab.on_outcome)
    bot.recorder.corrections.add_listener(tab.on_correction)


def home_opened(event: dict[str, Any], *, bot: SlackBot, tab: HomeTab) -> None:
    if event.get("tab", "home") != "home":  # the Messages tab
        return
    user_id = str(event.get("user") or "")
    if user_id:
        tab.opened(user_id)
