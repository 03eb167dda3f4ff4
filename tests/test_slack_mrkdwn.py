"""Escaping and small builders for Slack mrkdwn (`bot.slack.mrkdwn`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.mrkdwn import ELLIPSIS, bold, clip, code, escape, italic, mention, plain, unescape
from bot.text import safe_display


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Safeguarding Foundations", "Safeguarding Foundations"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U0123ABC>", "&lt;@U0123ABC&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("&amp;", "&amp;amp;"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
        ("*bold* _it_ ~s~ `c`", "*bold* _it_ ~s~ `c`"),  # only & < > are touched
        ("naïve café ✝", "naïve café ✝"),
        ("", ""),
    ],
)
def test_escape(text: str, escaped: str) -> None:
    assert escape(text) == escaped
    assert unescape(escaped) == text


def test_unescape_only_knows_slacks_three_entities() -> None:
    assert unescape("&quot;&#60;&copy;") == "&quot;&#60;&copy;"


@given(st.text())
def test_escaped_text_never_holds_markup(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert unescape(escaped) == safe_display(text)  # shown as stored: no bidi or controls


@given(st.text())
def test_every_ampersand_in_escaped_text_starts_an_entity(text: str) -> None:
    escaped = escape(text)
    assert escaped.count("&") == (
        escaped.count("&amp;") + escaped.count("&lt;") + escaped.count("&gt;")
    )


def test_bold_italic_code_escape() -> None:
    assert bold("<!channel>") == "*&lt;!channel&gt;*"
    assert italic("A & B") == "_A &amp; B_"
    assert code("<x>`y`") == "`&lt;x&gt;'y'`"
    assert bold("") == italic("") == code("") == ""


def test_mention_only_takes_user_ids() -> None:
    assert mention("U0123ABC") == "<@U0123ABC>"
    assert mention("W0123ABC") == "<@W0123ABC>"
    for bad in ["!channel", "U1>|<!channel", "", "u0123", "C0123ABC"]:
        with pytest.raises(ValueError, match="not a Slack user id"):
            mention(bad)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Record a course", 24, "Record a course"),
        ("x" * 24, 24, "x" * 24),
        ("x" * 25, 24, "x" * 23 + ELLIPSIS),
        ("<!channel>", 75, "<!channel>"),  # plain_text is shown as it is
        ("ab", 1, ELLIPSIS),
    ],
)
def test_plain(text: str, limit: int, expected: str) -> None:
    assert plain(text, limit) == expected


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plain("x", 0)
    with pytest.raises(ValueError, match="at least 1"):
        clip("x", 0)


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_plain_never_exceeds_the_limit(text: str, limit: int) -> None:
    result = plain(text, limit)
    assert len(result) <= limit
    assert result == safe_display(text) or result.endswith(ELLIPSIS)


@pytest.mark.parametrize(
    ("mrkdwn", "limit", "expected"),
    [
        ("abc&lt;def", 10, "abc&lt;def"),
        ("abc&lt;def", 9, "abc&lt;d" + ELLIPSIS),
        ("abc&lt;def", 8, "abc&lt;" + ELLIPSIS),
        ("abc&lt;def", 7, "abc" + ELLIPSIS),  # "abc&lt" + … would leave a broken entity
        ("abc&amp;def", 6, "abc" + ELLIPSIS),
        ("abc&amp;def", 9, "abc&amp;" + ELLIPSIS),
    ],
)
def test_clip_never_cuts_an_entity(mrkdwn: str, limit: int, expected: str) -> None:
    assert clip(mrkdwn, limit) == expected


@given(st.text(), st.integers(min_value=1, max_value=60))
def test_clipped_escaped_text_is_still_safe(text: str, limit: int) -> None:
    clipped = clip(escape(text), limit)
    assert len(clipped) <= limit
    body = clipped.removesuffix(ELLIPSIS) if clipped != escape(text) else clipped
    assert "<" not in body
    assert ">" not in body
    assert escape(unescape(body)) == body  # whole entities only
