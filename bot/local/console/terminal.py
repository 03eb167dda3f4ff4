"""The terminal's two ends: questions asked on standard input, lines written to standard output.

On a terminal, questions use `input()` (so line editing works) and output may be coloured.
Piped, the prompt is still written and the answer echoed after it, so a scripted session's
output reads as a transcript; no escape codes are written.

Piped input is read by a thread of its own, and the main thread waits for each line in short
steps: Ctrl-C (SIGINT) may be delivered to any of the app's threads, and a main thread
blocked in `read()` would then never notice it.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import TextIO

from bot.local.console.render import Style, clean

__all__ = ["MAX_INPUT", "Terminal"]

#: Longest input line kept; the rest is cut (Slack's own inputs are far shorter).
MAX_INPUT = 4000


class Terminal:
    """Where the console reads and writes. Thread-safe: messages from Slack's stand-in are
    written from its server thread while the main thread asks questions."""

    def __init__(self, stdin: TextIO, stdout: TextIO, *, interactive: bool, style: Style) -> None:
        self._stdin = stdin
        self._stdout = stdout
        self.interactive = interactive
        self.style = style
        self._lock = threading.RLock()
        self._lines: queue.Queue[str] | None = None

    def _readline(self) -> str:
        """The next line of piped input ('' at its end), waiting so that a SIGINT is seen."""
        if self._lines is None:
            lines: queue.Queue[str] = queue.Queue()

            def read() -> None:
                while True:
                    line = self._stdin.readline()
                    lines.put(line)
                    if not line:
                        return

            threading.Thread(target=read, name="stdin", daemon=True).start()
            self._lines = lines
        while True:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if not line:
                self._lines.put(line)  # the end stays the end
            return line

    @classmethod
    def standard(cls) -> Terminal:
        """The process's own standard input and output."""
        for stream in (sys.stdin, sys.stdout):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")  # bad bytes in, unshowable characters out
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        color = interactive and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        encoding = sys.stdout.encoding or "ascii"
        try:
            "✅⏳↳✎".encode(encoding)
            unicode = True
        except (UnicodeEncodeError, LookupError):
            unicode = False
        return cls(sys.stdin, sys.stdout, interactive=interactive, style=Style(color, unicode))

    def say(self, text: str = "") -> None:
        """Write `text` and a newline."""
        with self._lock:
            self._stdout.write(text + "\n")
            self._stdout.flush()

    def flush(self) -> None:
        with self._lock:
            self._stdout.flush()

    def ask(self, prompt: str) -> str:
        """One line from the person, without its newline, cut to `MAX_INPUT` characters.

        Raises:
            EOFError: the input has ended (Ctrl-D, or the end of a script).
        """
        if self.interactive:
            line = input(prompt)
        else:
            with self._lock:
                self._stdout.write(prompt)
                self._stdout.flush()
            raw = self._readline()
            if not raw:
                with self._lock:
                    self._stdout.write("\n")
                raise EOFError
            line = raw.rstrip("\r\n")
            with self._lock:
                shown = clean(line if len(line) <= 200 else line[:200] + "…")
                self._stdout.write(self.style.dim(shown) + "\n")
                self._stdout.flush()
        if len(line) > MAX_INPUT:
            self.say(f"(that line was cut to its first {MAX_INPUT} characters)")
            line = line[:MAX_INPUT]
        return line
