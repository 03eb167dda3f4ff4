"""Typed settings, read from the environment and from a `.env` file.

Every setting is documented in the README's settings table; `tests/test_docs.py` keeps the
two in step. Secrets are `SecretStr`, so they print as `**********`.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

#: A Slack user id as Slack writes it, and the forms people paste: `<@U0123>`,
#: `<@U0123|name>` (a mention), lower-case.
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")
_MENTION = re.compile(r"^<@([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{1,20}$")
_GROUP_MENTION = re.compile(r"^<!subteam\^([A-Za-z0-9]+)(?:\|[^>]*)?>$")
#: The longest CMS_TIMEOUT allowed (seconds): past it a worker is held for no good reason.
MAX_CMS_TIMEOUT = 300.0


def _slack_id(text: str, *, mention: re.Pattern[str], shape: re.Pattern[str]) -> str | None:
    """`text` as a Slack id (mention markup removed, upper-cased), or None if it is not one."""
    found = mention.match(text)
    value = (found.group(1) if found else text).upper()
    return value if shape.match(value) else None


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip()


class Settings(BaseSettings):
    """All the bot's settings. Build with `load_settings()`; never at import time."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    slack_bot_token: SecretStr | None = Field(
        None, description="Bot token (`xoxb-...`) from the Slack app's OAuth page."
    )
    slack_signing_secret: SecretStr | None = Field(
        None, description="Signing secret from the Slack app's Basic Information page (HTTP mode)."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="App-level token (`xapp-...`, `connections:write`): turns on Socket Mode."
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        description="Base URL of Slack's Web API (tests point it elsewhere).",
    )
    cms_base_url: str = Field(
        "https://cmsapi.cofeportal.org", description="Base URL of the diocesan CMS API."
    )
    cms_api_id: str | None = Field(None, description="The CMS `api_id` (public).")
    cms_secret_key: SecretStr | None = Field(None, description="The CMS `secret_key` (private).")
    cms_diocese_id: int | None = Field(
        None, description="The diocese's numeric id in the CMS.", gt=0
    )
    cms_timeout: float = Field(
        10.0,
        description="Seconds one CMS call may take in all, answer included (above 0, at most 300).",
        gt=0,
        le=MAX_CMS_TIMEOUT,
        allow_inf_nan=False,
    )
    cms_write_transport: Literal["query", "form"] = Field(
        "query",
        description="Where a write's parameters travel: `query` string or a `form` body.",
    )
    database_path: Path = Field(
        Path("record-course.db"), description="The SQLite file that holds the submission log."
    )
    renewals_path: Path = Field(
        Path("renewals.toml"),
        description="TOML file of course renewal periods that fill in a blank expiry "
        "(see `renewals.example.toml`); the default file may be absent.",
    )
    bot_timezone: str = Field(
        "Europe/London", description='Time zone that decides what "today" is.'
    )
    allowed_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Slack user ids allowed to record, separated by commas or spaces "
        "(`U012,U034`; mentions such as `<@U012>` and lower case are accepted).",
    )
    allowed_usergroup: str | None = Field(
        None,
        description="A Slack user group id (`S0123`, or `<!subteam^S0123>`) whose members "
        "may record; blank is unset.",
    )
    port: int = Field(3000, description="HTTP port for `serve` in HTTP mode.", gt=0, lt=65536)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO",
        description="Logging level (`serve` and `sandbox`; other commands log warnings only "
        "unless it is set).",
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="How log lines are written: readable `text`, or `json` (one object a line, "
        "for platforms that index logs).",
    )

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        """Commas and/or spaces between ids; mentions and lower case are normalised; any
        other text is refused (a list that matched nobody would refuse everyone)."""
        parts = re.findall(r"<[^>]*>|[^,\s]+", value) if isinstance(value, str) else value
        if not isinstance(parts, list | tuple):
            return value
        users: list[str] = []
        for part in (str(p).strip() for p in parts):
            if not part:
                continue
            user = _slack_id(part, mention=_MENTION, shape=_USER_ID)
            if user is None:
                raise ValueError(f"{part!r} is not a Slack user id (such as U0123ABCD)")
            if user not in users:
                users.append(user)
        return users

    @field_validator("allowed_usergroup", mode="before")
    @classmethod
    def _usergroup(cls, value: object) -> object:
        """Blank is unset; `<!subteam^S0123|@admins>` and lower case are normalised."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        group = _slack_id(value.strip(), mention=_GROUP_MENTION, shape=_GROUP_ID)
        if group is None:
            raise ValueError(f"{value.strip()!r} is not a Slack user group id (such as S0123ABCD)")
        return group

    @field_validator("slack_api_url", "cms_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def cms_configured(self) -> bool:
        """True when real CMS credentials are set (otherwise local tools use the sandbox)."""
        return bool(self.cms_api_id and self.cms_secret_key and self.cms_diocese_id)

    def secret_values(self) -> list[str]:
        """Every secret's value, for the log redaction filter."""
        secrets = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.cms_secret_key,
        )
        return [s.get_secret_value() for s in secrets if s and s.get_secret_value()]


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's errors into one `ConfigError` naming each setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("Invalid settings: " + "; ".join(problems)) from None
