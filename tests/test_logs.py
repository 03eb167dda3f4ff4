"""Logging: `LOG_FORMAT=json` writes one JSON object a line, with secrets redacted as in text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from bot.settings import load_settings

TOKEN = "xoxb-1111-2222-tokenvalue-json"
CMS_SECRET = "cms-secret-key-json-93b2f0"
SIG = "ab" * 32


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.NOTSET)


def lines(capfd: pytest.CaptureFixture[str]) -> list[str]:
    return capfd.readouterr().err.splitlines()


def test_json_lines_with_secrets_redacted(
    restore_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", secrets=[TOKEN, CMS_SECRET], log_format="json")
    log = logging.getLogger("bot.test")
    log.info("calling with %s and %s", TOKEN, CMS_SECRET)
    log.warning("GET /v2/courses?sig=%s failed", SIG)
    try:
        raise RuntimeError(f"boom with {CMS_SECRET} and xapp-1-A0-secret-app-token")
    except RuntimeError:
        log.exception("unexpected: multi\nline")
    out = lines(capfd)
    assert len(out) == 3  # one object a line, even with a traceback and a newline
    entries = [json.loads(line) for line in out]
    assert [set(e) for e in entries] == [
        {"time", "level", "logger", "message"},
        {"time", "level", "logger", "message"},
        {"time", "level", "logger", "message", "exception"},
    ]
    assert entries[0]["message"] == "calling with [redacted] and [redacted]"
    assert entries[0]["level"] == "INFO"
    assert entries[0]["logger"] == "bot.test"
    assert entries[0]["time"].endswith("+00:00")
    assert entries[1]["message"] == "GET /v2/courses?sig=[redacted] failed"
    assert entries[2]["message"] == "unexpected: multi\nline"
    assert entries[2]["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: boom with [redacted] and [redacted]" in entries[2]["exception"]
    text = "\n".join(out)
    for secret in (TOKEN, CMS_SECRET, SIG, "xapp-1-A0-secret-app-token"):
        assert secret not in text


def test_text_stays_the_default(restore_logging: None, capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", secrets=[TOKEN])
    logging.getLogger("bot.test").info("token %s", TOKEN)
    (line,) = lines(capfd)
    assert line.endswith(" INFO bot.test: token [redacted]")
    assert load_settings(_env_file=None).log_format == "text"


def test_log_format_setting() -> None:
    assert load_settings(_env_file=None, log_format="json").log_format == "json"
