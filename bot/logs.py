"""Logging, configured once from the command line, with secrets scrubbed from every record."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

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


def configure_logging(level: str = "INFO", *, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr with secrets scrubbed. Call once, from the command line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
