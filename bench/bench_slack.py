"""Ack latency under a slow CMS. (Run by hand; target: p99 under 100 ms.)

    python bench/bench_slack.py [--submissions 30] [--cms-seconds 2]

Starts the real app (`python -m bot serve`, its own process) on 127.0.0.1, with the Slack
stand-in and the CMS sandbox in this process, the sandbox answering every call after
`--cms-seconds`; opens one modal per submission, then submits them all at once from as many
threads. Reports the ack latency (request to answer, as Slack
measures it) and checks that every submission was recorded exactly once with one thread
reply each.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox  # noqa: E402 (after the path is set)
from bot.local.slack_standin import Message, SlackStandIn  # noqa: E402 (after the path is set)
from bot.store import State, Store  # noqa: E402 (after the path is set)
from tests.support.slack_harness import CHANNEL_ID, USER_ID, SlackHarness  # noqa: E402 (after the path is set)

SECRET = "bench-signing-secret"
CONTACTS = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1042]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--cms-seconds", type=float, default=2.0)
    args = parser.parse_args()
    with (
        SlackStandIn() as slack,
        CMSSandbox(rate_limit=1000) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        db = Path(tmp) / "bench.db"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMS_"))},
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
            "CMS_BASE_URL": sandbox.base_url,
            "CMS_API_ID": SANDBOX_API_ID,
            "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
            "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
            "CMS_TIMEOUT": str(args.cms_seconds + 10),
            "DATABASE_PATH": str(db),
            "ALLOWED_USERS": USER_ID,
            "LOG_LEVEL": "ERROR",
        }
        # The app in its own process, as in production; Slack and the CMS stand-ins here.
        app = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert app.stdout is not None
            url = app.stdout.readline().split()[-1]
            harness = SlackHarness(url, SECRET, standin=slack)
            views: list[dict[str, Any]] = []
            for _ in range(args.submissions):
                harness.command("")
                opened = slack.wait_for("views.open", count=len(views) + 1)
                views.append(opened[-1].response["view"])
            harness.close()
            sandbox.delay = args.cms_seconds
            clients = [SlackHarness(url, SECRET, standin=slack) for _ in views]
            for client in clients:  # connect first, as Slack's keep-alive connections are
                client.post("", signing=None)
            start = threading.Barrier(args.submissions)

            def submit(n: int) -> tuple[float, int, str]:
                contact = CONTACTS[n % len(CONTACTS)]
                values = {
                    "contact_id": (f"#{contact}", str(contact)),
                    "course_id": ("Course", str(1 + n % 8)),
                    "completed_at": f"{1 + n % 28}/10/2026",
                }
                start.wait()
                started = time.perf_counter()
                response = clients[n].view_submission(views[n], values)
                elapsed = (time.perf_counter() - started) * 1000
                return elapsed, response.status_code, response.text

            wall = time.perf_counter()
            with ThreadPoolExecutor(args.submissions) as pool:
                results = list(pool.map(submit, range(args.submissions)))
            acked = time.perf_counter() - wall
            for client in clients:
                client.close()
            assert all(status == 200 and '"clear"' in body for _, status, body in results), results
            deadline = time.monotonic() + 30 + args.submissions * args.cms_seconds
            replies: list[Message] = []
            while time.monotonic() < deadline:
                replies = [m for m in slack.messages(CHANNEL_ID) if m.thread_ts is not None]
                if len(replies) >= args.submissions:
                    break
                time.sleep(0.2)
            finished = time.perf_counter() - wall
            time.sleep(1)  # anything extra would show now
            replies = [m for m in slack.messages(CHANNEL_ID) if m.thread_ts is not None]
            parents = [m for m in slack.messages(CHANNEL_ID) if m.thread_ts is None]
            records = sandbox.records()
        finally:
            app.send_signal(signal.SIGTERM)
            app.wait(30)
        with Store(db) as store:
            submissions = store.recent(1000)
    latencies = [r[0] for r in results]
    recorded = [s for s in submissions if s.state is State.RECORDED]
    new_records = [r for r in records if r["id"] in {s.record_id for s in recorded}]
    print(f"{args.submissions} concurrent submissions, CMS answering after {args.cms_seconds} s")
    print(
        f"ack latency: p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms "
        f"(all acked within {acked:.2f} s)"
    )
    print(
        f"recorded: {len(recorded)}/{args.submissions} "
        f"(distinct CMS records {len(new_records)}), parents {len(parents)}, "
        f"thread replies {len(replies)}, all done after {finished:.1f} s"
    )


if __name__ == "__main__":
    main()
