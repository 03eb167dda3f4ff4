"""Throughput and overhead of the recording core. (Run by hand; target: overhead under 5 ms.)

    python bench/bench_core.py [--submissions 500]

Each submission goes through `Recorder.submit` (check, dates, SQLite insert) and
`Recorder.process` (claim, POST to the CMS sandbox on 127.0.0.1, outcome stored, listeners)
with the client's pacing off and the sandbox's rate limit lifted. The core's own overhead
is the time of submit + process less the time spent inside the CMS call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import dates
from bot.cms.client import CMSClient
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.recording import Recorder
from bot.store import State, Store
from bot.submission import Origin, Typed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=500)
    args = parser.parse_args()
    dates.warm_up()
    with CMSSandbox(rate_limit=1_000_000) as sandbox, tempfile.TemporaryDirectory() as tmp:
        http = httpx.Client(base_url=sandbox.base_url, timeout=10)
        client = CMSClient(
            http,
            api_id=SANDBOX_API_ID,
            secret_key=SANDBOX_SECRET_KEY,
            diocese_id=SANDBOX_DIOCESE_ID,
            pacing=False,
        )
        cms_ms: list[float] = []
        post = client.create_course_record

        def timed_post(*a: object, **k: object) -> object:
            started = time.perf_counter()
            try:
                return post(*a, **k)  # type: ignore[arg-type]
            finally:
                cms_ms.append((time.perf_counter() - started) * 1000)

        client.create_course_record = timed_post  # type: ignore[method-assign]
        with Store(Path(tmp) / "bench.db") as store:
            recorder = Recorder(store, client, retry_delays=())
            contacts = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1042]
            total_ms: list[float] = []
            submit_ms: list[float] = []
            wall = time.perf_counter()
            for n in range(args.submissions):
                typed = Typed(
                    contact_id=str(contacts[n % len(contacts)]),
                    course_id=str(1 + n % 8),
                    completed_at=f"{1 + n % 28}/03/2025",
                    expires_at="3 years",
                )
                started = time.perf_counter()
                submission = recorder.submit(typed, Origin(frontend="cli"))
                submitted = time.perf_counter()
                done = recorder.process(submission.id)
                finished = time.perf_counter()
                assert done.state is State.RECORDED, done
                submit_ms.append((submitted - started) * 1000)
                total_ms.append((finished - started) * 1000)
            wall = time.perf_counter() - wall
            assert store.count(State.RECORDED) == args.submissions
        client.close()
    overhead = [t - c for t, c in zip(total_ms, cms_ms, strict=True)]
    print(f"submissions: {args.submissions}, all recorded once")
    print(f"throughput: {args.submissions / wall:.0f} submissions/s (one at a time)")
    for name, values in (
        ("submit (check + store)", submit_ms),
        ("submit + process", total_ms),
        ("CMS call (client + sandbox)", cms_ms),
        ("core overhead", overhead),
    ):
        print(
            f"{name:<28} median {statistics.median(values):6.2f} ms   "
            f"p99 {percentile(values, 99):6.2f} ms"
        )


if __name__ == "__main__":
    main()
