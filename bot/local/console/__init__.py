"""The local console, `python -m bot shell`: the whole bot in a terminal, no Slack needed.

The real app (`create_app`: listeners, modal, core, date reader, SQLite log, CMS client)
runs in-process; a `SlackStandIn` on a loopback port plays Slack's Web API, and the
terminal plays the Slack client: `Console` sends the person's commands and form answers
through Bolt's own dispatch, signed as Slack signs them, and prints what the app posts.
Against the built-in CMS sandbox unless CMS credentials are configured.

    terminal ──lines──> Console ──signed requests──> Bolt app ──> core ──> CMS (sandbox)
        ^                                               │
        └──── observer (messages, views) <── SlackStandIn (Web API calls)
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import SecretStr

from bot.errors import ConfigError
from bot.local.console.render import Style, message_lines, render_mrkdwn
from bot.local.console.session import HELP, Console
from bot.local.console.terminal import Terminal
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_requests import USER_ID, USER_NAME
from bot.local.slack_standin import SlackStandIn
from bot.settings import Settings
from bot.store import Store

__all__ = [
    "BOT_TOKEN",
    "HELP",
    "Console",
    "Style",
    "Terminal",
    "banner",
    "check_log",
    "console_user",
    "local_settings",
    "message_lines",
    "render_mrkdwn",
]

#: The bot token the app uses with the stand-in (the stand-in refuses any other).
BOT_TOKEN = "xoxb-local-console"  # noqa: S105 (not a secret: local only)


#: The log the console keeps when it runs against the built-in sandbox and DATABASE_PATH is
#: not set.
SANDBOX_DATABASE = Path("record-course-sandbox.db")


def local_settings(
    settings: Settings, standin: SlackStandIn, sandbox: CMSSandbox | None
) -> Settings:
    """`settings` for the app inside the console: Slack is the stand-in (with a signing
    secret made up now), the CMS is `sandbox` if given; everyone may record unless
    ALLOWED_USERS or ALLOWED_USERGROUP say otherwise."""
    update: dict[str, object] = {
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(secrets.token_hex(16)),
        "slack_app_token": None,
        "slack_api_url": standin.url,
    }
    if not settings.allowed_users and not settings.allowed_usergroup:
        update["allowed_users"] = [USER_ID]
    if sandbox is not None:
        if "database_path" not in settings.model_fields_set:
            # Demo records stay out of the log that `serve` and `history` use.
            update["database_path"] = SANDBOX_DATABASE
        update.update(
            cms_base_url=sandbox.base_url,
            cms_api_id=SANDBOX_API_ID,
            cms_secret_key=SecretStr(SANDBOX_SECRET_KEY),
            cms_diocese_id=SANDBOX_DIOCESE_ID,
        )
    return settings.model_copy(update=update)


def console_user(settings: Settings, standin: SlackStandIn) -> tuple[str, str]:
    """Who the person at the console is: (user id, name).

    The usual local user, or the first of ALLOWED_USERS when that list does not include
    it; with ALLOWED_USERGROUP, the console's user is made a member of that group in the
    stand-in (there is no real Slack to ask). `as USER` then shows everyone else's refusal.
    """
    user_id = USER_ID
    if settings.allowed_users and USER_ID not in settings.allowed_users:
        user_id = settings.allowed_users[0]
    if settings.allowed_usergroup:
        standin.set_usergroup(settings.allowed_usergroup, [user_id])
    return user_id, USER_NAME if user_id == USER_ID else user_id.lower()


def check_log(store: Store, standin: SlackStandIn) -> None:
    """Refuse to share a log that holds work for real Slack or the `record` command.

    The recorder resumes unfinished submissions and reports unreported outcomes when it
    starts: in the console that would send them to the sandbox, or tell them to the
    terminal instead of to the people in Slack who are waiting for them.
    """
    foreign = {
        s.id for s in (*store.unfinished(), *store.unreported()) if s.team_id != standin.team_id
    }
    if foreign:
        raise ConfigError(
            f"The log at DATABASE_PATH ({store.path}) holds {len(foreign)} submission(s) "
            "not finished or not yet reported to Slack. The shell would send them to its own "
            "CMS and tell them here instead. Finish them with `python -m bot serve` (or "
            "`resume`), or set DATABASE_PATH to another file for the shell."
        )


def banner(settings: Settings, *, sandbox: bool, user_id: str, user_name: str) -> str:
    """The few lines printed when the console starts."""
    if sandbox:
        cms = (
            "CMS: the built-in sandbox, with demo data (contacts 1001-1011 and 1042, "
            "courses 1-8).\nTry: /record-course 1042 foundations completed yesterday"
            "\n or: /record-course session foundations (a whole training session)"
        )
    else:
        cms = (
            f"CMS: {settings.cms_base_url} (the REAL CMS: records made here are real)."
            "\nTry: /record-course"
        )
    return (
        "record-course shell: the real bot, with this terminal standing in for Slack.\n"
        f"{cms}\n"
        f"You are @{user_name} ({user_id}) in #training. Type help for the commands, "
        "quit to leave."
    )
