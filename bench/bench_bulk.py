"""One session of 120 people at the CMS's documented 60 calls a minute. (Run by hand.)

    python bench/bench_bulk.py [--people 120] [--rate 60]

The real app (in this process, HTTP on 127.0.0.1) with the Slack stand-in and the CMS
sandbox at its documented limit of `--rate` calls a minute. One session form with 120
contact numbers is confirmed; the bench reports the time from confirmation to the summary
in the thread against the theoretical `people / rate` minutes (target: within 5%), the 429s
the sandbox answered (the client waits them out; none may reach a person), and checks that
each person was recorded exactly once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.local.sandbox import CMSSandbox  # noqa: E402 (after the path is set)
from bot.local.slack_standin import SlackStandIn  # noqa: E402
from tests.support.live_app import cms_client, live_app  # noqa: E402
from tests.support.slack_harness import CHANNEL_ID  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=120)
    parser.add_argument("--rate", type=int, default=60, help="CMS calls allowed a minute")
    args = parser.parse_args()
    with (
        SlackStandIn() as slack,
        CMSSandbox(rate_limit=args.rate) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        people = [
            int(sandbox.add_contact(f"Person{n}", f"Attendee{n}", post="Sidesman")["id"])
            for n in range(args.people)
        ]
        cms = cms_client(sandbox, settle=1.0)
        with live_app(Path(tmp) / "bench.db", slack, sandbox, cms=cms, retry_delays=(5.0,)) as app:
            harness, store = app.harness, app.store
            harness.command("session")
            view = slack.wait_for("views.open", ok=True)[-1].response["view"]
            harness.view_submission(
                view,
                {
                    "attendance": "\n".join(map(str, people)),
                    "course_id": ("Safeguarding Foundations", "2"),
                    "completed_at": "1/11/2026",
                },
            )
            confirm = slack.wait_for("views.update", ok=True, timeout=30)[-1].response["view"]
            started = time.monotonic()
            harness.view_submission(confirm, {})
            deadline = started + 10 * 60 * args.people / args.rate
            summary = None
            while time.monotonic() < deadline and summary is None:
                replies = [m for m in slack.messages(CHANNEL_ID) if m.thread_ts]
                summary = next((m for m in replies if "Done:" in m.text), None)
                time.sleep(0.1)
            elapsed = time.monotonic() - started
            calls = list(sandbox.calls)
            records = [r for r in sandbox.records() if r["contact_id"] in people]
            states = [s.state for s in store.recent(10_000)]
    theoretical = 60 * args.people / args.rate
    too_many = sum(1 for c in calls if c[2] == 429)
    print(f"{args.people} people at {args.rate} CMS calls a minute")
    print(
        f"summary after {elapsed:.1f} s; theoretical {theoretical:.0f} s "
        f"({100 * (elapsed - theoretical) / theoretical:+.1f}%)"
    )
    print(f"CMS calls: {len(calls)} ({too_many} answered 429, waited out by the client)")
    print(
        f"recorded once each: {sorted(r['contact_id'] for r in records) == sorted(people)}; "
        f"states: {sorted({s.value for s in states})}; summary posted: {summary is not None}"
    )
    if summary is not None:
        print("summary first line:", summary.text.splitlines()[0])


if __name__ == "__main__":
    main()
