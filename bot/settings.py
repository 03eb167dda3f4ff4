"""Typed settings, read from the environment and from a `.env` file.

Every setting is documented in the README's settings table; `tests/test_docs.py` keeps the
two in step. Secrets are `SecretStr`, so they print as `**********`.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError


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
    cms_timeout: float = Field(10.0, description="Seconds to wait for a CMS answer.", gt=0)
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
        description="Comma-separated Slack user ids allowed to record (`U012,U034`).",
    )
    allowed_usergroup: str | None = Field(
        None, description="A Slack user group id (`S0123`) whose members may record."
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
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

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
