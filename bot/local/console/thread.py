"""What the app posts to "Slack", printed as a thread as it arrives.

`ThreadPrinter` is the stand-in's observer: each ``chat.postMessage``,
``chat.postEphemeral`` and ``response_url`` post is written to the terminal at once, the
parent message first and the thread's replies indented under it. It also remembers the
buttons of the messages it printed, so the console can press them (`Button`).

A ``chat.update`` is printed as "(edited) ..." at once too, unless the same message was
shown edited less than `EDIT_EVERY` seconds ago (a session's message is edited as each
person is recorded): then only its newest text is kept, and printed when the window ends,
just before the next reply in its thread, or when the console `flush`es before giving the
prompt back, whichever comes first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.local.console.render import clean, message_lines
from bot.local.console.terminal import Terminal
from bot.local.slack_standin import RESPONSE_URL, Call

__all__ = ["BOT_NAME", "EDIT_EVERY", "Button", "ThreadPrinter"]

#: How the bot is named in the transcript.
BOT_NAME = "record-course"

#: Seconds between two "(edited)" lines for one message; edits in between are held.
EDIT_EVERY = 5.0


@dataclass(frozen=True)
class Button:
    """A button in a message the app posted, as Slack would send it back when pressed."""

    label: str
    action_id: str
    block_id: str
    value: str | None
    channel_id: str
    message: Mapping[str, Any]


def _buttons(channel: str, message: Mapping[str, Any]) -> list[Button]:
    found = []
    for block in message.get("blocks") or []:
        if not isinstance(block, Mapping) or block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if isinstance(element, Mapping) and element.get("type") == "button":
                text = element.get("text")
                value = element.get("value")
                found.append(
                    Button(
                        label=clean(str(text.get("text") or ""))
                        if isinstance(text, Mapping)
                        else "",
                        action_id=str(element.get("action_id") or ""),
                        block_id=str(block.get("block_id") or ""),
                        value=str(value) if value is not None else None,
                        channel_id=channel,
                        message=message,
                    )
                )
    return found


class ThreadPrinter:
    """Prints each message the app posts (called on the stand-in's server thread)."""

    def __init__(self, terminal: Terminal, *, edit_every: float = EDIT_EVERY) -> None:
        self.terminal = terminal
        self.edit_every = edit_every
        # Held while printing, so that a held edit and the reply after it keep their order.
        self._lock = threading.RLock()
        self._buttons: list[Button] = []
        #: (channel, ts) -> when an edit of that message was last printed.
        self._edited: dict[tuple[str, str], float] = {}
        #: (channel, ts) -> the lines of its newest edit, not printed yet.
        self._held: dict[tuple[str, str], list[str]] = {}
        self._timers: dict[tuple[str, str], threading.Timer] = {}

    @property
    def buttons(self) -> list[Button]:
        """The buttons of the newest message that has any."""
        with self._lock:
            return list(self._buttons)

    def say(self, head: str, indent: str, lines: list[str]) -> None:
        first, *others = lines
        self.terminal.say(head + first + "".join("\n" + indent + line for line in others))

    def ephemeral(self, answer: object) -> None:
        """An answer only the person sees: a command's ack text, or a response_url post."""
        if isinstance(answer, Mapping):
            text = str(answer.get("text") or "")
            blocks = answer.get("blocks") if isinstance(answer.get("blocks"), list) else []
        else:
            text, blocks = str(answer), []
        lines = message_lines(text, blocks or [], self.terminal.style)
        self.say(f"(only visible to you) {BOT_NAME}: ", "  ", lines)

    def __call__(self, call: Call) -> None:
        if not call.ok:
            return
        if call.method == RESPONSE_URL:
            self.ephemeral(call.args)
            return
        if call.method not in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            return
        style = self.terminal.style
        args = call.args
        blocks = args.get("blocks") if isinstance(args.get("blocks"), list) else []
        lines = message_lines(str(args.get("text") or ""), blocks or [], style)
        channel = str(call.response.get("channel") or args.get("channel") or "")
        message = call.response.get("message")
        arrow = "↳ " if style.unicode else "-> "
        with self._lock:
            if isinstance(message, Mapping) and (buttons := _buttons(channel, message)):
                self._buttons = buttons
            if call.method == "chat.postEphemeral":
                self.say(f"(only visible to you) {BOT_NAME}: ", "  ", lines)
            elif call.method == "chat.update":
                self._edit((channel, str(call.response.get("ts") or args.get("ts") or "")), lines)
            elif channel.startswith("D"):
                self.say(f"[direct message] {BOT_NAME}: ", "  ", lines)
            elif args.get("thread_ts"):
                self._print_held((channel, str(args["thread_ts"])))
                self.say("    " + arrow, "      ", lines)
            else:
                where = "#" + style.channels.get(channel, channel)
                self.say(f"[{where}] {BOT_NAME}: ", "  ", lines)

    # -- edits ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Print every edit held back, oldest message first."""
        with self._lock:
            for key in list(self._held):
                self._print_held(key)

    def _edit(self, key: tuple[str, str], lines: list[str]) -> None:
        last = self._edited.get(key)
        now = time.monotonic()
        if last is None or now - last >= self.edit_every:
            self._print_edit(key, lines)
            return
        self._held[key] = lines
        if key not in self._timers:
            timer = threading.Timer(last + self.edit_every - now, self._print_held, [key])
            timer.daemon = True  # never keeps the shell from leaving
            self._timers[key] = timer
            timer.start()

    def _print_held(self, key: tuple[str, str]) -> None:
        with self._lock:
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()
            lines = self._held.pop(key, None)
            if lines is not None:
                self._print_edit(key, lines)

    def _print_edit(self, key: tuple[str, str], lines: list[str]) -> None:
        self._edited[key] = time.monotonic()
        self.say("  " + self.terminal.style.dim("(edited) ") + f"{BOT_NAME}: ", "    ", lines)
