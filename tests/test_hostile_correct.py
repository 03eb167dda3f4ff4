"""Hostile input in every field of the correction form: refused or read, never sent raw,
never breaking the app, never leaking markup into a reply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.sandbox import CMSSandbox
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app
from tests.test_correct_e2e import as_filled, open_correction, puts, recorded

pytestmark = pytest.mark.slow

HOSTILE = [
    "<!channel>",
    "<https://evil.example|click>",
    "'; DROP TABLE corrections; --",
    "\u202e3202/30/40",
    "9" * 400,
    "\x00\x07",
    "{{7*7}}",
    "-1",
]
FIELDS = ["qualification_id", "booked_at", "attended_at", "completed_at", "expires_at"]


@pytest.fixture
def running(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as app:
        yield app


@pytest.mark.parametrize("field", FIELDS)
def test_hostile_text_in_each_corrected_field_is_refused_on_the_form(
    running: LiveApp, field: str
) -> None:
    submission_id, _record_id, _thread = recorded(running)
    view = open_correction(running, submission_id)
    for text in HOSTILE:
        value = (text[:75] or "x", text) if field == "qualification_id" else text[:100]
        answer = running.harness.view_submission(view, as_filled(view, **{field: value}))
        assert answer.status_code == 200
        body = answer.json()
        assert body["response_action"] == "errors", (field, text)
        assert field in body["errors"]
        for message in body["errors"].values():  # plain text in Slack: shown as typed
            assert isinstance(message, str)
            assert len(message) < 2000
    assert puts(running.sandbox) == []
    assert running.store.count() == 1
