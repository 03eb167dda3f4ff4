"""`manifest.yml`: a valid Slack app manifest with the least the bot needs.

Limits are those of Slack's manifest schema, version 1
(github.com/slackapi/manifest-schema, schemas/manifest.schema.1.0.0.json).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tests.support.repo import ROOT

MANIFEST = ROOT / "manifest.yml"
EVENTS_PATH = "/slack/events"


def urls(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (key path, value) whose key names a URL, anywhere in the manifest."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if isinstance(value, str) and (key == "url" or key.endswith("_url")):
                yield where, value
            else:
                yield from urls(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from urls(item, f"{path}[{index}]")


def test_top_level_shape(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"]["major_version"] == 1
    assert set(manifest) == {
        "_metadata",
        "display_information",
        "features",
        "oauth_config",
        "settings",
    }


def test_display_information(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] == "Record Course"
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info["description"]) <= 140
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    assert "long_description" not in info or 175 <= len(info["long_description"]) <= 4000


def test_bot_user(manifest: dict[str, Any]) -> None:
    bot_user = manifest["features"]["bot_user"]
    assert 1 <= len(bot_user["display_name"]) <= 80
    assert isinstance(bot_user["always_online"], bool)


def test_the_slash_command(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/record-course"
    assert 2 <= len(command["command"]) <= 32
    assert command["url"] == "https://YOUR-HOST/slack/events"
    assert 1 <= len(command["description"]) <= 2000
    assert 1 <= len(command["usage_hint"]) <= 1000
    assert command["should_escape"] is False


def test_no_other_features_yet(manifest: dict[str, Any]) -> None:
    assert set(manifest["features"]) == {"app_home", "bot_user", "slash_commands"}


def test_the_home_tab_and_a_read_only_messages_tab(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }


def test_events_are_only_app_home_opened(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["event_subscriptions"] == {
        "request_url": "https://YOUR-HOST/slack/events",
        "bot_events": ["app_home_opened"],
    }


def test_bot_scopes_are_exactly_the_minimal_set(manifest: dict[str, Any]) -> None:
    assert manifest["oauth_config"] == {
        "scopes": {
            "bot": ["commands", "chat:write", "chat:write.public", "im:write", "usergroups:read"]
        }
    }


def test_interactivity_and_options_load_url(manifest: dict[str, Any]) -> None:
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity == {
        "is_enabled": True,
        "request_url": "https://YOUR-HOST/slack/events",
        "message_menu_options_url": "https://YOUR-HOST/slack/events",
    }


def test_every_url_is_the_events_path(manifest: dict[str, Any]) -> None:
    found = dict(urls(manifest))
    assert set(found) == {
        "features.slash_commands[0].url",
        "settings.interactivity.request_url",
        "settings.interactivity.message_menu_options_url",
        "settings.event_subscriptions.request_url",
    }
    for where, url in found.items():
        parts = urlsplit(url)
        assert parts.scheme == "https", where
        assert parts.path == EVENTS_PATH, where
        assert len(url) <= 3000, where


def test_settings_switches(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_socket_mode_switch_is_documented() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    for needed in ["socket_mode_enabled: true", "connections:write", "SLACK_APP_TOKEN"]:
        assert needed in text
