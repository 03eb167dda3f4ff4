"""Who may record: listed users, members of the user group, nobody else."""

from __future__ import annotations

import time
from urllib.error import URLError

import pytest

from bot.errors import SlackFailure
from bot.local.slack_standin import SlackStandIn
from bot.slack.client import SlackClient
from bot.slack.permissions import Permissions


def client(slack: SlackStandIn) -> SlackClient:
    return SlackClient(token="xoxb-test", base_url=slack.url)


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


def test_slack_unreachable_after_the_cache_expired_keeps_the_last_members(
    slack: SlackStandIn,
) -> None:
    """urllib's URLError (connection refused) used to escape `allows` once the cache was
    stale: every command of everyone failed while Slack was unreachable."""
    slack.set_usergroup("S0ADMINS", ["U7"])
    now = [0.0]
    permissions = Permissions(
        usergroup="S0ADMINS", client=client(slack), max_age=300, clock=lambda: now[0]
    )
    assert permissions.allows("U7")
    slack.go_down("refuse")
    now[0] = 301
    assert permissions.allows("U7")
    assert not permissions.allows("U9")


def test_every_way_a_slack_call_fails_is_one_error_type(slack: SlackStandIn) -> None:
    web = client(slack)
    slack.fail("chat.postMessage", "not_in_channel")
    with pytest.raises(SlackFailure) as refused:
        web.chat_postMessage(channel="C1", text="hi")
    assert (refused.value.error, refused.value.unreachable) == ("not_in_channel", False)
    slack.fail("chat.postMessage", "internal_error", status=500)
    with pytest.raises(SlackFailure):
        web.chat_postMessage(channel="C1", text="hi")
    slack.go_down("refuse")
    with pytest.raises(SlackFailure) as unreachable:
        web.chat_postMessage(channel="C1", text="hi")
    assert unreachable.value.unreachable
    assert isinstance(unreachable.value.__cause__, URLError | OSError)


def test_a_slow_group_lookup_does_not_hold_the_answer(slack: SlackStandIn) -> None:
    """The check runs inside Slack's 3-second ack: it waits for Slack at most `wait`."""
    slack.set_usergroup("S0ADMINS", ["U7"])
    slack.delay(3.0, "usergroups.users.list")
    permissions = Permissions(usergroup="S0ADMINS", client=client(slack), wait=0.3)
    started = time.monotonic()
    assert not permissions.allows("U7")  # not known yet: not allowed, and quickly
    assert time.monotonic() - started < 1.0
    assert not permissions.allows("U7")  # the lookup under way is not started twice
    assert len(slack.calls("usergroups.users.list")) <= 1
