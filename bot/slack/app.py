"""Builds the Slack app: settings checked, Bolt `App`, middleware, listeners, reporter.

Nothing here runs at import time. `create_app(settings, recorder, ...)` returns a
`SlackBot` holding the Bolt app and the pieces its listeners use; `bot.compose` calls it
once per process, and runs it over HTTP (waitress) or Socket Mode.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.error import BoltError

from bot.catalogue import ContactSearch, CourseCatalogue
from bot.errors import ConfigError, SlackFailure
from bot.people import ContactBook
from bot.recording import Recorder
from bot.settings import Settings
from bot.slack import listeners
from bot.slack.client import SlackClient, make_web_client
from bot.slack.deps import SlackBot
from bot.slack.middleware import who_may_record
from bot.slack.permissions import Permissions
from bot.slack.previewer import Previewer
from bot.slack.reporter import SlackReporter

log = logging.getLogger(__name__)


class _QuietTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN (read from the environment by Bolt itself) is unused
    when a client is given; we give the client that token on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


_QUIET_TOKEN_NOTICE = _QuietTokenNotice()


def check_slack_settings(settings: Settings) -> None:
    """Refuse to start, with a clear message, when a Slack setting is missing or malformed."""
    problems = []
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    if not token:
        problems.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)")
    elif not token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token, starting xoxb-")
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token, starting xapp-")
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    if not app_token and not secret.strip():
        problems.append(
            "SLACK_SIGNING_SECRET is not set (needed in HTTP mode to check that requests "
            "come from Slack; or set SLACK_APP_TOKEN for Socket Mode)"
        )
    if not settings.allowed_users and not settings.allowed_usergroup:
        problems.append(
            "neither ALLOWED_USERS nor ALLOWED_USERGROUP is set, so nobody could record"
        )
    if problems:
        raise ConfigError("Cannot start the Slack app: " + "; ".join(problems) + ".")


def attach_live_form(bot: SlackBot) -> None:
    """The contact book and the form's preview worker (issue 14); the book forgets a
    contact's records whenever the bot writes for them."""
    recorder = bot.recorder
    book = ContactBook(recorder.cms, remember=recorder.store.remember_qualifications)
    recorder.add_listener(lambda submission: book.forget(submission.contact_id))
    recorder.contact_names = book.name_of  # names kept in the log, from memory
    bot.people = book
    bot.previews = Previewer(bot.client, today=recorder.today, book=book)


def create_app(
    settings: Settings,
    recorder: Recorder,
    *,
    client: SlackClient | None = None,
    catalogue: CourseCatalogue | None = None,
) -> SlackBot:
    """Build the Slack app around a recorder (whose workers the caller starts)."""
    check_slack_settings(settings)
    client = client or make_web_client(settings)
    socket_mode = settings.slack_app_token is not None
    secret = settings.slack_signing_secret
    bolt_logger = logging.getLogger("bot.slack.bolt")
    bolt_logger.addFilter(_QUIET_TOKEN_NOTICE)  # the same filter object: added once
    try:  # Bolt checks the token with auth.test here
        app = App(
            client=client,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=not socket_mode,
            # Our listeners return as soon as they have answered (slow work is handed to our
            # own threads), so Bolt answers Slack when the listener returns, with no polling.
            process_before_response=True,
            logger=bolt_logger,
        )
    except BoltError as exc:
        raise ConfigError(f"Slack did not accept SLACK_BOT_TOKEN ({exc}).") from None
    except SlackFailure as exc:
        if exc.unreachable:
            raise ConfigError(f"Cannot reach Slack at {settings.slack_api_url}.") from None
        raise ConfigError(f"Slack did not accept SLACK_BOT_TOKEN ({exc.error}).") from None
    catalogue = catalogue or CourseCatalogue(recorder.cms)
    recorder.course_names = catalogue.name_of  # renewal rules by name: from memory, at once
    permissions = Permissions(
        users=settings.allowed_users, usergroup=settings.allowed_usergroup, client=client
    )
    app.use(who_may_record(permissions))
    bot = SlackBot(
        app=app,
        client=client,
        recorder=recorder,
        catalogue=catalogue,
        contacts=ContactSearch(recorder.cms),
        permissions=permissions,
        reporter=SlackReporter(
            client,
            recorder,
            course_name=lambda course_id: c.name if (c := catalogue.get(course_id)) else None,
        ),
        socket_mode=socket_mode,
    )
    recorder.attach("slack", bot.reporter)
    attach_live_form(bot)
    listeners.register(app, bot)
    return bot
