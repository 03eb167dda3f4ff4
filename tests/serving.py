"""`python -m bot serve` as a real process, pointed at a Slack stand-in and a CMS sandbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import IO

from bot.cms.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.slack.standin import SlackStandIn
from tests.slack_harness import USER_ID

ROOT = Path(__file__).resolve().parent.parent


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


def start_serve(
    env: dict[str, str], *, stderr: int | IO[str] | None = subprocess.DEVNULL
) -> tuple[subprocess.Popen[str], str]:
    """Start `serve` on a free loopback port; return the process and its events URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", "0", "--host", "127.0.0.1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"Listening on (http://\S+)", line)
    if match is None:
        process.kill()
        process.communicate()
        raise AssertionError(f"serve did not start: {line!r}")
    return process, match.group(1)
