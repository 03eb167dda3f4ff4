"""Who may record: listed users, members of the user group, nobody else."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.local.slack_standin import SlackStandIn
from bot.slack.permissions import Permissions


def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.url)


def test_listed_users_only() -> None:
    permissions = Permissions(users=["U1", "U2"])
    assert permissions.allows("U1")
    assert not permissions.allows("U3")
    assert not permissions.allows("")


def test_nobody_when_nothing_is_configured() -> None:
    permissions = Permissions()
    assert not permissions.configured
    assert not permissions.allows("U1")


def test_usergroup_members_are_fetched_and_cached(slack: SlackStandIn) -> None:
    slack.set_usergroup("S0ADMINS", ["U7", "U8"])
    now = [0.0]
    permissions = Permissions(
        usergroup="S0ADMINS", client=client(slack), max_age=300, clock=lambda: now[0]
    )
    assert permissions.allows("U7")
    assert not permissions.allows("U9")
    assert len(slack.calls("usergroups.users.list")) == 1
    slack.set_usergroup("S0ADMINS", ["U9"])
    assert permissions.allows("U7")  # still cached
    now[0] = 301
    assert permissions.allows("U9")
    assert not permissions.allows("U7")


def test_usergroup_unreadable_keeps_last_known_members(slack: SlackStandIn) -> None:
    slack.set_usergroup("S0ADMINS", ["U7"])
    now = [0.0]
    permissions = Permissions(
        usergroup="S0ADMINS", client=client(slack), max_age=1, clock=lambda: now[0]
    )
    assert permissions.allows("U7")
    slack.fail("usergroups.users.list", "missing_scope", times=None)
    now[0] = 5
    assert permissions.allows("U7")
