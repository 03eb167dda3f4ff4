"""`python -m bot serve` as a real process, pointed at a Slack stand-in and a CMS sandbox.

Its output goes to files under the test's folder (a pipe that nobody reads could fill up and
stall a server logging at DEBUG)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import SlackStandIn
from tests.support.live_app import wait_until
from tests.support.repo import ROOT
from tests.support.slack_harness import USER_ID


def serve_env(
    database: Path,
    sandbox: CMSSandbox,
    slack: SlackStandIn,
    *,
    secret: str,
    token: str,
    **extra: str,
) -> dict[str, str]:
    """The environment of a `serve` process: this machine's, without any SLACK_/CMS_ setting
    of its own, plus the stand-ins', the log at `database`, and `extra`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CMS_"))}
    return {
        **clean,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": slack.url,
        "CMS_BASE_URL": sandbox.base_url,
        "CMS_API_ID": SANDBOX_API_ID,
        "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
        "DATABASE_PATH": str(database),
        "ALLOWED_USERS": USER_ID,
        "PYTHONPATH": str(ROOT),
        **extra,
    }


@contextmanager
def serving(
    env: dict[str, str], logs: Path, *, run: int, listens: bool = True
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m bot serve` on a free port; yields the process and its events URL (empty
    when it does not listen: Socket Mode). Stops it (SIGTERM) on the way out unless it was
    killed already."""
    out = (logs / f"serve-{run}.out").open("wb")
    err = (logs / f"serve-{run}.err").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", "0", "--host", "127.0.0.1"],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=err,
    )
    try:
        if not listens:
            yield process, ""
            return
        line = wait_until(
            lambda: re.search(
                r"Listening on (http://\S+)", (logs / f"serve-{run}.out").read_text()
            ),
            timeout=30,
            what="serve to listen",
        )
        yield process, line.group(1)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        out.close()
        err.close()
