"""Slack payloads turned into typed values at the edge (style: parse at the edge).

Slack's payloads are large and loosely shaped; these models keep only what the bot uses
and tolerate anything else. A payload that does not fit becomes a `ValidationError`, which
the listeners answer politely instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.fields import FIELDS
from bot.submission import Typed

#: Longest text kept from any one value of a payload.
_MAX = 500


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FormMetadata(_Loose):
    """What the modal carries in `private_metadata` (Slack sends no channel with a view)."""

    channel_id: str | None = Field(default=None, max_length=40)
    #: The submission whose form this is, when reopened from a failed reply.
    reopened_from: int | None = None

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, text: str | None) -> FormMetadata:
        try:
            return cls.model_validate_json(text or "{}")
        except ValidationError:
            return cls()


class DuplicateMetadata(_Loose):
    """What the "record it again?" modal carries: the form as it was submitted."""

    channel_id: str | None = Field(default=None, max_length=40)
    key: str = Field(max_length=200)
    typed: dict[str, str]

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)


def _value(action: object) -> str:
    """The value of one input element, whatever its type."""
    if not isinstance(action, Mapping):
        return ""
    if isinstance(action.get("selected_option"), Mapping):
        value = action["selected_option"].get("value")
    else:
        value = action.get("value")
    return str(value)[:_MAX] if isinstance(value, str | int) else ""


def read_form(values: object) -> Typed:
    """`view.state.values` of the record form as typed text, one entry per CMS parameter."""
    found: dict[str, str] = {}
    if isinstance(values, Mapping):
        for block_id in FIELDS:
            block = values.get(block_id)
            if isinstance(block, Mapping):
                found[block_id] = next((_value(a) for a in block.values() if _value(a)), "")
    return Typed(**found)


class Actor(_Loose):
    """Who sent a payload."""

    id: str = Field(max_length=40)
    name: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=200)
    team_id: str | None = Field(default=None, max_length=40)

    @property
    def display(self) -> str | None:
        return self.username or self.name


def actor(body: Mapping[str, Any]) -> Actor | None:
    """The user of an interaction payload, or None if the payload has none (a name too long
    to keep is cut, not a reason to refuse)."""
    user = body.get("user")
    if not isinstance(user, Mapping):
        return None
    names = {k: user[k][:200] for k in ("name", "username") if isinstance(user.get(k), str)}
    try:
        return Actor.model_validate({**user, **names})
    except ValidationError:
        return None


def team_id(body: Mapping[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, Mapping) and isinstance(team.get("id"), str):
        return str(team["id"])[:40]
    return None


def parse_json(text: str | None) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError:
        return None
