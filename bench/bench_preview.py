"""Bench the form that answers back (issue 14), with `serve` in its own process.

Measures, against the Slack stand-in and the CMS sandbox (answering at once):
- the ack time of dispatch actions (a keystroke's pause in a date field), p50/p99;
- the time from a dispatch action to its `views.update` at the stand-in, p50/p99;
- whether display lookups delay writes: the time for 30 submissions to reach the CMS,
  alone and with 100 contact lookups sent at the same moment.

Targets: ack p99 < 100 ms; update p99 < 300 ms; writes not slower with the lookups.

    python bench/bench_preview.py [--actions 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.local.sandbox import CMSSandbox  # noqa: E402
from bot.local.sandbox.demo import FOUNDATIONS  # noqa: E402
from bot.local.slack_requests import API_APP_ID, team_json, user_json  # noqa: E402
from bot.local.slack_standin import SlackStandIn  # noqa: E402
from tests.support.live_app import wait_until  # noqa: E402
from tests.support.serving import serve_env, serving  # noqa: E402
from tests.support.slack_harness import SlackHarness  # noqa: E402

SECRET = "bench-preview-secret"
TOKEN = "xoxb-bench-preview"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def action_payload(slack: SlackStandIn, view: dict[str, Any], block_id: str) -> dict[str, Any]:
    state = view["state"]["values"][block_id][block_id]
    action: dict[str, Any] = {
        "action_id": block_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if "value" in state:
        action.update(type="plain_text_input", value=state["value"])
    else:
        action.update(type="external_select", selected_option=state["selected_option"])
    return {
        "type": "block_actions",
        "user": user_json(),
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": slack.new_trigger_id(),
        "team": team_json(),
        "container": {"type": "view", "view_id": view["id"]},
        "view": view,
        "actions": [action],
    }


def open_form(slack: SlackStandIn, harness: SlackHarness) -> str:
    before = len(slack.calls("views.open", ok=True))
    harness.command("")
    calls = slack.wait_for("views.open", count=before + 1, ok=True, timeout=10)
    return str(calls[-1].response["view"]["id"])


def keystrokes(
    slack: SlackStandIn, harness: SlackHarness, n: int
) -> tuple[list[float], list[float]]:
    acks, updates = [], []
    texts = ["yesterday", "last friday", "3 weeks ago", "12/03/2025", "2 days ago"]
    view_id = open_form(slack, harness)
    for i in range(n):
        view = slack.type_into(view_id, {"completed_at": texts[i % len(texts)]})
        before = len(slack.calls("views.update"))
        started = time.perf_counter()
        wall = time.time()
        answer = harness.send_payload(action_payload(slack, view, "completed_at"))
        acks.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
        calls = slack.wait_for("views.update", count=before + 1, timeout=10)
        updates.append((calls[-1].at - wall) * 1000)
    return acks, updates


def submissions(harness: SlackHarness, n: int, offset: int) -> None:
    for i in range(n):
        view = {"type": "modal", "callback_id": "record_course", "blocks": _form_blocks()}
        harness.view_submission(
            view,
            {
                "contact_id": ("Joan Ellison", "1042"),
                "course_id": ("Foundations", str(FOUNDATIONS)),
                "completed_at": f"{(offset + i) % 28 + 1}/{(offset + i) // 28 % 12 + 1}/2024",
            },
        )


_BLOCKS: list[dict[str, Any]] = []


def _form_blocks() -> list[dict[str, Any]]:
    if not _BLOCKS:
        from bot.slack.views import record_modal

        _BLOCKS.extend(record_modal(private_metadata="{}")["blocks"])
    return _BLOCKS


def write_time(
    slack: SlackStandIn, sandbox: CMSSandbox, harness: SlackHarness, offset: int, lookups: int
) -> float:
    before = len(sandbox.state.records(1042))
    views = [open_form(slack, harness) for _ in range(min(lookups, 20))]
    payloads = []
    for i in range(lookups):
        number = 1001 + i % 11 if i % 2 else 3000 + i
        view = slack.type_into(views[i % len(views)], {"contact_id": (f"#{number}", str(number))})
        payloads.append(action_payload(slack, view, "contact_id"))
    started = time.monotonic()
    threads = [threading.Thread(target=submissions, args=(harness, 30, offset))]
    threads += [
        threading.Thread(
            target=lambda p=p: SlackHarness(harness.events_url, SECRET).send_payload(p)
        )
        for p in payloads
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(
        lambda: len(sandbox.state.records(1042)) >= before + 30, timeout=120, what="30 records"
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackStandIn() as slack, CMSSandbox() as sandbox:
        env = serve_env(Path(tmp) / "log.db", sandbox, slack, secret=SECRET, token=TOKEN)
        with serving(env, Path(tmp), run=1) as (_process, url):
            harness = SlackHarness(url, SECRET, standin=slack)
            keystrokes(slack, harness, 10)  # warm up
            acks, updates = keystrokes(slack, harness, args.actions)
            print(f"dispatch actions: {len(acks)}")
            print(f"ack      p50 {statistics.median(acks):6.1f} ms  p99 {pct(acks, 99):6.1f} ms")
            print(
                f"update   p50 {statistics.median(updates):6.1f} ms  p99 {pct(updates, 99):6.1f} ms"
            )
            alone = write_time(slack, sandbox, harness, 0, 0)
            sandbox.reset_rate_limits()
            time.sleep(1)
            mixed = write_time(slack, sandbox, harness, 100, 100)
            print(f"30 writes alone: {alone:5.2f} s; with 100 lookups at once: {mixed:5.2f} s")


if __name__ == "__main__":
    main()
