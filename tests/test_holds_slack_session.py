"""Issue 12, item 9: two confirms of one session page at once record each person once.

Two people (or one double click) confirm the same page with different choices for its
ambiguous line, at the same moment, over real HTTP: only the first confirm counts.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.store import BatchState
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, cms_client, live_app, wait_until
from tests.support.slack_harness import SlackHarness


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox, slack: SlackStandIn) -> Iterator[LiveApp]:
    cms = cms_client(sandbox, rate_window=1.0)
    with live_app(tmp_path / "log.db", slack, sandbox, cms=cms, retry_delays=(0.1,)) as running:
        yield running


def confirm_page(app: LiveApp, slack: SlackStandIn) -> dict[str, Any]:
    opened = len(slack.calls("views.open", ok=True))
    assert app.harness.command("session").status_code == 200
    view = slack.wait_for("views.open", opened + 1, ok=True)[-1].response["view"]
    updated = len(slack.calls("views.update", ok=True))
    answer = app.harness.view_submission(
        view,
        {
            "attendance": "Smithson",
            "course_id": ("Safeguarding Basic Awareness", "1"),
            "attended_at": "2/11/2026",
        },
    )
    assert answer.json()["response_action"] == "update"
    page: dict[str, Any] = slack.wait_for("views.update", updated + 1, ok=True)[-1].response["view"]
    return page


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(5))
def test_two_confirms_at_once_record_only_the_first(
    app: LiveApp, sandbox: CMSSandbox, slack: SlackStandIn, attempt: int
) -> None:
    ann = int(sandbox.add_contact("Ann", "Smithson", post="Reader")["id"])
    andrew = int(sandbox.add_contact("Andrew", "Smithson", post="Verger")["id"])
    page = confirm_page(app, slack)
    start = threading.Barrier(8)

    def confirm(chosen: tuple[str, str]) -> httpx.Response:
        with SlackHarness(app.server.url, app.harness.signing_secret, standin=slack) as h:
            start.wait()
            return h.view_submission(page, {"choose_0": chosen})

    choices = [("Ann Smithson", str(ann)), ("Andrew Smithson", str(andrew))] * 4
    # Another process (a backup, say) holds the database's write lock for a moment, so the
    # confirms pile up on their first write, as they do on a busy disk.
    other = sqlite3.connect(app.store.path, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    with ThreadPoolExecutor(len(choices)) as pool:
        pending = [pool.submit(confirm, chosen) for chosen in choices]
        time.sleep(0.5)
        other.rollback()
        other.close()
        answers = [p.result(timeout=10) for p in pending]
    assert [a.json() for a in answers] == [{"response_action": "clear"}] * len(choices)
    [batch] = [app.store.batch(i) for i in (1,)]
    wait_until(lambda: app.store.batch(batch.id).state is BatchState.DONE, timeout=10)
    recorded = {s.contact_id for s in app.store.batch_submissions(batch.id)}
    assert recorded in ({ann}, {andrew})
    held = [r["contact_id"] for r in sandbox.records() if r["contact_id"] in (ann, andrew)]
    assert len(held) == 1
