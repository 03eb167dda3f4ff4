"""What the app posts to "Slack", printed as a thread as it arrives.

`ThreadPrinter` is the stand-in's observer: each ``chat.postMessage``, ``chat.update``,
``chat.postEphemeral`` and ``response_url`` post is written to the terminal at once, the
parent message first and the thread's replies indented under it. It also remembers the
buttons of the messages it printed, so the console can press them (`Button`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.console.render import clean, message_lines
from bot.console.terminal import Terminal
from bot.slack.standin import RESPONSE_URL, Call

__all__ = ["BOT_NAME", "Button", "ThreadPrinter"]

#: How the bot is named in the transcript.
BOT_NAME = "record-course"


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

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self._lock = threading.Lock()
        self._buttons: list[Button] = []

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
        if isinstance(message, Mapping) and (buttons := _buttons(channel, message)):
            with self._lock:
                self._buttons = buttons
        arrow = "↳ " if style.unicode else "-> "
        if call.method == "chat.postEphemeral":
            self.say(f"(only visible to you) {BOT_NAME}: ", "  ", lines)
        elif call.method == "chat.update":
            self.say("  " + style.dim("(edited) ") + f"{BOT_NAME}: ", "    ", lines)
        elif channel.startswith("D"):
            self.say(f"[direct message] {BOT_NAME}: ", "  ", lines)
        elif args.get("thread_ts"):
            self.say("    " + arrow, "      ", lines)
        else:
            where = "#" + style.channels.get(channel, channel)
            self.say(f"[{where}] {BOT_NAME}: ", "  ", lines)
