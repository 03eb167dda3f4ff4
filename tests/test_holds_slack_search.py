"""Issue 12, item 5: slow contact searches starve nothing, over real HTTP.

The CMS sandbox stalls every contact search for 10 s. A dozen people typing at once get
their options within ~2 s (from cache, or an option saying the CMS is slow), the searches
hold at most a couple of the server's threads, and an unrelated command is acked at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.catalogue import UNAVAILABLE_VALUE, ContactSearch
from bot.local.sandbox import CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.slack import views
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, cms_client, live_app
from tests.support.slack_harness import SlackHarness

CONTACT = views.ACTION_IDS["contact_id"]
STALL = 10.0


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with FaultySlackStandIn() as standin:
        yield standin


@pytest.fixture
def app(tmp_path: Path, slack: SlackStandIn, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    cms = cms_client(sandbox, timeout=STALL + 2)  # the CMS answers, only slowly
    with live_app(tmp_path / "log.db", slack, sandbox, cms=cms) as running:
        yield running


def suggest(app: LiveApp, text: str) -> tuple[float, list[dict[str, object]]]:
    with SlackHarness(app.server.url, app.harness.signing_secret, standin=app.slack) as h:
        start = time.monotonic()
        response = h.block_suggestion(CONTACT, text)
        elapsed = time.monotonic() - start
    assert response.status_code == 200, response.text
    options: list[dict[str, object]] = response.json()["options"]
    return elapsed, options


@pytest.mark.slow
def test_slow_searches_do_not_starve_a_command(app: LiveApp, sandbox: CMSSandbox) -> None:
    _elapsed, warm = suggest(app, "Ellison")  # answered before the CMS slows down
    assert warm
    sandbox.stall_next(STALL, times=100, method="GET", path="/v2/contacts")
    texts = ["Ellison"] + [f"name{i:02d}" for i in range(11)]
    with ThreadPoolExecutor(len(texts) + 1) as pool:
        searches = [pool.submit(suggest, app, text) for text in texts]
        time.sleep(0.3)  # the searches hold what they hold
        start = time.monotonic()
        response = app.harness.command("")
        command_ack = time.monotonic() - start
        answers = [s.result(timeout=STALL + 5) for s in searches]
    assert response.status_code == 200
    assert command_ack < 1.0
    assert max(elapsed for elapsed, _ in answers) < 2.5
    cached = answers[0][1]
    assert [o["value"] for o in cached] == [o["value"] for o in warm]  # from the cache
    for _elapsed, options in answers[1:]:
        assert len(options) == 1
        assert "slow" in str(options[0]["text"]).lower()
    searched = [c for c in sandbox.calls if c[1] == "/v2/contacts"]
    assert len(searched) <= 3  # the warm-up, then at most two at once: no queue behind


@pytest.mark.slow
def test_at_most_two_requests_wait_and_the_rest_answer_at_once(sandbox: CMSSandbox) -> None:

    cms = cms_client(sandbox, timeout=5)
    sandbox.delay = 3
    search = ContactSearch(cms, search_timeout=1.0)
    try:
        with ThreadPoolExecutor(10) as pool:

            def timed(text: str) -> tuple[float, list[str]]:
                start = time.monotonic()
                values = [c.value for c in search.search(text)]
                return time.monotonic() - start, values

            answers = list(pool.map(timed, [f"person{i}" for i in range(10)]))
        waited = [elapsed for elapsed, _ in answers if elapsed > 0.5]
        assert len(waited) <= 2
        assert all(elapsed < 1.5 for elapsed, _ in answers)
        assert all(values == [UNAVAILABLE_VALUE] for _, values in answers)
    finally:
        sandbox.delay = 0
        search.close()
        cms.close()


def test_a_longer_text_is_answered_from_a_shorter_ones_cache(sandbox: CMSSandbox) -> None:

    cms = cms_client(sandbox, timeout=5)
    search = ContactSearch(cms, search_timeout=0.3)
    try:
        first = search.search("El")
        assert first
        sandbox.delay = 3
        narrowed = search.search("Ellison")
        assert narrowed
        assert all("ellison" in c.label.lower() for c in narrowed)
        assert {c.value for c in narrowed} <= {c.value for c in first}
    finally:
        sandbox.delay = 0
        search.close()
        cms.close()
