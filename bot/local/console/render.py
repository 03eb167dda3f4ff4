"""Slack's mrkdwn and Block Kit messages made readable in a terminal.

`render_mrkdwn` turns ``*bold*`` into bold (ANSI on a terminal, plain text otherwise),
``&lt;`` back into ``<``, ``<@U123>`` into ``@name``, ``<https://x|text>`` into
``text (https://x)`` and known emoji codes (``:white_check_mark:``) into a symbol, or into a
short text where the output cannot show the symbol. `message_lines` does the same for a
message's blocks (sections, context, buttons).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.slack.mrkdwn import unescape
from bot.text import safe_display

__all__ = ["EMOJI", "Style", "message_lines", "render_mrkdwn"]

#: Emoji codes the bot uses: code -> (symbol, text where the symbol cannot be shown).
EMOJI: Mapping[str, tuple[str, str]] = {
    "white_check_mark": ("✅", "[ok]"),
    "heavy_check_mark": ("✔", "[ok]"),
    "x": ("❌", "[x]"),
    "warning": ("⚠️", "[!]"),
    "hourglass_flowing_sand": ("⏳", "[...]"),
    "hourglass": ("⌛", "[...]"),
    "information_source": ("ℹ️", "[i]"),
    "pencil2": ("✏️", "[corrected]"),
    "wave": ("👋", ""),
    "tada": ("🎉", ""),
}

_BOLD, _ITALIC, _STRIKE, _DIM, _RESET = "\033[1m", "\033[3m", "\033[9m", "\033[2m", "\033[0m"

_MARKUP = re.compile(
    r"<(?P<token>[^<>\n]*)>"
    r"|(?<![\w*])\*(?P<bold>[^*\n]*?[^*\s])\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^_\n]*?[^_\s])_(?![\w_])"
    r"|(?<![\w~])~(?P<strike>[^~\n]*?[^~\s])~(?![\w~])"
    r"|(?<!`)`(?P<code>[^`\n]+)`"
    r"|:(?P<emoji>[a-z0-9_+-]*[a-z][a-z0-9_+-]*):"
)
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}
# Characters that would move the cursor or change colours if printed as they are.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Style:
    """How the output looks: `color` for ANSI bold/italic/dim, `unicode` for emoji symbols.

    `names` maps Slack user ids to the names shown for mentions (``<@U123>`` -> ``@name``);
    `channels` does the same for channel ids.
    """

    color: bool = False
    unicode: bool = True
    names: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def wrap(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and text else text

    def bold(self, text: str) -> str:
        return self.wrap(_BOLD, text)

    def dim(self, text: str) -> str:
        return self.wrap(_DIM, text)


def clean(text: str) -> str:
    """`text` without control characters (tabs and newlines kept): nothing typed or sent
    by the CMS can move the terminal's cursor or change its colours."""
    return _CONTROL.sub("", safe_display(text))


def render_mrkdwn(text: str, style: Style | None = None) -> str:
    """Slack mrkdwn as a terminal shows it (see the module docstring)."""
    style = style or Style()
    out: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        out.append(clean(unescape(text[position : match.start()])))
        out.append(_render_match(match, style))
        position = match.end()
    out.append(clean(unescape(text[position:])))
    return "".join(out)


def _render_match(match: re.Match[str], style: Style) -> str:
    kind = match.lastgroup
    value = match.group(kind or 0)
    if kind == "token":
        return _render_token(value, style)
    if kind == "bold":
        return style.wrap(_BOLD, render_mrkdwn(value, style))
    if kind == "italic":
        return style.wrap(_ITALIC, render_mrkdwn(value, style))
    if kind == "strike":
        return style.wrap(_STRIKE, render_mrkdwn(value, style))
    if kind == "code":
        return "`" + clean(unescape(value)) + "`"
    if kind == "emoji" and value in EMOJI:
        symbol, words = EMOJI[value]
        return symbol if style.unicode else words
    return clean(unescape(match.group(0)))


def _render_token(token: str, style: Style) -> str:
    """One ``<...>`` of mrkdwn: a mention, a channel, a special mention or a link."""
    target, _, label = token.partition("|")
    label = clean(unescape(label))
    if target.startswith("@"):
        user = target[1:]
        return "@" + (label or style.names.get(user) or user)
    if target.startswith("#"):
        channel = target[1:]
        return "#" + (label or style.channels.get(channel) or channel)
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in _SPECIAL:
            return _SPECIAL[name]
        return label or "@" + clean(name)
    url = clean(unescape(target))
    return f"{label} ({url})" if label and label != url else url


def _texts(elements: Iterable[Any]) -> list[str]:
    found = []
    for element in elements:
        if isinstance(element, Mapping) and isinstance(element.get("text"), str):
            found.append(element["text"])
    return found


def _block_lines(block: Mapping[str, Any], style: Style) -> list[str]:
    kind = block.get("type")
    text = block.get("text")
    if kind in {"section", "header"} and isinstance(text, Mapping):
        raw = str(text.get("text") or "")
        shown = render_mrkdwn(raw, style) if text.get("type") == "mrkdwn" else clean(raw)
        if kind == "header":
            shown = style.bold(shown)
        return shown.splitlines() or [""]
    if kind == "context":
        elements = block.get("elements")
        parts = [
            render_mrkdwn(str(e.get("text") or ""), style)
            if e.get("type") == "mrkdwn"
            else clean(str(e.get("text") or ""))
            for e in (elements if isinstance(elements, list) else [])
            if isinstance(e, Mapping)
        ]
        return [style.dim(line) for line in "  ".join(parts).splitlines()]
    if kind == "actions":
        elements = block.get("elements")
        labels = [
            clean(str(e["text"].get("text") or ""))
            for e in (elements if isinstance(elements, list) else [])
            if isinstance(e, Mapping) and isinstance(e.get("text"), Mapping)
        ]
        return [style.dim("  ".join(f"[{label}]" for label in labels))] if labels else []
    if kind == "divider":
        return ["─" * 20 if style.unicode else "-" * 20]
    return []


def message_lines(text: str, blocks: Iterable[Mapping[str, Any]], style: Style) -> list[str]:
    """A message as lines for the terminal: its blocks if it has any, else its text."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Mapping):
            lines.extend(_block_lines(block, style))
    if not lines:
        lines = render_mrkdwn(text, style).splitlines()
    return lines or [""]
