"""Hostile input in the live form (issue 14): every date field and the contact pick-list
dispatch; whatever is typed, the app acks at once, the update Slack gets is a valid view with
every input untouched, and the text comes back escaped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.fields import DATE_FIELDS
from bot.local.sandbox import CMSSandbox
from bot.slack.live_form import with_notes
from bot.slack.previewer import notes_for
from bot.slack.views import record_modal
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app
from tests.test_hostile import NASTY
from tests.test_live_form_e2e import dispatch, note

TODAY_TEXTS = [str(x) for x in NASTY if isinstance(x, str)]


@pytest.mark.parametrize("text", TODAY_TEXTS)
def test_notes_for_hostile_text_are_valid_and_escaped(text: str) -> None:
    import datetime as dt

    texts = dict.fromkeys(DATE_FIELDS, text[:100]) | {"contact_id": text}
    view = with_notes(record_modal(private_metadata="{}"), notes_for(texts, today=dt.date.today()))
    for block in view["blocks"]:
        if block["block_id"].startswith("note_"):
            shown = block["elements"][0]["text"]
            assert "<" not in shown
            assert len(shown) <= 3000


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


@pytest.mark.slow
def test_hostile_text_in_every_dispatching_field(app: LiveApp) -> None:
    view_id = app.open_form()["id"]
    for text in TODAY_TEXTS:
        for block_id in DATE_FIELDS:
            dispatch(app, view_id, block_id, text[:100])
        dispatch(app, view_id, "contact_id", (text[:70] or "x", text[:150] or "x"))
    time.sleep(1.0)
    shown = app.slack.view(view_id)
    assert all(c.ok or c.error == "hash_conflict" for c in app.slack.calls("views.update"))
    for block_id in DATE_FIELDS:
        assert "<" not in (note(shown, block_id) or "")
