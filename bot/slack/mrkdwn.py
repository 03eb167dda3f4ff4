"""Safe building blocks for Slack's `mrkdwn` and `plain_text` fields.

Slack reads ``<...>`` in mrkdwn as markup: ``<!channel>`` pings a whole channel, ``<@U123>``
mentions someone, ``<https://evil|click>`` hides a link behind harmless text. Every piece of
text that came from a person or from the CMS goes through `escape` before it is put into
mrkdwn. Slack's own rule is to escape exactly three characters, ``&``, ``<`` and ``>``, and
nothing else: other characters (``*``, ``_``, ``~``, backticks) may still format text, but
cannot ping anyone or hide a link.

``plain_text`` fields are not parsed for markup, so they need no escaping, only a length
limit: see `plain`.
"""

from __future__ import annotations

import re

from bot.text import safe_display

__all__ = [
    "ELLIPSIS",
    "bold",
    "clip",
    "code",
    "escape",
    "italic",
    "mention",
    "plain",
    "unescape",
]

#: Appended to text that was shortened to fit a limit.
ELLIPSIS = "…"

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">"}
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def escape(text: str) -> str:
    """`text` made safe for mrkdwn: ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;``, ``&gt;``,
    and shown as it is stored (no bidirectional or control characters: `safe_display`)."""
    return safe_display(text).translate(_ESCAPES)


def unescape(text: str) -> str:
    """Undo `escape` (Slack's three entities only), e.g. to show mrkdwn in a terminal."""
    return _ENTITY.sub(lambda m: _UNESCAPES[m.group(1)], text)


def bold(text: str) -> str:
    """`text` escaped and in bold (``*text*``); empty text gives ""."""
    return f"*{escape(text)}*" if text else ""


def italic(text: str) -> str:
    """`text` escaped and in italics (``_text_``); empty text gives ""."""
    return f"_{escape(text)}_" if text else ""


def code(text: str) -> str:
    """`text` escaped, as inline code (backticks in it are replaced by ``'``, which would
    otherwise end the code span early); empty text gives ""."""
    return "`" + escape(text.replace("`", "'")) + "`" if text else ""


def mention(user_id: str) -> str:
    """A mention of the Slack user `user_id` (``<@U123>``).

    Raises:
        ValueError: `user_id` is not shaped like a Slack user id, so it is never turned into
            markup (a ``user_id`` of ``"!channel"`` must not become ``<!channel>``).
    """
    if not _USER_ID.match(user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"


def plain(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters for a ``plain_text`` field, ending in "…"
    when it was cut, without bidirectional or control characters (`safe_display`). Not
    escaped: Slack shows plain_text as it is."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    text = safe_display(text)
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def clip(mrkdwn: str, limit: int) -> str:
    """Already-escaped `mrkdwn` cut to at most `limit` characters, ending in "…" when cut.

    Never cuts inside an ``&amp;``, ``&lt;`` or ``&gt;`` entity, so the result is still
    safe (a cut ``&lt;`` would leave a bare ``&``).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = limit - len(ELLIPSIS)
    head = mrkdwn[:cut]
    amp = head.rfind("&", max(0, cut - 4))
    if amp != -1:
        entity = _ENTITY.match(mrkdwn, amp)
        if entity is not None and entity.end() > cut:
            head = head[:amp]
    return head + ELLIPSIS
