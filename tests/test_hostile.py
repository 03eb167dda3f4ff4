"""Hostile input, generated (hypothesis): arbitrary, huge, Unicode, control-character and
mrkdwn-laden text in every field of the modal and every argument of `record` and `dates`, and
malformed (but properly signed) requests at the HTTP endpoint.

Never a 500, never an unhandled exception, never a CMS call for invalid input, never an
unescaped mention or link in anything posted to Slack.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot import cli
from bot.fields import FIELDS
from bot.local.sandbox import SANDBOX_API_ID, SANDBOX_DIOCESE_ID, SANDBOX_SECRET_KEY, CMSSandbox
from bot.local.slack_standin import Call
from bot.slack.messages import REOPEN_ACTION, RETRY_ACTION
from tests.support.faulty_slack import FaultySlackStandIn
from tests.support.live_app import LiveApp, cms_posts, live_app, wait_until
from tests.support.slack_harness import CHANNEL_ID, USER_ID, command_body, view_submission_payload

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0OTHER>",
    "<#C0OTHER>",
    "<https://evil.example|click>",
    "<mailto:a@b.c|mail>",
    "*",
    "_",
    "~",
    "`",
    "```",
    ">",
    "<",
    "&",
    "&lt;",
    "&amp;lt;",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",
    "\ufeff",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\t",
    "%s",
    "{0}",
    "\\",
    "'",
    '"',
    "1042",
    "2",
    "12/03/2025",
    "yesterday",
    "3 years",
    "١٢",  # Arabic-Indic digits
    "𝟙𝟘𝟜𝟚",  # mathematical digits
]

hostile_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), max_size=12).map("".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(NASTY), st.integers(200, 4000)),
)
field_text = st.one_of(hostile_text, st.sampled_from(["", "1042", "2", "yesterday", "3 years"]))

#: `<...>` that may appear in a message: the submitter's own mention and the channel's link.
ALLOWED_MARKUP = {f"<@{USER_ID}>", f"<#{CHANNEL_ID}>"}
MARKUP = re.compile(r"<[^<>]*>?")


def mrkdwn_texts(value: object) -> Iterator[str]:
    """Every piece of text in a message's `text` and blocks that Slack reads as mrkdwn."""
    if isinstance(value, Mapping):
        if value.get("type") == "plain_text":
            return
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from mrkdwn_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from mrkdwn_texts(item)


def unescaped_markup(calls: list[Call]) -> list[str]:
    """`<...>` markup in anything posted or shown that is not the bot's own."""
    found = []
    for call in calls:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            content: object = {"text": call.args.get("text"), "blocks": call.args.get("blocks")}
        elif call.method in ("views.open", "views.push", "views.update", "views.publish"):
            content = (call.args.get("view") or {}).get("blocks")
        else:
            continue
        for text in mrkdwn_texts(content):
            found += [m for m in MARKUP.findall(text) if m not in ALLOWED_MARKUP]
    return found


def over_slack_limits(calls: list[Call]) -> list[str]:
    """Messages and views Slack would refuse: a block text over 3000 characters, more than
    50 blocks in a message (100 in a view), message text over 40,000 characters."""
    found = []
    for call in calls:
        if call.method in ("chat.postMessage", "chat.update"):
            blocks, most = call.args.get("blocks") or [], 50
            if len(str(call.args.get("text") or "")) > 40_000:
                found.append(f"{call.method}: text of {len(call.args['text'])}")
        elif call.method in ("views.open", "views.push", "views.update"):
            blocks, most = (call.args.get("view") or {}).get("blocks") or [], 100
        else:
            continue
        if len(blocks) > most:
            found.append(f"{call.method}: {len(blocks)} blocks")
        for block in blocks:
            text = block.get("text")
            if isinstance(text, Mapping) and len(str(text.get("text", ""))) > 3000:
                found.append(f"{call.method}: a {block.get('type')} of {len(text['text'])}")
    return found


def trouble(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors and tracebacks logged (Bolt's warning about a request no listener wanted is
    neither)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]


# --- the running app, shared by the examples of this module -----------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with FaultySlackStandIn() as slack, CMSSandbox(rate_limit=100_000) as sandbox:
        database = tmp_path_factory.mktemp("hostile") / "log.db"
        with live_app(database, slack, sandbox) as running:
            yield running


@pytest.fixture(scope="module")
def form(app: LiveApp) -> dict[str, Any]:
    return app.open_form()


_views = itertools.count(1)


#: Values a person could well give, so that a fair share of the examples reaches the CMS.
GOOD = {
    "contact_id": ["1042", "1002", "1004", "1005"],
    "course_id": ["2", "3", "999"],
    "qualification_id": [""],
    "booked_at": [""],
    "attended_at": ["", "last Tuesday"],
    "completed_at": ["", "yesterday", "12/03/2025"],
    "expires_at": ["", "3 years"],
}
form_values = st.fixed_dictionaries(
    {
        name: st.one_of(st.sampled_from(good), st.sampled_from(good), hostile_text)
        for name, good in GOOD.items()
    }
)


@EXAMPLES
@given(values=form_values, user_name=hostile_text)
def test_any_text_in_any_field_of_the_modal(
    app: LiveApp,
    form: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    values: dict[str, str],
    user_name: str,
) -> None:
    view = {**form, "id": f"VHOSTILE{next(_views):06d}"}
    typed = {
        name: (
            ("chosen", text) if name in ("contact_id", "course_id", "qualification_id") else text
        )
        for name, text in values.items()
    }
    posts, stored = len(cms_posts(app.sandbox)), app.store.count()
    payload = view_submission_payload(view, typed, user_name=user_name)
    answer = app.harness.send_payload(payload)
    assert answer.status_code == 200
    action = answer.json()["response_action"]
    assert action in ("errors", "clear", "push")
    if action == "errors":
        assert set(answer.json()["errors"]) <= set(FIELDS)
        assert len(cms_posts(app.sandbox)) == posts
        assert app.store.count() == stored
    if action == "clear":
        assert app.store.count() == stored + 1
        app.settled(app.store.recent(1)[0].id)
    assert unescaped_markup(app.slack.calls()) == []
    assert over_slack_limits(app.slack.calls()) == []
    assert trouble(caplog) == []


@EXAMPLES
@given(text=hostile_text)
def test_any_text_after_the_command(
    app: LiveApp, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    opened = len(app.slack.calls("views.open"))
    posts = len(cms_posts(app.sandbox))
    response = app.harness.command(text)
    assert response.status_code == 200
    [*_, call] = app.slack.wait_for("views.open", count=opened + 1)
    assert call.ok, call.error
    assert len(cms_posts(app.sandbox)) == posts
    assert unescaped_markup(app.slack.calls()) == []
    assert trouble(caplog) == []


# --- malformed requests at the endpoint ------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

#: Keys of a real payload, so that generated ones reach past the first check.
PAYLOAD_KEYS = [
    "type",
    "view",
    "user",
    "team",
    "actions",
    "state",
    "values",
    "private_metadata",
    "callback_id",
    "id",
    "value",
    "action_id",
    "block_id",
    "trigger_id",
    "channel",
]


def mangled(payload: Any, data: st.DataObject) -> Any:
    """`payload` with some values replaced by anything, some keys dropped."""
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            choice = data.draw(st.sampled_from(["keep", "keep", "keep", "drop", "replace"]))
            if choice == "keep":
                out[key] = mangled(value, data)
            elif choice == "replace":
                out[key] = data.draw(json_values)
        return out
    if isinstance(payload, list):
        return [mangled(item, data) for item in payload]
    return payload


def well_formed_submission(form: dict[str, Any]) -> dict[str, Any]:
    view = {**form, "id": f"VMANGLED{next(_views):06d}"}
    return view_submission_payload(view, {"contact_id": ("x", "1042"), "course_id": ("y", "2")})


@st.composite
def bodies(draw: st.DrawFn, form: dict[str, Any]) -> tuple[str, str]:
    """(content type, body) of a malformed request."""
    kind = draw(st.sampled_from(["mangled", "json", "not-json", "form", "command", "huge"]))
    form_type = "application/x-www-form-urlencoded"
    if kind == "mangled":
        data = draw(st.data())
        payload = mangled(well_formed_submission(form), data)
        if draw(st.booleans()) and isinstance(payload, dict):
            payload["type"] = draw(
                st.sampled_from(["view_submission", "block_suggestion", "block_actions"])
            )
        return form_type, urlencode({"payload": json.dumps(payload)})
    if kind == "json":
        value = draw(
            json_values | st.dictionaries(st.sampled_from(PAYLOAD_KEYS), json_values, max_size=6)
        )
        as_payload = draw(st.booleans())
        body = urlencode({"payload": json.dumps(value)}) if as_payload else json.dumps(value)
        return draw(st.sampled_from([form_type, "application/json"])), body
    if kind == "not-json":
        return form_type, urlencode({"payload": draw(hostile_text)})
    if kind == "form":
        keys = draw(st.lists(st.sampled_from([*PAYLOAD_KEYS, "command", "text", "user_id"])))
        pairs = [(k, draw(hostile_text)) for k in keys]
        content_type = draw(
            st.sampled_from([form_type, "text/plain", "multipart/form-data", "", "application/xml"])
        )
        return content_type, urlencode(pairs)
    if kind == "command":
        body = command_body(draw(hostile_text))
        fields = dict(pair.split("=", 1) for pair in body.split("&"))
        for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=4)):
            if draw(st.booleans()):
                fields.pop(key, None)
            else:
                fields[key] = urlencode({"": draw(hostile_text)})[1:]
        return form_type, "&".join(f"{k}={v}" for k, v in fields.items())
    size = draw(st.sampled_from([100_000, 1_000_000]))
    return form_type, urlencode(
        {"payload": json.dumps({"type": "view_submission", "x": "<" * size})}
    )


@EXAMPLES
@given(data=st.data())
def test_malformed_but_signed_requests(
    app: LiveApp, form: dict[str, Any], caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    content_type, body = data.draw(bodies(form))
    posts = len(cms_posts(app.sandbox))
    response = app.harness.post(body, content_type=content_type)
    assert response.status_code < 500, response.text
    assert len(cms_posts(app.sandbox)) <= posts + 1  # only a well-formed submission reaches the CMS
    assert unescaped_markup(app.slack.calls()) == []
    assert trouble(caplog) == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", '{"view": null}'),  # found by the test above
        ("application/json", '{"view": null, "type": "view_submission"}'),
        ("application/x-www-form-urlencoded", 'payload={"type":"view_submission","view":null}'),
        ("application/x-www-form-urlencoded", 'payload={"type":"block_actions","actions":[null]}'),
        ("application/json", "[]"),
        ("application/json", "null"),
        ("application/x-www-form-urlencoded", "payload=%FF%FE"),
    ],
)
def test_known_malformed_bodies(
    app: LiveApp, caplog: pytest.LogCaptureFixture, content_type: str, body: str
) -> None:
    response = app.harness.post(body, content_type=content_type)
    assert response.status_code < 500, response.text
    assert trouble(caplog) == []


@EXAMPLES
@given(
    action_id=st.sampled_from([REOPEN_ACTION, RETRY_ACTION, "contact_id", "nonsense"]),
    value=st.one_of(
        hostile_text,
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["1", "2", "0", "-1", "١", "²"]),
    ),
)
def test_any_value_on_a_button(
    app: LiveApp, caplog: pytest.LogCaptureFixture, action_id: str, value: str
) -> None:
    posts = len(cms_posts(app.sandbox))
    response = app.harness.block_actions(action_id, value=value)
    assert response.status_code in (200, 404)  # 404: no listener for that action
    assert len(cms_posts(app.sandbox)) == posts  # nothing here has failed, so nothing is retried
    assert unescaped_markup(app.slack.calls()) == []
    assert trouble(caplog) == []


SESSION_GOOD = {
    "course_id": ["2", "3"],
    "qualification_id": [""],
    "booked_at": [""],
    "attended_at": ["", "last Tuesday"],
    "completed_at": ["", "yesterday"],
    "expires_at": ["", "3 years"],
}
session_values = st.fixed_dictionaries(  # mostly good (4 in 5): the names are the point here
    {
        name: st.tuples(st.integers(0, 4), st.sampled_from(good), hostile_text).map(
            lambda t: t[2] if t[0] == 4 else t[1]
        )
        for name, good in SESSION_GOOD.items()
    }
)
attendance_lists = st.lists(
    st.one_of(st.sampled_from(["Joan Ellison", "Pritchard", "1042", "Smith"]), hostile_text),
    min_size=1,
    max_size=8,
).map("\n".join)


@settings(EXAMPLES, max_examples=25)
@given(
    values=session_values,
    attendance=attendance_lists,
    people=st.lists(st.one_of(st.sampled_from(["1042", "1002"]), hostile_text), max_size=3),
)
def test_any_text_in_the_session_form_and_its_confirmation(
    app: LiveApp,
    caplog: pytest.LogCaptureFixture,
    values: dict[str, str],
    attendance: str,
    people: list[str],
) -> None:
    opened = len(app.slack.calls("views.open", ok=True))
    assert app.harness.command("session").status_code == 200
    form = app.slack.wait_for("views.open", count=opened + 1, ok=True)[-1].response["view"]
    assert form["callback_id"] == "record_course_bulk"
    typed: dict[str, Any] = {
        name: (("chosen", text) if name in ("course_id", "qualification_id") else text)
        for name, text in values.items()
    }
    typed["contact_ids"] = [(f"label {p}", p) for p in people] or None
    typed["attendance"] = attendance
    posts = len(cms_posts(app.sandbox))
    answer = app.harness.view_submission(form, typed)
    assert answer.status_code == 200
    body = answer.json() if answer.text else {}
    assert unescaped_markup([Call("views.open", body, None, 0, 200, {})]) == []
    if body.get("response_action") == "update" and body["view"].get("callback_id") != (
        "record_course_bulk_confirm"
    ):  # "looking up the names…": the confirm page follows
        [update] = app.slack.wait_for(
            lambda c: c.method == "views.update" and c.args.get("view_id") == form["id"],
            timeout=30,
        )
        confirm = update.response["view"]
    elif body.get("response_action") == "update":
        confirm = body["view"]
    else:
        assert body.get("response_action") == "errors", body
        assert len(cms_posts(app.sandbox)) == posts
        confirm = None
    if confirm is not None and confirm.get("callback_id") == "record_course_bulk_confirm":
        done = app.harness.view_submission(confirm, {})
        assert done.status_code == 200
        assert app.recorder.wait_idle(30)
        wait_until(
            lambda: all(s.state.final and s.reported for s in app.store.recent(50)),
            timeout=30,
            what="every submission told",
        )
    assert unescaped_markup(app.slack.calls()) == []
    assert over_slack_limits(app.slack.calls()) == []
    assert trouble(caplog) == []


def test_the_app_is_quiet_after_all_that(app: LiveApp) -> None:
    assert app.recorder.wait_idle(20)
    assert unescaped_markup(app.slack.calls()) == []


# --- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_sandbox() -> Iterator[CMSSandbox]:
    with CMSSandbox(rate_limit=100_000) as sandbox:
        yield sandbox


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli_sandbox: CMSSandbox) -> CMSSandbox:
    for name, value in {
        "CMS_BASE_URL": cli_sandbox.base_url,
        "CMS_API_ID": SANDBOX_API_ID,
        "CMS_SECRET_KEY": SANDBOX_SECRET_KEY,
        "CMS_DIOCESE_ID": str(SANDBOX_DIOCESE_ID),
        "DATABASE_PATH": str(tmp_path / "cli.db"),
        "LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    # main() would replace the root logger's handlers, caplog's among them.
    monkeypatch.setattr(cli, "configure_logging", lambda *args, **kwargs: None)
    return cli_sandbox


@pytest.mark.slow  # through cli_sandbox, a CMS sandbox serving on 127.0.0.1
@EXAMPLES
@given(
    contact=field_text,
    course=field_text,
    others=st.fixed_dictionaries(
        dict.fromkeys(("qualification", "booked", "attended", "completed", "expires"), field_text)
    ),
    as_json=st.booleans(),
)
def test_any_argument_of_record(
    cli_env: CMSSandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    contact: str,
    course: str,
    others: dict[str, str],
    as_json: bool,
) -> None:
    before = list(cli_env.calls)
    argv = ["record", f"--course={course}", *(f"--{k}={v}" for k, v in others.items())]
    argv += ["--json"] * as_json + ["--allow-duplicate", "--", contact]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code in (cli.EXIT_OK, cli.EXIT_REFUSED, cli.EXIT_CMS_REJECTED, cli.EXIT_NOT_FOUND)
    assert "Traceback" not in out + err
    if code == cli.EXIT_REFUSED:
        assert cli_env.calls == before
        if as_json:
            assert json.loads(out)["state"] == "refused"
        else:
            assert err.strip()
    assert trouble(caplog) == []


@pytest.mark.slow  # through cli_sandbox, a CMS sandbox serving on 127.0.0.1
@EXAMPLES
@given(text=hostile_text, role=st.sampled_from(["past", "future"]))
def test_any_text_for_dates(
    cli_env: CMSSandbox,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    text: str,
    role: str,
) -> None:
    before = list(cli_env.calls)
    code = cli.main(["dates", f"--role={role}", "--today=2026-11-27", "--", text])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code == cli.EXIT_OK:
        assert re.match(r"\d{4}-\d{2}-\d{2}  ", out)
    else:
        assert code == cli.EXIT_REFUSED
        assert err.strip()
    assert cli_env.calls == before
    assert trouble(caplog) == []
