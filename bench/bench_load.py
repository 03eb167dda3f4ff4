"""The app under a steady stream of commands, suggestions and submissions. (Run by hand.)

    python bench/bench_load.py [--duration 180] [--rate 4] [--submit-every 8] [--rate-limit 60]

Starts the real app in process, over HTTP on 127.0.0.1, with the Slack stand-in and the CMS
sandbox (its rate limit as the CMS's: 60 calls a minute), and sends it `--rate` requests a
second on a fixed schedule (open loop: a slow answer does not slow the stream) for
`--duration` seconds: slash commands, contact and course searches, and every
`--submit-every`-th request a form submission, each a different record. Then it lets the
recorder drain (bounded), and reports:

- ack latency (request to answer, as Slack measures it) p50 / p99 / max, per kind and overall;
- errors: answers that were not 200 or not what Slack expects, and ERROR log records
  (target: zero);
- memory: RSS after warm-up, every 30 s, and at the end (target: flat);
- the CMS calls made against the sandbox's rate limit: total, most in any 60 s, 429s;
- that every submission was recorded exactly once and told once.

Everything stops by itself: the stream after `--duration`, the drain after `--drain`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bot import dates
from bot.cms.client import CMSClient
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import SlackStandIn
from bot.store import State
from tests.support.live_app import LiveApp, live_app, thread_replies
from tests.support.slack_harness import FieldValue, SlackHarness

CONTACTS = [1002, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1042]
SEARCHES = ["Holloway", "Pritchard", "Ellison", "Okafor", "Smith", "1042", "Jo"]
COURSE_SEARCHES = ["found", "basic", "lead", "safe", "", "domestic"]
COMMAND_TEXTS = ["", "1042 foundations", "1005 basic awareness completed yesterday", "leadership"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:200]}")


class Load:
    """Sends the stream; each request on a pool thread with its own harness."""

    def __init__(self, app: LiveApp, submit_every: int) -> None:
        self.app = app
        self.submit_every = submit_every
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.submitted = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._views: list[dict[str, Any]] = []
        self._form = app.open_form()
        self._view_ids = itertools.count(1)
        self._records = itertools.count(0)
        self._harnesses: list[SlackHarness] = []

    def _harness(self) -> SlackHarness:
        harness: SlackHarness | None = getattr(self._local, "harness", None)
        if harness is None:
            harness = SlackHarness(
                self.app.server.url, self.app.harness.signing_secret, standin=self.app.slack
            )
            self._local.harness = harness
            with self._lock:
                self._harnesses.append(harness)
        return harness

    def close(self) -> None:
        for harness in self._harnesses:
            harness.close()

    def _timed(self, kind: str, send: Any, check: Any) -> None:
        started = time.perf_counter()
        try:
            response = send()
        except Exception as exc:  # a failed request is an error, not the end of the bench
            with self._lock:
                self.errors.append(f"{kind}: {type(exc).__name__}")
            return
        elapsed = (time.perf_counter() - started) * 1000
        problem = None if response.status_code == 200 and check(response) else response.text[:200]
        with self._lock:
            self.latencies[kind].append(elapsed)
            if problem is not None:
                self.errors.append(f"{kind}: {response.status_code} {problem}")

    def request(self, n: int) -> None:
        harness = self._harness()
        if n % self.submit_every == self.submit_every - 1:
            record = next(self._records)
            contact = CONTACTS[record % len(CONTACTS)]
            course = 1 + (record // len(CONTACTS)) % 8
            day = dt.date(2026, 11, 26) - dt.timedelta(days=record // (len(CONTACTS) * 8))
            values: dict[str, FieldValue] = {
                "contact_id": (f"#{contact}", str(contact)),
                "course_id": ("Course", str(course)),
                "completed_at": f"{day.day}/{day.month}/{day.year}",
            }
            view = {**self._form, "id": f"VLOAD{next(self._view_ids):07d}"}
            with self._lock:
                self.submitted += 1
            self._timed(
                "submission",
                lambda: harness.view_submission(view, values),
                lambda r: r.json() == {"response_action": "clear"},
            )
        elif n % 3 == 0:
            text = COMMAND_TEXTS[n % len(COMMAND_TEXTS)]
            self._timed("command", lambda: harness.command(text), lambda r: r.text == "")
        elif n % 3 == 1:
            text = SEARCHES[n % len(SEARCHES)]
            self._timed(
                "suggestion",
                lambda: harness.block_suggestion("contact_id", text),
                lambda r: "options" in r.json(),
            )
        else:
            text = COURSE_SEARCHES[n % len(COURSE_SEARCHES)]
            self._timed(
                "suggestion",
                lambda: harness.block_suggestion("course_id", text),
                lambda r: len(r.json()["options"]) > 0 or text == "domestic",
            )


def trim(slack: SlackStandIn, sandbox: CMSSandbox, statuses: Counter[int | None]) -> None:
    """Drop the calls the fakes have recorded so far, counting the CMS's answers. They run in
    this process and keep every call (each form twice over): left alone, their memory, not
    the app's, is what would grow."""
    with slack._lock:  # the bench reaching into the stand-in it runs
        slack._calls.clear()
        slack._views.clear()
    taken = len(sandbox.calls)
    for _method, _path, status in sandbox.calls[:taken]:
        statuses[status] += 1
    del sandbox.calls[:taken]  # calls answered meanwhile were appended after these


def settled(app: LiveApp, timeout: float) -> bool:
    """Wait until every submission is final and told (the parent message goes first, the
    outcome after the CMS: neither is the recorder's queue alone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(s.state.final and s.reported for s in app.store.recent(100_000)):
            return True
        time.sleep(0.1)
    return False


def most_in_a_minute(times: list[float], window: float = 60.0) -> int:
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load")
    parser.add_argument("--rate", type=float, default=4.0, help="requests per second")
    parser.add_argument("--submit-every", type=int, default=8, help="every Nth is a submission")
    parser.add_argument("--rate-limit", type=int, default=60, help="CMS calls a minute")
    parser.add_argument("--drain", type=float, default=240.0, help="most seconds to drain")
    args = parser.parse_args()
    if not 0 < args.duration <= 3600 or not 0 < args.rate <= 50:
        parser.error("keep --duration within an hour and --rate within 50 a second")

    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.WARNING)
    dates.warm_up()
    cms_times: list[float] = []
    statuses: Counter[int | None] = Counter()
    with (
        SlackStandIn() as slack,
        CMSSandbox(rate_limit=args.rate_limit) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        demo_records = len(sandbox.records())
        http = httpx.Client(
            base_url=sandbox.base_url,
            timeout=httpx.Timeout(10.0, connect=5.0),
            event_hooks={"request": [lambda _request: cms_times.append(time.monotonic())]},
        )
        client = CMSClient(
            http,
            api_id=SANDBOX_API_ID,
            secret_key=SANDBOX_SECRET_KEY,
            diocese_id=SANDBOX_DIOCESE_ID,
        )
        with live_app(Path(tmp) / "load.db", slack, sandbox, cms=client) as app:
            load = Load(app, args.submit_every)
            for n in range(60):  # warm-up, not measured: every path once, caches filled
                load.request(n)
            settled(app, 120)
            load.latencies.clear()
            load.submitted = 0
            trim(slack, sandbox, Counter())  # the warm-up's calls are not counted
            times_before = len(cms_times)
            rss_start = rss_mb()
            samples = [(0.0, rss_start)]
            interval = 1.0 / args.rate
            started = time.monotonic()
            with ThreadPoolExecutor(8, thread_name_prefix="load") as pool:
                for n in itertools.count(60):
                    at = started + (n - 60) * interval
                    if at - started >= args.duration:
                        break
                    pause = at - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    pool.submit(load.request, n)
                    since = time.monotonic() - started
                    if since - samples[-1][0] >= 30:
                        trim(slack, sandbox, statuses)
                        samples.append((since, rss_mb()))
            stream_seconds = time.monotonic() - started
            rss_stream_end = rss_mb()
            drained = settled(app, args.drain)
            drain_seconds = time.monotonic() - started - stream_seconds
            load.close()
            submissions = app.store.recent(100_000)
            replies = thread_replies(slack)
            trim(slack, sandbox, statuses)
            run_times = cms_times[times_before:]
            records = sandbox.records()
        rss_end = rss_mb()

    states = Counter(s.state for s in submissions)
    told = sum(1 for s in submissions if s.reported)
    every = [v for values in load.latencies.values() for v in values]
    print(
        f"load: {stream_seconds:.0f} s at {args.rate:g} requests/s "
        f"({len(every)} requests: "
        + ", ".join(f"{len(v)} {k}s" for k, v in sorted(load.latencies.items()))
        + ")"
    )
    for kind, values in [*sorted(load.latencies.items()), ("all", every)]:
        print(
            f"  ack {kind:<11} p50 {statistics.median(values):6.1f} ms  "
            f"p99 {percentile(values, 99):6.1f} ms  max {max(values):7.1f} ms"
        )
    print(f"errors: {len(load.errors)} in answers, {len(errors.records)} ERROR log records")
    for problem in (load.errors + errors.records)[:10]:
        print(f"  {problem}")
    print(
        "RSS: "
        + ", ".join(f"{mb:.1f} MB at {t:.0f} s" for t, mb in samples)
        + f", {rss_stream_end:.1f} MB when the stream stopped, {rss_end:.1f} MB after "
        f"shutdown (growth over the stream {rss_stream_end - rss_start:+.1f} MB)"
    )
    total_calls = sum(statuses.values())
    print(
        f"CMS: {total_calls} calls during the run ({dict(statuses)}); most in any 60 s: "
        f"{most_in_a_minute(run_times)} (limit {args.rate_limit}); 429s: {statuses[429]}"
    )
    print(
        f"submissions: {load.submitted} sent in the stream, {len(submissions)} in the log "
        f"({ {k.value: v for k, v in states.items()} }), told {told}, thread replies "
        f"{len(replies)}, CMS records made {len(records) - demo_records}; "
        f"drained {'yes' if drained else 'NO'} {drain_seconds:.0f} s after the stream"
    )
    recorded = [s for s in submissions if s.state is State.RECORDED]
    ids = [s.record_id for s in recorded]
    once = len(ids) == len(set(ids)) == len(records) - demo_records
    print(f"exactly once: {once} ({len(ids)} recorded, {len(set(ids))} distinct record ids)")


if __name__ == "__main__":
    main()
