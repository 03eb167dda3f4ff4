"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1.

Point a `slack_sdk.WebClient` at it with ``WebClient(token=..., base_url=standin.url)`` and
every Web API call the bot makes lands here instead of at Slack. The stand-in answers the
methods the bot uses the way Slack does, remembers what it was asked (calls, messages, views),
and offers hooks for a stand-in that misbehaves the ways Slack does (rate limits,
``not_in_channel``, slowness, an outage): that half, which only the tests use, is
``tests/support/faulty_slack.py``. End-to-end tests use it to see what the app asked Slack
for; the local console (``python -m bot shell``) uses its observer hook to show messages and
views as they happen.

Answered methods: ``auth.test``, ``views.open``, ``views.update``, ``views.push``,
``views.publish`` (the App Home, one view per user: see `SlackStandIn.home_view`),
``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``conversations.open``,
``usergroups.users.list``, ``users.info``. Anything else gets
``{"ok": false, "error": "unknown_method"}``, as Slack answers. It also plays Slack's
``response_url`` endpoints: `SlackStandIn.new_response_url` issues one (5 uses, as on Slack),
and each post to it is recorded as a call of the pseudo-method `RESPONSE_URL`.

Example::

    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url)
        trigger = slack.new_trigger_id()
        client.views_open(trigger_id=trigger, view={"type": "modal", ...})
        [call] = slack.wait_for("views.open")
        assert call.args["view"]["callback_id"] == "record_course"

Where it is stricter than Slack, so tests catch mistakes: a ``thread_ts`` that names no
message in the channel is refused with ``thread_not_found``, and a ``trigger_id`` that was not
issued by `SlackStandIn.new_trigger_id` is refused with ``invalid_trigger_id``.
"""

from __future__ import annotations

import base64
import copy
import email.parser
import email.policy
import hashlib
import itertools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "RESPONSE_URL",
    "Call",
    "Ephemeral",
    "Message",
    "Observer",
    "SlackStandIn",
]

logger = logging.getLogger(__name__)

#: Arguments that Slack takes as JSON even inside a form-encoded body.
_JSON_ARGS = frozenset({"view", "blocks", "attachments", "metadata"})
#: Methods that post into a channel, and so fail with ``not_in_channel`` where the bot is not.
_CHANNEL_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,}$")
#: The method name under which posts to a ``response_url`` are recorded.
RESPONSE_URL = "response_url"
_RESPONSE_URL_USES = 5
_FIRST_TS = 1_700_000_000_000_100  # microseconds: the first ts is "1700000000.000100"
_TS_STEP = 100

Observer = Callable[["Call"], None]


@dataclass(frozen=True)
class Call:
    """One Web API call as the stand-in received and answered it."""

    #: The Web API method, e.g. ``"chat.postMessage"``.
    method: str
    #: Arguments from the query string and the body (JSON, form or multipart), merged.
    #: ``view``, ``blocks``, ``attachments`` and ``metadata`` are decoded from JSON text.
    args: Mapping[str, Any]
    #: The token from the ``Authorization: Bearer`` header (or a ``token`` argument); kept
    #: in memory for assertions, never logged, and left out of the repr.
    token: str | None = field(repr=False)
    #: ``time.time()`` when the request arrived.
    at: float
    #: The HTTP status answered (200, 429, 500).
    status: int
    #: The JSON body answered.
    response: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        """Whether Slack would have called this a success (HTTP 200 and ``"ok": true``)."""
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """The ``error`` Slack answered, if any."""
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass(frozen=True)
class Message:
    """A message posted with ``chat.postMessage`` (as last changed by ``chat.update``)."""

    channel: str
    ts: str
    text: str
    blocks: tuple[Mapping[str, Any], ...]
    thread_ts: str | None
    user: str
    #: How many times ``chat.update`` changed it.
    edits: int = 0


@dataclass(frozen=True)
class Ephemeral:
    """A message posted with ``chat.postEphemeral``: only `user` sees it."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: tuple[Mapping[str, Any], ...]
    thread_ts: str | None


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    is_bot: bool = False
    deleted: bool = False


class _Unanswered(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SlackStandIn:
    """A stand-in for Slack's Web API, served over HTTP on a loopback port.

    Thread-safe: the server answers each request on its own thread, and tests read what it
    recorded from theirs. Use it as a context manager, or call `start` and `stop`.

    Args:
        host: The address to listen on (loopback by default).
        port: The port; 0 picks a free one (see `port` once started).
        token: If given, calls with any other token are refused with ``invalid_auth``.
            Calls with no token at all are always refused with ``not_authed``.
        team_id, team, bot_user_id, bot_id, app_id: The identity ``auth.test`` reports.
        trigger_ttl: How long an issued trigger id stays valid, in seconds (Slack: 3).
        scopes: If given, ``auth.test`` answers with them in the ``x-oauth-scopes`` header, as
            Slack does (the scopes granted to the token); `scopes` may be changed later.
        observer: Called with each `Call` after it is answered (see `add_observer`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        team_id: str = "T0STANDIN",
        team: str = "Stand-in Workspace",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0STANDIN",
        trigger_ttl: float = 3.0,
        observer: Observer | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._token = token
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self._trigger_ttl = trigger_ttl
        self.scopes: list[str] | None = None if scopes is None else list(scopes)

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._started = False  # between start() and stop(), even while refusing connections
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._observers: list[Observer] = [observer] if observer else []

        self._calls: list[Call] = []
        self._messages: dict[tuple[str, str], Message] = {}  # (channel, ts) -> message
        self._ephemerals: list[Ephemeral] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._homes: dict[str, str] = {}  # user id -> the id of their published home view
        self._triggers: dict[str, float] = {}  # trigger id -> deadline (time.monotonic)
        self._spent_triggers: set[str] = set()
        self._response_urls: dict[str, int] = {}  # path -> uses left
        self._users: dict[str, _User] = {}
        self._usergroups: dict[str, tuple[str, ...]] = {}
        self._ts_counter = itertools.count(_FIRST_TS, _TS_STEP)
        self._ids = itertools.count(1)
        #: Prefixes this run's view ids: a log kept across runs (the shell's) never meets a
        #: view id of an earlier run again.
        self.run_token = base64.b32encode(os.urandom(5)).decode()
        #: Where ``apps.connections.open`` sends Socket Mode clients (see `SocketModeStandIn`);
        #: None: Socket Mode is off, as for an app without it.
        self.socket_mode_url: str | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start serving on a daemon thread; returns self. Starting twice is an error."""
        if self._server is not None:
            raise RuntimeError("the Slack stand-in is already running")
        self._serve(self._requested_port if self._port is None else self._port)
        self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket. Safe to call more than once."""
        self._started = False
        self._halt()

    def _serve(self, port: int) -> None:
        server = _Server((self._host, port), _handler_for(self))
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"slack-standin:{self._port}",
            daemon=True,
        )
        self._thread.start()

    def _halt(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the stand-in listens on (known once started)."""
        if self._port is None:
            raise RuntimeError("the Slack stand-in has not been started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL for ``WebClient(base_url=...)``, like ``http://127.0.0.1:PORT/api/``.

        The trailing slash matters to slack_sdk, which joins it with the method name.
        Requests to ``/<method>`` (a base URL without ``/api/``) are answered too.
        """
        return f"http://{self._host}:{self.port}/api/"

    # ------------------------------------------------------------------ set-up

    def add_observer(self, observer: Observer) -> None:
        """Call `observer` with each `Call` once it is answered, on the server's thread.

        An observer that raises is logged and otherwise ignored.
        """
        with self._lock:
            self._observers.append(observer)

    def new_trigger_id(self) -> str:
        """Issue a trigger id, valid for one ``views.open`` / ``views.push`` within the TTL."""
        with self._lock:
            n = next(self._ids)
            trigger = f"{n}.{self.team_id}.{hashlib.sha256(str(n).encode()).hexdigest()[:32]}"
            self._triggers[trigger] = time.monotonic() + self._trigger_ttl
            return trigger

    def new_response_url(self) -> str:
        """Issue a ``response_url`` on this server, good for 5 posts (Slack: 5 in 30 minutes).

        Posts to it are recorded as calls of `RESPONSE_URL`, their JSON body as ``args``
        (plus ``"response_url"``, the URL posted to).
        """
        with self._lock:
            n = next(self._ids)
            path = (
                f"/hooks/commands/{self.team_id}/{n}/{hashlib.sha256(b'%d' % n).hexdigest()[:24]}"
            )
            self._response_urls[path] = _RESPONSE_URL_USES
        return f"http://{self._host}:{self.port}{path}"

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        """Describe a user for ``users.info``.

        Unknown ids that look like Slack ids get a generated profile; others are refused with
        ``user_not_found``.
        """
        with self._lock:
            self._users[user_id] = _User(
                user_id, name, real_name or name, tz, is_bot=is_bot, deleted=deleted
            )

    def set_usergroup(self, usergroup_id: str, members: Iterable[str]) -> None:
        """Set a user group's members, as ``usergroups.users.list`` reports them."""
        with self._lock:
            self._usergroups[usergroup_id] = tuple(members)

    def dm_channel(self, user_id: str) -> str:
        """The id of the direct-message channel between the bot and `user_id` (``D...``)."""
        return "D" + user_id[1:] if user_id[:1] in {"U", "W"} else "D" + user_id

    def reset(self) -> None:
        """Forget calls, messages, views and trigger ids."""
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self._ephemerals.clear()
            self._views.clear()
            self._homes.clear()
            self._triggers.clear()
            self._spent_triggers.clear()
            self._response_urls.clear()

    # ------------------------------------------------------------------ reading

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[Call]:
        """The calls received so far, oldest first, optionally of one method / outcome."""
        with self._lock:
            return [c for c in self._calls if _matches(c, method, ok)]

    def wait_for(
        self,
        what: str | Callable[[Call], bool] | None = None,
        count: int = 1,
        *,
        timeout: float = 5.0,
        ok: bool | None = None,
    ) -> list[Call]:
        """Wait until at least `count` calls match, and return all the matching calls.

        `what` is a method name, a predicate on `Call`, or None for any call; `ok` filters on
        the outcome (calls refused by a fault count unless ``ok=True``). Listeners run after
        the ack, so tests wait for their calls rather than asserting at once.

        Raises:
            TimeoutError: fewer than `count` matched within `timeout` seconds; the message
                lists the calls that did arrive.
        """
        if callable(what):
            predicate = what

            def wanted(call: Call) -> bool:
                return predicate(call) and _matches(call, None, ok)

        else:
            method = what

            def wanted(call: Call) -> bool:
                return _matches(call, method, ok)

        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if wanted(c)]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
            if len(found) >= count:
                return found
            seen = ", ".join(f"{c.method}{'' if c.ok else f' ({c.error})'}" for c in self._calls)
        raise TimeoutError(
            f"waited {timeout:g}s for {count} call(s) of {what!r}, got {len(found)};"
            f" calls so far: {seen or 'none'}"
        )

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        """Messages posted so far, oldest first.

        With `thread_ts`, only the replies in that thread (not the parent message).
        """
        with self._lock:
            found = [
                m
                for m in self._messages.values()
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread_ts == thread_ts)
            ]
        return sorted(found, key=lambda m: _ts_key(m.ts))

    def message(self, channel: str, ts: str) -> Message:
        """The message at `ts` in `channel`; KeyError if there is none."""
        with self._lock:
            return self._messages[(channel, ts)]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages posted so far, oldest first."""
        with self._lock:
            return [
                e
                for e in self._ephemerals
                if (channel is None or e.channel == channel) and (user is None or e.user == user)
            ]

    def views(self) -> list[dict[str, Any]]:
        """Every view opened, pushed or published so far, as last updated (copies)."""
        with self._lock:
            return [copy.deepcopy(v) for v in self._views.values()]

    def home_view(self, user_id: str) -> dict[str, Any]:
        """The App Home view last published for `user_id` (a copy); KeyError if none."""
        with self._lock:
            return copy.deepcopy(self._views[self._homes[user_id]])

    def view(self, view_id: str) -> dict[str, Any]:
        """The view with `view_id`, as last updated (a copy); KeyError if there is none."""
        with self._lock:
            return copy.deepcopy(self._views[view_id])

    def replace_view(
        self, view_id: str, view: Mapping[str, Any], *, hash: str | None = None
    ) -> dict[str, Any]:
        """The app answered a submission of `view_id` with ``response_action: update``: as
        Slack does, `view` takes its place (the same id, a new hash, input kept as for
        ``views.update``), so a late ``views.update`` with the old hash gets
        ``hash_conflict``. With `hash` (the view's hash when it was submitted), a view the
        app has already updated since is left as it is. Returns the view as stored (a
        copy); KeyError if there is none, ValueError if `view` is not a modal."""
        with self._lock:
            if view_id not in self._views:
                raise KeyError(view_id)
            if hash is not None and self._views[view_id]["hash"] != hash:
                return copy.deepcopy(self._views[view_id])
            try:
                return self._store_view(dict(view), view_id=view_id)
            except _Unanswered as exc:
                raise ValueError(exc.error) from None

    # ------------------------------------------------------------------ answering

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Compute and record the answer to one call: (HTTP status, JSON body, headers)."""
        at = time.time()
        self._before_answer(method)

        headers: dict[str, str] = {}
        with self._lock:
            status, body = self._answer_locked(method, args, token, headers)
            call = Call(
                method=method,
                args=MappingProxyType(args),
                token=token,
                at=at,
                status=status,
                response=MappingProxyType(copy.deepcopy(body)),
            )
            self._calls.append(call)
            observers = list(self._observers)
            self._changed.notify_all()
        for observer in observers:
            try:
                observer(call)
            except Exception:
                logger.exception("a Slack stand-in observer failed on %s", method)
        return status, body, headers

    def _answer_locked(
        self, method: str, args: dict[str, Any], token: str | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        forced = self._forced_answer(method, args, headers)
        if forced is not None:
            return forced

        if method == RESPONSE_URL:
            return self._post_to_response_url(args)
        handler = _METHODS.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}
        if not token:
            return 200, {"ok": False, "error": "not_authed"}
        if self._token is not None and token != self._token:
            return 200, {"ok": False, "error": "invalid_auth"}
        if method in _CHANNEL_METHODS and self._not_in_channel(str(args.get("channel", ""))):
            return 200, {"ok": False, "error": "not_in_channel"}
        if method == "auth.test" and self.scopes is not None:
            headers["x-oauth-scopes"] = ",".join(self.scopes)
        try:
            return 200, {"ok": True, **handler(self, args)}
        except _Unanswered as refused:
            return 200, {"ok": False, "error": refused.error}

    # Hooks for a stand-in that misbehaves as Slack does (`tests/support/faulty_slack.py`);
    # this one always answers as Slack does when all is well. Called under `_lock`, except
    # `_before_answer`.

    def _before_answer(self, method: str) -> None:
        """Called before each call is answered, outside the lock (a delay goes here)."""

    def _forced_answer(
        self, method: str, args: Mapping[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]] | None:
        """An answer that replaces Slack's usual one (an outage, a 429, a failure), or None."""
        return None

    def _not_in_channel(self, channel: str) -> bool:
        """Whether the bot is not in `channel` (posts there are refused)."""
        return False

    def _post_to_response_url(self, args: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        path = urlsplit(str(args.get("response_url", ""))).path
        left = self._response_urls.get(path)
        if left is None:
            return 404, {"ok": False, "error": "no_service"}
        if left <= 0:
            return 404, {"ok": False, "error": "used_url"}
        self._response_urls[path] = left - 1
        return 200, {"ok": True}

    def _next_ts(self) -> str:
        micros = next(self._ts_counter)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel_of(self, channel: str) -> str:
        """A channel argument as Slack resolves it: a user id means the DM with that user."""
        if not channel:
            raise _Unanswered("channel_not_found")
        if channel[0] in {"U", "W"} and _SLACK_ID.match(channel):
            return self.dm_channel(channel)
        return channel

    def _take_trigger(self, args: Mapping[str, Any]) -> None:
        trigger = str(args.get("trigger_id") or "")
        if not trigger:
            raise _Unanswered("invalid_arguments")
        if trigger in self._spent_triggers:
            raise _Unanswered("expired_trigger_id")
        deadline = self._triggers.pop(trigger, None)
        if deadline is None:
            raise _Unanswered("invalid_trigger_id")
        self._spent_triggers.add(trigger)
        if time.monotonic() > deadline:
            raise _Unanswered("expired_trigger_id")

    def _store_view(
        self, view: Any, *, view_id: str | None = None, root_id: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in {"modal", "home"}:
            raise _Unanswered("invalid_arguments")
        view_id = view_id or f"V{self.run_token}{next(self._ids):06d}"
        previous = self._views.get(view_id, {})
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", previous.get("external_id", "")),
            "state": {"values": _kept_state(previous, view)},
            "hash": hashlib.sha256(f"{view_id}:{next(self._ids)}".encode()).hexdigest()[:20],
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root_id or previous.get("root_view_id", view_id),
            "previous_view_id": previous.get("previous_view_id"),
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return copy.deepcopy(stored)

    def type_into(self, view_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """The person types or picks in an open view: `values` is block id -> text, a
        (label, value) option, a list of options, or None (cleared), as for
        `bot.local.slack_requests.state_values`. The view keeps it across `views.update`
        (for input blocks whose block and action ids stay the same), as Slack does; the
        view's hash does not change (only an update changes it). Returns the view as Slack
        would send it with an action (a copy, state and hash included)."""
        from bot.local.slack_requests import input_elements, state_value

        with self._lock:
            stored = self._views.get(view_id)
            if stored is None:
                raise KeyError(view_id)
            elements = input_elements(stored)
            unknown = set(values) - set(elements)
            if unknown:
                raise KeyError(f"no input blocks {sorted(unknown)} in view {view_id}")
            state = stored["state"]["values"]
            for block_id, value in values.items():
                action_id, element_type = elements[block_id]
                state[block_id] = {action_id: state_value(element_type, value)}
            return copy.deepcopy(stored)

    # Method handlers: each takes the parsed arguments and returns the body beyond "ok".

    def _auth_test(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://standin.slack.com/",
            "team": self.team,
            "user": "record-course",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _views_open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        self._take_trigger(args)
        return {"view": self._store_view(args.get("view"))}

    def _views_push(self, args: Mapping[str, Any]) -> dict[str, Any]:
        self._take_trigger(args)
        return {"view": self._store_view(args.get("view"))}

    def _views_update(self, args: Mapping[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (k for k, v in self._views.items() if v["external_id"] == args["external_id"]),
                None,
            )
            if view_id is None:
                raise _Unanswered("not_found")
        if not view_id:
            raise _Unanswered("invalid_arguments")
        if view_id not in self._views:
            raise _Unanswered("not_found")
        expected = args.get("hash")
        if expected and expected != self._views[view_id]["hash"]:
            raise _Unanswered("hash_conflict")
        return {"view": self._store_view(args.get("view"), view_id=str(view_id))}

    def _views_publish(self, args: Mapping[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        view = args.get("view")
        if not user_id or not isinstance(view, dict) or view.get("type") != "home":
            raise _Unanswered("invalid_arguments")
        if user_id[0] not in {"U", "W"} or not _SLACK_ID.match(user_id):
            raise _Unanswered("not_found")
        view_id = self._homes.get(user_id)
        expected = args.get("hash")
        if expected and view_id is not None and expected != self._views[view_id]["hash"]:
            raise _Unanswered("hash_conflict")
        stored = self._store_view(view, view_id=view_id)
        self._homes[user_id] = stored["id"]
        return {"view": stored}

    def _chat_post_message(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel_of(str(args.get("channel", "")))
        text, blocks = _content(args)
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        if thread_ts is not None and (channel, thread_ts) not in self._messages:
            raise _Unanswered("thread_not_found")
        ts = self._next_ts()
        message = Message(channel, ts, text, blocks, thread_ts, self.bot_user_id)
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": _message_json(message, self.bot_id)}

    def _chat_update(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel_of(str(args.get("channel", "")))
        ts = str(args.get("ts", ""))
        old = self._messages.get((channel, ts))
        if old is None:
            raise _Unanswered("message_not_found")
        text, blocks = _content(args)
        new = Message(channel, ts, text, blocks, old.thread_ts, old.user, old.edits + 1)
        self._messages[(channel, ts)] = new
        return {"channel": channel, "ts": ts, "text": text, "message": _message_json(new, "")}

    def _chat_post_ephemeral(self, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._channel_of(str(args.get("channel", "")))
        user = str(args.get("user", ""))
        if not user:
            raise _Unanswered("user_not_in_channel")
        text, blocks = _content(args)
        ts = self._next_ts()
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        self._ephemerals.append(Ephemeral(channel, user, ts, text, blocks, thread_ts))
        return {"message_ts": ts}

    def _conversations_open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        users = [u.strip() for u in str(args.get("users", "")).split(",") if u.strip()]
        if len(users) != 1:
            # Group DMs are not needed by the bot; one user is the DM case.
            raise _Unanswered("users_list_not_supplied" if not users else "not_supported")
        channel = self.dm_channel(users[0])
        return {"channel": {"id": channel, "is_im": True, "user": users[0]}}

    def _usergroups_users_list(self, args: Mapping[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self._usergroups:
            raise _Unanswered("no_such_subteam")
        return {"users": list(self._usergroups[group])}

    def _apps_connections_open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        if self.socket_mode_url is None:
            raise _Unanswered("socket_mode_not_enabled")
        return {"url": self.socket_mode_url}

    def _users_info(self, args: Mapping[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        user = self._users.get(user_id)
        if user is None:
            if not _SLACK_ID.match(user_id) or user_id[0] not in {"U", "W"}:
                raise _Unanswered("user_not_found")
            user = _User(user_id, user_id.lower(), f"User {user_id}", "Europe/London")
        return {
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "real_name": user.real_name,
                "deleted": user.deleted,
                "is_bot": user.is_bot,
                "tz": user.tz,
                "profile": {"real_name": user.real_name, "display_name": user.name},
            }
        }


_Handler = Callable[[SlackStandIn, Mapping[str, Any]], dict[str, Any]]

_METHODS: dict[str, _Handler] = {
    "auth.test": SlackStandIn._auth_test,
    "views.open": SlackStandIn._views_open,
    "views.push": SlackStandIn._views_push,
    "views.update": SlackStandIn._views_update,
    "views.publish": SlackStandIn._views_publish,
    "chat.postMessage": SlackStandIn._chat_post_message,
    "chat.update": SlackStandIn._chat_update,
    "chat.postEphemeral": SlackStandIn._chat_post_ephemeral,
    "conversations.open": SlackStandIn._conversations_open,
    "usergroups.users.list": SlackStandIn._usergroups_users_list,
    "users.info": SlackStandIn._users_info,
    "apps.connections.open": SlackStandIn._apps_connections_open,
}


def _input_ids(view: Mapping[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for block in view.get("blocks", []) or []:
        if isinstance(block, Mapping) and block.get("type") == "input":
            element = block.get("element")
            if isinstance(element, Mapping):
                found.add((str(block.get("block_id", "")), str(element.get("action_id", ""))))
    return found


def _kept_state(previous: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any]:
    """What Slack keeps of the person's input across an update ("preserving input entry"):
    the values of input blocks whose block id and action id are both unchanged."""
    old = previous.get("state", {}).get("values", {}) if previous else {}
    keep = _input_ids(view)
    kept: dict[str, Any] = {}
    for block_id, actions in old.items():
        for action_id, value in actions.items():
            if (block_id, action_id) in keep:
                kept.setdefault(block_id, {})[action_id] = copy.deepcopy(value)
    return kept


def _matches(call: Call, method: str | None, ok: bool | None) -> bool:
    return (method is None or call.method == method) and (ok is None or call.ok == ok)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)


def _content(args: Mapping[str, Any]) -> tuple[str, tuple[Mapping[str, Any], ...]]:
    text = str(args.get("text") or "")
    blocks = args.get("blocks") or []
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise _Unanswered("invalid_blocks")
    if not text and not blocks and not args.get("attachments"):
        raise _Unanswered("no_text")
    return text, tuple(blocks)


def _message_json(message: Message, bot_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
    }
    if bot_id:
        body["bot_id"] = bot_id
    if message.blocks:
        body["blocks"] = [dict(b) for b in message.blocks]
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    return body


def _parse_args(path_query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Merge query-string and body arguments the way Slack reads them."""
    args: dict[str, Any] = dict(parse_qsl(urlsplit(path_query).query, keep_blank_values=True))
    if body:
        if content_type.lower().startswith("application/json"):
            parsed = json.loads(body.decode("utf-8"))
            if not isinstance(parsed, dict):
                raise ValueError("a JSON body must be an object")
            args.update(parsed)
        elif content_type.lower().startswith("multipart/form-data"):
            head = f"Content-Type: {content_type}\r\n\r\n".encode()
            parsed_mail = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
            for part in parsed_mail.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    args[name] = payload.decode("utf-8", "replace")
        else:
            args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_ARGS & args.keys():
        if isinstance(args[key], str) and args[key]:
            args[key] = json.loads(args[key])
    return args


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops bursts of concurrent calls


def _handler_for(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SlackStandIn/1"

        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            method = path.rstrip("/").rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                args = _parse_args(self.path, self.headers.get("Content-Type", ""), raw)
            except (ValueError, UnicodeDecodeError):
                self._send(200, {"ok": False, "error": "invalid_json"}, {})
                return
            if path.startswith("/hooks/"):
                args["response_url"] = f"http://{standin._host}:{standin.port}{path}"
                status, body, headers = standin._answer(RESPONSE_URL, args, None)
                self._send(status, body, headers)
                return
            auth = self.headers.get("Authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            body_token = args.pop("token", None)
            token = token or (str(body_token) if body_token else None)
            status, body, headers = standin._answer(method, args, token)
            self._send(status, body, headers)

        def _send(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str]) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(HTTPStatus(status))
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("slack stand-in: " + format, *args)

    return Handler
