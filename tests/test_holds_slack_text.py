"""Issue 12, item 11: names with bidirectional overrides or control characters are shown
safely everywhere text is rendered, and real names in any script pass unchanged."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import contact_label
from bot.cms.models import Contact
from bot.local.console.render import clean, render_mrkdwn
from bot.local.sandbox import CMSSandbox
from bot.slack import views
from bot.slack.mrkdwn import escape, plain
from bot.text import safe_display
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, live_app

HOSTILE = [
    "\u202e",  # right-to-left override
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",  # isolates
    "\u200e",
    "\u200f",
    "\u061c",  # marks
    "\u200b",
    "\u2060",
    "\ufeff",
    "\u00ad",  # zero width, soft hyphen
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",  # C0, C1
    "\u2028",
    "\u2029",
    "\u3164",
]


def forbidden(char: str) -> bool:
    return char in HOSTILE or (
        unicodedata.category(char) in ("Cc", "Cf", "Cs") and char not in "\n\t\u200c\u200d"
    )


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Brontë",
        "Siân Llŷr",
        "محمد عبد الله",
        "יעקב כהן",
        "Nguyễn Thị Hồng",
        "ऋषि",
        "王小明",
        "O'Brien-Smith",
        "میرزا\u200cعلی",
        "Đorđe Šević",
    ],
)
def test_real_names_pass_unchanged(name: str) -> None:
    name = unicodedata.normalize("NFC", name)
    assert safe_display(name) == name
    assert escape(name) == name
    assert plain(name, 100) == name


def test_a_reversed_name_is_shown_as_it_is_stored() -> None:
    assert safe_display("Joan \u202enosillE\u202c") == "Joan nosillE"
    assert safe_display("Jo\u200ban\u2066 Ellison\u2069\x1b[2J") == "Joan Ellison[2J"
    assert safe_display("Ann\u200dSmith") == "AnnSmith"  # a joiner in Latin joins nothing
    assert safe_display("a" + "\u0301" * 40) == "\u00e1" + "\u0301" * 4  # no mark floods


@given(st.text(alphabet=st.sampled_from([*HOSTILE, "a", "ë", "ش", " ", "\u200d", "\u0301"])))
def test_hostile_text_never_passes(text: str) -> None:
    shown = safe_display(text)
    assert not any(forbidden(c) for c in shown)
    assert safe_display(shown) == shown


@given(st.text())
def test_any_text_is_made_safe_everywhere(text: str) -> None:
    for shown in (safe_display(text), escape(text), plain(text, 3000), clean(text)):
        assert not any(forbidden(c) for c in shown)
    label = contact_label(Contact(id=7, forenames=text, surname="Lee"))
    assert not any(forbidden(c) for c in label)
    option = views.option(text + "x", "7")
    assert not any(forbidden(c) for c in option["text"]["text"])
    assert not any(forbidden(c) for c in render_mrkdwn(text))


@pytest.fixture
def app(tmp_path: Path, sandbox: CMSSandbox) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, live_app(tmp_path / "log.db", slack, sandbox) as running:
        yield running


@pytest.mark.slow
def test_a_spoofing_name_from_the_cms_reaches_no_option_or_message(
    app: LiveApp, sandbox: CMSSandbox
) -> None:
    spoof = sandbox.add_contact("Mallory\u202e", "nosillE\u202c\u200b", post="Reader\x1b[31m")
    answer = app.harness.block_suggestion(views.ACTION_IDS["contact_id"], "Mallory")
    labels = [o["text"]["text"] for o in answer.json()["options"]]
    assert f"Mallory nosillE (#{spoof['id']}), Reader[31m" in labels
    assert not any(forbidden(c) for label in labels for c in label)
