"""Logging, configured once from the command line, with secrets scrubbed from every record."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Literal

#: Shapes of secrets that must never be logged even when we were not told their values.
_SECRET_SHAPES = re.compile(
    r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|v0=[0-9a-f]{64}|(?<=sig=)[0-9a-f]{64}"
)


class RedactingFilter(logging.Filter):
    """Replaces known secret values and secret-shaped strings in a record's final text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return _SECRET_SHAPES.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line (`LOG_FORMAT=json`), for platforms that index logs:
    `time` (UTC, ISO 8601), `level`, `logger`, `message`, and `exception` when there is one.

    It formats what `RedactingFilter` has already scrubbed (the message and the exception
    text), so the same secrets are redacted as in text logs.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    level: str = "INFO",
    *,
    secrets: Iterable[str] = (),
    log_format: Literal["text", "json"] = "text",
) -> None:
    """Send logs to stderr with secrets scrubbed, as readable text or one JSON object a line.
    Call once, from the command line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # slack_sdk logs every call's parameters (message text included) at DEBUG.
    if level == "DEBUG":
        logging.getLogger("slack_sdk").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
