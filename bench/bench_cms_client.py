"""How much time does `CMSClient` itself add to a call? (Run by hand; target: under 2 ms.)

    python bench/bench_cms_client.py [--calls 2000]

Three measures per operation, each as median and p99 in milliseconds:

1. **over HTTP, less the sandbox**: a real call to the sandbox on 127.0.0.1, less the time
   the sandbox says it spent (its `Server-Timing` header). What is left is the client, httpx
   and the loopback network.
2. **raw httpx, less the sandbox**: the same request, signed in advance, sent with plain
   httpx and not parsed: the floor that any client pays.
3. **in process**: the client against `httpx.MockTransport` (no network, no server), less the
   same raw httpx call against the same transport. This is the client's own overhead:
   signing, pacing, logging, error mapping and parsing into pydantic models.

The client's own overhead over HTTP is (1) less (2), median less median and p99 less p99;
(3) is the median and p99 of the per-call differences, without network noise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cms.client import CONTACT_FIELDS, CMSClient
from bot.cms.models import NewCourseRecord
from bot.cms.signing import signed
from bot.local.sandbox import (
    SANDBOX_API_ID,
    SANDBOX_DIOCESE_ID,
    SANDBOX_SECRET_KEY,
    CMSSandbox,
)

RECORD = NewCourseRecord(
    course_id=2,
    qualification_id=22,
    booked_at=dt.date(2025, 2, 1),
    attended_at=dt.date(2025, 3, 1),
    completed_at=dt.date(2025, 3, 1),
)
DATA = json.dumps({"diocese_id": SANDBOX_DIOCESE_ID}, separators=(",", ":"))


def quantiles(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


class ServerTime:
    """An httpx response hook that keeps the sandbox's own time for the last call."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, response: httpx.Response) -> None:
        timing = response.headers.get("Server-Timing", "app;dur=0")
        self.last = float(timing.split("dur=")[1]) / 1000


def client_for(http: httpx.Client) -> CMSClient:
    return CMSClient(
        http, api_id=SANDBOX_API_ID, secret_key=SANDBOX_SECRET_KEY, diocese_id=SANDBOX_DIOCESE_ID
    )


Operation = tuple[str, Callable[[CMSClient], object], str, str, dict[str, str]]

OPERATIONS: list[Operation] = [
    (
        "list_course_records",
        lambda c: c.list_course_records(1001),
        "GET",
        "/v2/contacts/1001/courses",
        {},
    ),
    (
        "create_course_record",
        lambda c: c.create_course_record(1042, RECORD),
        "POST",
        "/v2/contacts/1042/courses",
        RECORD.params(),
    ),
    (
        "search_contacts",
        lambda c: c.search_contacts("holloway"),
        "GET",
        "/v2/contacts",
        {},
    ),
]


def raw_query(name: str, params: dict[str, str]) -> dict[str, str]:
    """The signed parameters the client sends for `name`, built by hand."""
    data = DATA
    if name == "search_contacts":
        search = {"diocese_id": SANDBOX_DIOCESE_ID, "keyword": "holloway"}
        search["keyword_names_only"] = "on"
        data = json.dumps(search, separators=(",", ":"))
        params = {
            "limit": "20",
            "offset": "0",
            "fields": json.dumps(CONTACT_FIELDS, separators=(",", ":")),
        }
    return signed({"api_id": SANDBOX_API_ID, "data": data, **params}, SANDBOX_SECRET_KEY)


def over_http(calls: int) -> dict[str, dict[str, tuple[float, float]]]:
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with CMSSandbox(rate_limit=10**9) as sandbox:
        hook = ServerTime()
        http = httpx.Client(base_url=sandbox.base_url, event_hooks={"response": [hook]})
        with client_for(http) as cms:
            for name, call, method, path, params in OPERATIONS:
                query = raw_query(name, params)
                ours: list[float] = []
                raw: list[float] = []
                for i in range(calls + calls // 10):
                    started = time.perf_counter()
                    call(cms)
                    took = time.perf_counter() - started - hook.last
                    started = time.perf_counter()
                    response = http.request(method, path, params=query)
                    response.read()
                    took_raw = time.perf_counter() - started - hook.last
                    assert response.status_code == 200, response.text
                    if i >= calls // 10:  # the first tenth warms up
                        ours.append(took)
                        raw.append(took_raw)
                results[name] = {"client": quantiles(ours), "raw httpx": quantiles(raw)}
    return results


def canned(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v2/contacts":
        body: object = [
            {"id": 1001, "forenames": "Margaret Anne", "surname": "Holloway", "post": "Vicar"}
        ]
    elif request.method == "POST":
        body = {"id": 5004, "contact_id": 1042, "course_id": 2, "course_name": "Foundations"}
    else:
        body = [
            {
                "id": 5000 + n,
                "contact_id": 1001,
                "course_id": 2,
                "course_name": "Foundations",
                "completed_at": "2025-03-01",
                "expires_at": "2028-03-01",
            }
            for n in range(2)
        ]
    return httpx.Response(
        200, json=body, headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}
    )


def mocked(calls: int) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}
    transport = httpx.MockTransport(canned)
    http = httpx.Client(base_url="http://cms.invalid", transport=transport)
    with client_for(http) as cms:
        for name, call, method, path, params in OPERATIONS:
            query = raw_query(name, params)
            diffs: list[float] = []
            for i in range(calls + calls // 10):
                started = time.perf_counter()
                call(cms)
                ours = time.perf_counter() - started
                started = time.perf_counter()
                http.request(method, path, params=query).json()
                raw = time.perf_counter() - started
                if i >= calls // 10:
                    diffs.append(ours - raw)
            results[name] = quantiles(diffs)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per operation")
    args = parser.parse_args()

    print(f"{args.calls} calls per operation; milliseconds, median / p99\n")
    http_results = over_http(args.calls)
    mock_results = mocked(args.calls)
    header = (
        f"{'operation':<22} {'client-sandbox':>16} {'raw-sandbox':>16}"
        f" {'client own (1-2)':>18} {'in process (3)':>16}"
    )
    print(header)
    print("-" * len(header))
    for name, measures in http_results.items():
        (cm, cp), (rm, rp) = measures["client"], measures["raw httpx"]
        mm, mp = mock_results[name]
        print(
            f"{name:<22} {cm:>7.3f} / {cp:<6.3f} {rm:>7.3f} / {rp:<6.3f} "
            f"{cm - rm:>8.3f} / {cp - rp:<7.3f} {mm:>7.3f} / {mp:<6.3f}"
        )
    worst = max(max(m) for m in mock_results.values())
    print(f"\nclient's own overhead, worst p99 in process: {worst:.3f} ms (target < 2 ms)")


if __name__ == "__main__":
    main()
