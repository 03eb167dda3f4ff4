"""The client of the diocesan CMS API v2.4 (see `shared/cms-api.md`).

One `CMSClient` wraps one injected `httpx.Client`. Every call is signed (`bot.cms.signing`),
paced against the CMS's rate limit and retried after a 429 (`bot.cms.pacing`), and every
failure becomes one of our own `CMSError`s with a message fit to show a person. Neither the
secret nor a signature ever reaches a message or a log line: httpx's exceptions carry the
request URL, signature included, so they are never turned into text here.

A write whose answer was lost (read timeout, connection dropped after sending, 5xx) is never
repeated blindly: the client first asks the CMS whether the record now exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal, NoReturn, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot.cms.models import Contact, Course, CourseRecord, CourseRecordChanges, NewCourseRecord
from bot.cms.pacing import Pacer, backoff, retry_after
from bot.cms.signing import signed
from bot.errors import (
    CMSAnswerLost,
    CMSAuthError,
    CMSError,
    CMSNotFound,
    CMSRateLimited,
    CMSUnavailable,
    CMSValidationError,
    ConfigError,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

# --- our choices, in one place (cms-api.md marks where the documentation is silent) ---------

#: Courses fetched per page of `GET /v2/courses` (the CMS allows up to 1000).
COURSES_PAGE_SIZE = 100
#: A runaway guard for pagination: no diocese has this many pages of courses.
MAX_PAGES = 1000
#: The fields asked of a contact search.
CONTACT_FIELDS = {
    "contact": ["id", "title", "forenames", "surname", "known_as_forenames", "parish", "post"]
}
#: How many times a write is sent at most when its answer is lost and the record is absent.
WRITE_ATTEMPTS = 2
#: `start_date` for reconciliation is this much before the lost write was sent, to cover
#: clock skew between us and the CMS. The filter's time zone is undocumented: we send UTC,
#: which is never later than UK local time, so the filter can only return more, not less.
RECONCILE_MARGIN = dt.timedelta(minutes=10)
#: Seconds to let the CMS finish a write whose answer was lost before asking about it.
RECONCILE_SETTLE = 1.0
#: Format of `start_date` / `end_date`.
FILTER_TIME_FORMAT = "%Y-%m-%d %H:%M"
#: Longest piece of a CMS answer kept on an error (for the submission log).
BODY_KEEP = 2000

_M = TypeVar("_M", bound=BaseModel)

#: httpx failures that mean the request never reached the CMS (safe to report, no check).
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_OUTLASTED = "the answer outlasted the deadline"


class _Cutter:
    """Cuts one HTTP exchange at its deadline: shuts down the socket it uses, so that a
    blocked read returns at once (closing a socket from another thread does not wake it).
    The socket is known from the connection's trace (a new connection) or from the
    response's `network_stream` (once the headers are in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stream: Any = None
        self.fired = False

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            self.use(info.get("return_value"))

    def use(self, stream: Any) -> None:
        with self._lock:
            self._stream = stream if stream is not None else self._stream
            if self.fired:
                self._shut()

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        sock = self._stream.get_extra_info("socket") if self._stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class _AnswerLost(Exception):
    """Internal: a write was (perhaps) received, but no usable answer came back."""

    def __init__(
        self,
        reason: str,
        *,
        status_code: int | None = None,
        body: object = None,
        timed_out: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.body = body
        #: No answer in time: the CMS may still be carrying the write out.
        self.timed_out = timed_out


def _no_contact(contact_id: int) -> str:
    return f"The CMS has no contact {contact_id} in this diocese."


def _json_or_text(response: httpx.Response) -> tuple[bool, object]:
    """`(True, parsed)` for a JSON body, else `(False, text cut short)`."""
    try:
        return True, response.json()
    except (ValueError, UnicodeDecodeError):
        return False, response.text[:BODY_KEEP]


#: The key of a 400's reasons that name no parameter (`errors` a list or a string).
GENERAL_ERRORS = ""
#: Keys under which an item of an `errors` list may name its parameter, and its message.
_FIELD_KEYS = ("field", "param", "parameter", "name", "attribute")
_MESSAGE_KEYS = ("message", "msg", "detail", "error", "reason")
#: How deep a 400's `errors` is read, and how many messages are kept (a hostile body).
_MAX_DEPTH = 6
_MAX_MESSAGES = 50


def _error_messages(value: object, depth: int = 0) -> list[str]:
    """Every message in `value`: a string, or lists and maps of them nested any way."""
    if value is None or isinstance(value, bool) or depth > _MAX_DEPTH:
        return []
    if isinstance(value, str):
        text = " ".join(value.split())
        return [text] if text else []
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [m for item in value for m in _error_messages(item, depth + 1)][:_MAX_MESSAGES]
    return [str(value)]


def _keyed_item(item: object) -> tuple[str, list[str]] | None:
    """An item of an `errors` list that names its parameter: `{"field": .., "message": ..}`."""
    if not isinstance(item, Mapping):
        return None
    field = next((item[k] for k in _FIELD_KEYS if isinstance(item.get(k), str)), None)
    if not field:
        return None
    messages = [m for k in _MESSAGE_KEYS for m in _error_messages(item.get(k))]
    return str(field), messages


def _validation_errors(body: object) -> dict[str, list[str]]:
    """The messages of a 400, at the top level or inside `error`: per parameter when the
    CMS names one, else under `GENERAL_ERRORS` (a list or a string of reasons)."""
    if not isinstance(body, Mapping):
        return {}
    errors = body.get("errors")
    error = body.get("error")
    if errors is None and isinstance(error, Mapping):
        errors = error.get("errors")
    found: dict[str, list[str]] = {}

    def add(name: str, messages: list[str]) -> None:
        if messages:
            found.setdefault(name, []).extend(messages)

    if isinstance(errors, Mapping):
        for name, messages in errors.items():
            add(str(name), _error_messages(messages))
    elif isinstance(errors, list):
        for item in errors:
            keyed = _keyed_item(item)
            if keyed is not None:
                add(*keyed)
            else:
                add(GENERAL_ERRORS, _error_messages(item))
    else:
        add(GENERAL_ERRORS, _error_messages(errors))
    return {name: messages[:_MAX_MESSAGES] for name, messages in found.items()}


def _cms_message(body: object) -> str | None:
    """The CMS's own message (`error.message` or `message`), short and single-line."""
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    message = error.get("message") if isinstance(error, Mapping) else body.get("message")
    if isinstance(error, str) and message is None:
        message = error
    if not isinstance(message, str) or not message.strip():
        return None
    return " ".join(message.split())[:200]


class CMSClient:
    """Typed, signed, paced calls to the CMS API for one diocese.

    `sleep` and `clock` (monotonic seconds) are injected so tests of pacing and back-off run
    instantly; `now` gives the wall-clock time used for `start_date` filters. `deadline` on a
    call is a `clock()` value; `max_wait` bounds how long one call waits out rate limits.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_id: str,
        secret_key: str,
        diocese_id: int,
        write_transport: Literal["query", "form"] = "query",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        pacing: bool = True,
        max_wait: float = 300.0,
        rate_window: float = 60.0,
        now: Callable[[], dt.datetime] = _utc_now,
        total_timeout: float | None = None,
    ) -> None:
        if write_transport not in ("query", "form"):
            raise ConfigError("CMS_WRITE_TRANSPORT must be 'query' or 'form'")
        self._http = http
        self._api_id = api_id
        self._secret_key = secret_key
        self._diocese_id = diocese_id
        self._data = json.dumps({"diocese_id": diocese_id}, separators=(",", ":"))
        self.write_transport = write_transport
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self.pacing = pacing
        self.max_wait = max_wait
        self.reconcile_settle = RECONCILE_SETTLE
        self._pacer = Pacer(window=rate_window, clock=clock)
        #: Seconds one HTTP exchange may take in all, headers and body (CMS_TIMEOUT): httpx's
        #: own timeouts bound each read, so an answer trickled a byte at a time would not
        #: end. Defaults to the injected client's read timeout.
        self.total_timeout = http.timeout.read if total_timeout is None else total_timeout

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> CMSClient:
        """A client with its own `httpx.Client`, built from the `CMS_*` settings."""
        missing = [
            name
            for name, value in (
                ("CMS_API_ID", settings.cms_api_id),
                ("CMS_SECRET_KEY", settings.cms_secret_key),
                ("CMS_DIOCESE_ID", settings.cms_diocese_id),
            )
            if not value
        ]
        if missing or settings.cms_secret_key is None or settings.cms_diocese_id is None:
            raise ConfigError(
                "The CMS is not configured: set " + ", ".join(missing) + " (see the README)."
            )
        http = httpx.Client(
            base_url=settings.cms_base_url,
            timeout=httpx.Timeout(settings.cms_timeout, connect=5.0),
            headers={"Accept": "application/json", "User-Agent": "record-course-bot"},
        )
        kwargs.setdefault("write_transport", settings.cms_write_transport)
        kwargs.setdefault("total_timeout", settings.cms_timeout)
        return cls(
            http,
            api_id=settings.cms_api_id or "",
            secret_key=settings.cms_secret_key.get_secret_value(),
            diocese_id=settings.cms_diocese_id,
            **kwargs,
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CMSClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def diocese_id(self) -> int:
        return self._diocese_id

    @property
    def rate_limit_remaining(self) -> int | None:
        """What the CMS last said was left of this window's budget (None until it says)."""
        return self._pacer.remaining

    @property
    def rate_limit(self) -> int | None:
        """The budget per window, as the CMS last reported it."""
        return self._pacer.limit

    # --- endpoints ---------------------------------------------------------------------------

    def create_course_record(
        self, contact_id: int, record: NewCourseRecord, *, deadline: float | None = None
    ) -> CourseRecord:
        """`POST /v2/contacts/{id}/courses`: record one course for one contact.

        When the answer is lost the CMS is asked whether the record exists before anything is
        sent again; `CMSAnswerLost` means that could not be established, or that the write
        timed out and the CMS may still be making it (so it is not sent again now).
        """
        path = f"/v2/contacts/{contact_id}/courses"
        not_found = _no_contact(contact_id)
        lost: _AnswerLost | None = None
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            sent_at = self._now()
            try:
                response = self._request(
                    "POST", path, record.params(), write=True, deadline=deadline
                )
                return self._parse(response, CourseRecord, not_found=not_found, write=True)
            except _AnswerLost as exc:
                lost = exc
            log.warning(
                "CMS POST %s: answer lost (%s), attempt %d; checking whether it was recorded",
                path,
                lost.reason,
                attempt,
            )
            if self.reconcile_settle > 0:
                self._sleep(self.reconcile_settle)
            try:
                found = self.find_course_record(
                    contact_id, record, since=sent_at, deadline=deadline
                )
            except CMSError as exc:
                log.warning("CMS POST %s: could not check (%s)", path, type(exc).__name__)
                raise CMSAnswerLost(
                    "The record was sent to the CMS but its answer never arrived, and the CMS "
                    "could not be asked whether it was recorded. Check the contact's training "
                    "in the CMS before sending it again.",
                    status_code=lost.status_code,
                    body=lost.body,
                ) from None
            if found is not None:
                log.info("CMS POST %s: the lost write had been recorded as %d", path, found.id)
                return found
            if lost.timed_out:
                # A slow CMS may make the record after we asked: sending again now could make
                # it twice. The caller tries later, asking the CMS first.
                log.info("CMS POST %s: the timed-out write is not recorded (yet)", path)
                raise CMSAnswerLost(
                    "The CMS did not answer in time and does not hold the record yet; it may "
                    "still be making it, so the CMS is asked again before anything is resent.",
                    status_code=lost.status_code,
                    body=lost.body,
                )
            log.info("CMS POST %s: the lost write was not recorded", path)
        assert lost is not None
        raise CMSUnavailable(
            f"The CMS did not answer ({lost.reason}) after {WRITE_ATTEMPTS} attempts; "
            "it holds no such record, so nothing was recorded. Try again later.",
            status_code=lost.status_code,
            body=lost.body,
        )

    def update_course_record(
        self,
        contact_id: int,
        record_id: int,
        changes: CourseRecordChanges,
        *,
        deadline: float | None = None,
    ) -> CourseRecord:
        """`PUT /v2/contacts/{contact_id}/courses/{id}`: correct one record; only the
        parameters in `changes` change (none is cleared).

        Unlike a POST, a PUT is repeatable: sent twice with the same values it leaves the same
        record. Still, when its answer is lost the CMS is asked first (`GET` of the contact's
        records): if the record holds the values, that is the answer; if not, sending the same
        values once more is safe. `CMSAnswerLost` when that could not be established.
        """
        path = f"/v2/contacts/{contact_id}/courses/{record_id}"
        not_found = f"The CMS has no record {record_id} for contact {contact_id}."
        lost: _AnswerLost | None = None
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                response = self._request(
                    "PUT", path, changes.params(), write=True, deadline=deadline
                )
                return self._parse(response, CourseRecord, not_found=not_found, write=True)
            except _AnswerLost as exc:
                lost = exc
            log.warning(
                "CMS PUT %s: answer lost (%s), attempt %d; checking the record",
                path,
                lost.reason,
                attempt,
            )
            if self.reconcile_settle > 0:
                self._sleep(self.reconcile_settle)
            try:
                records = self.list_course_records(contact_id, deadline=deadline)
            except CMSError as exc:
                log.warning("CMS PUT %s: could not check (%s)", path, type(exc).__name__)
                break
            found = next((r for r in records if r.id == record_id), None)
            if found is None:
                raise CMSNotFound(not_found, status_code=404)
            if changes.held_by(found):
                log.info("CMS PUT %s: the lost correction had been made", path)
                return found
            # Not (yet) applied: the same values are sent again, which a PUT allows.
        assert lost is not None
        raise CMSAnswerLost(
            "The correction was sent to the CMS but its answer never arrived, and the CMS "
            "does not show it yet. It is checked again before it is resent.",
            status_code=lost.status_code,
            body=lost.body,
        )

    def find_course_record(
        self,
        contact_id: int,
        record: NewCourseRecord,
        *,
        since: dt.datetime | None = None,
        deadline: float | None = None,
    ) -> CourseRecord | None:
        """The contact's record that matches `record` exactly (the newest if several)."""
        if since is not None:
            if since.tzinfo is None:
                raise ValueError("since must be an aware datetime")
            since = since - RECONCILE_MARGIN
        records = self.list_course_records(contact_id, since=since, deadline=deadline)
        matches = [r for r in records if record.matches(r)]
        return max(matches, key=lambda r: r.id) if matches else None

    def list_course_records(
        self,
        contact_id: int,
        *,
        since: dt.datetime | None = None,
        deadline: float | None = None,
    ) -> list[CourseRecord]:
        """`GET /v2/contacts/{id}/courses`: the contact's course records (updated since)."""
        params: dict[str, str] = {}
        if since is not None:
            params["start_date"] = since.astimezone(dt.UTC).strftime(FILTER_TIME_FORMAT)
        response = self._request(
            "GET", f"/v2/contacts/{contact_id}/courses", params, deadline=deadline
        )
        return self._parse_list(response, CourseRecord, not_found=_no_contact(contact_id))

    def get_contact(self, contact_id: int, *, deadline: float | None = None) -> Contact:
        """`GET /v2/contacts/{id}`: one contact; `CMSNotFound` when the CMS has none.

        The body is one contact as a JSON object or as a one-element array (both are seen);
        `limit=100` and `offset=0` are signed with it, as the only public client does.
        """
        response = self._request(
            "GET", f"/v2/contacts/{contact_id}", {"limit": "100", "offset": "0"}, deadline=deadline
        )
        body = self._check(response, not_found=_no_contact(contact_id), write=False)
        if isinstance(body, list) and len(body) == 1:
            body = body[0]
        if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
            body = body["data"]  # (our choice) tolerate an enveloped object too
        try:
            contact = Contact.model_validate(body)
        except ValidationError:
            self._unexpected(response, body)
        if contact.id != contact_id:
            self._unexpected(response, body)
        return contact

    def spare_budget(self, *, keep: int) -> bool:
        """Whether a call that is only for display may be made now without delaying writes:
        the pacer would send it at once and more than `keep` calls of this window are left
        (True before the CMS has said anything about the budget)."""
        if self._pacer.delay() > 0:
            return False
        remaining = self._pacer.remaining
        return remaining is None or remaining > keep

    def list_courses(self, *, deadline: float | None = None) -> list[Course]:
        """`GET /v2/courses`, every page (stops on an empty or short page)."""
        courses: list[Course] = []
        offset = 0
        for _page in range(MAX_PAGES):
            params = {"limit": str(COURSES_PAGE_SIZE), "offset": str(offset)}
            response = self._request("GET", "/v2/courses", params, deadline=deadline)
            page = self._parse_list(response, Course)
            courses.extend(page)
            if len(page) < COURSES_PAGE_SIZE:
                break
            offset += len(page)
        return courses

    def search_contacts(
        self,
        keyword: str,
        *,
        limit: int = 20,
        names_only: bool = True,
        deadline: float | None = None,
    ) -> list[Contact]:
        """`GET /v2/contacts`: contacts matching `keyword` (v2.4: only those holding a post)."""
        search: dict[str, object] = {"diocese_id": self._diocese_id, "keyword": keyword}
        if names_only:
            search["keyword_names_only"] = "on"
        params = {
            "limit": str(limit),
            "offset": "0",
            "fields": json.dumps(CONTACT_FIELDS, separators=(",", ":")),
        }
        response = self._request(
            "GET",
            "/v2/contacts",
            params,
            data=json.dumps(search, separators=(",", ":")),
            deadline=deadline,
        )
        return self._parse_list(response, Contact)[:limit]

    # --- the machinery -----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        data: str | None = None,
        write: bool = False,
        deadline: float | None = None,
    ) -> httpx.Response:
        """Send one signed call, waiting out rate limits; map transport failures.

        Returns any response but a 429. For a write, a failure after the request may have
        reached the CMS raises `_AnswerLost` instead of `CMSUnavailable`.
        """
        query = signed(
            {"api_id": self._api_id, "data": data or self._data, **params}, self._secret_key
        )
        stop_at = self._clock() + self.max_wait
        if deadline is not None:
            stop_at = min(stop_at, deadline)
        in_form = write and self.write_transport == "form"
        retries = 0
        while True:
            booked = self.pacing and retries == 0
            if booked:
                pause = min(self._pacer.reserve(), max(stop_at - self._clock(), 0.0))
                if pause > 0:
                    log.info("CMS %s %s: pacing, waiting %.1f s", method, path, pause)
                    self._sleep(pause)
            sent_at = self._clock()
            self._pacer.sent(sent_at)
            try:
                try:
                    if in_form:
                        response = self._exchange(method, path, data=query)
                    else:
                        response = self._exchange(method, path, params=query)
                except httpx.HTTPError as exc:
                    self._transport_failed(method, path, exc, write=write, sent_at=sent_at)
                received_at = self._clock()
                self._pacer.observe(response.headers, sent_at=sent_at, received_at=received_at)
            finally:
                if booked:
                    self._pacer.release()
            status = response.status_code
            elapsed_ms = (received_at - sent_at) * 1000
            log.info("CMS %s %s -> %d in %.0f ms", method, path, status, elapsed_ms)
            if status != 429:
                return response
            self._pacer.exhausted()
            retries += 1
            told = retry_after(response.headers)
            wait = backoff(retries) if told is None else told
            if self._clock() + wait > stop_at:
                log.warning("CMS %s %s: still rate limited, giving up", method, path)
                raise CMSRateLimited(
                    "The CMS is limiting how often we may call it and the wait ran out. "
                    "Nothing was recorded; try again in a minute.",
                    status_code=429,
                    body=_json_or_text(response)[1],
                )
            log.info("CMS %s %s: rate limited, retrying in %.1f s", method, path, wait)
            self._sleep(wait)

    def _exchange(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request and its whole answer, within `total_timeout` seconds in all: the
        body is streamed and checked against a monotonic deadline chunk by chunk, and a
        watchdog shuts the socket down at the deadline, so a read that blocks is cut too.
        Past the deadline raises `httpx.ReadTimeout` (a write's answer is then lost, and
        reconciled as after any timeout)."""
        budget = self.total_timeout
        if budget is None:
            return self._http.request(method, path, **kwargs)
        deadline = time.monotonic() + budget
        cutter = _Cutter()
        request = self._http.build_request(
            method, path, extensions={"trace": cutter.trace}, **kwargs
        )
        watchdog = threading.Timer(budget, cutter.fire)
        watchdog.daemon = True
        watchdog.start()
        try:
            response = self._http.send(request, stream=True)
            try:
                if response.is_stream_consumed:  # a transport that answers from memory
                    return response
                cutter.use(response.extensions.get("network_stream"))
                raw: list[bytes] = []
                for chunk in response.iter_raw():
                    raw.append(chunk)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout(_OUTLASTED, request=request)
            finally:
                response.close()
        except httpx.TransportError:
            if cutter.fired or time.monotonic() > deadline:
                raise httpx.ReadTimeout(_OUTLASTED, request=request) from None
            raise
        finally:
            watchdog.cancel()
        return httpx.Response(
            response.status_code, headers=response.headers, content=b"".join(raw), request=request
        )

    def _transport_failed(
        self, method: str, path: str, exc: httpx.HTTPError, *, write: bool, sent_at: float
    ) -> NoReturn:
        """Map an httpx exception without ever turning it into text (its URL holds `sig`)."""
        kind = type(exc).__name__
        elapsed_ms = (self._clock() - sent_at) * 1000
        log.warning("CMS %s %s -> %s after %.0f ms", method, path, kind, elapsed_ms)
        not_sent = isinstance(exc, _NOT_SENT)
        if write and not not_sent:
            timed_out = isinstance(exc, httpx.TimeoutException)
            raise _AnswerLost("timed out" if timed_out else "connection lost", timed_out=timed_out)
        if isinstance(exc, httpx.TimeoutException):
            message = "The CMS did not answer in time. Try again in a minute."
        elif not_sent:
            message = "The CMS could not be reached. Try again in a minute."
        else:
            message = "The connection to the CMS failed. Try again in a minute."
        raise CMSUnavailable(message) from None

    def _check(self, response: httpx.Response, *, not_found: str | None, write: bool) -> object:
        """The parsed JSON of a 2xx answer; every other answer raised as our error."""
        status = response.status_code
        is_json, body = _json_or_text(response)
        if 200 <= status < 300:
            if is_json:
                return body
            if write:
                raise _AnswerLost("unreadable answer", status_code=status, body=body)
            raise CMSUnavailable(
                "The CMS sent an answer that could not be read. Try again later.",
                status_code=status,
                body=body,
            )
        if status >= 500:
            if write:
                raise _AnswerLost(f"HTTP {status}", status_code=status, body=body)
            raise CMSUnavailable(
                f"The CMS is having trouble (HTTP {status}). Try again later.",
                status_code=status,
                body=body,
            )
        cms_says = _cms_message(body)
        if status == 400:
            errors = _validation_errors(body)
            message = (
                None
                if errors
                else (f"The CMS refused the request: {cms_says or 'no reason given'}")
            )
            raise CMSValidationError(errors, message, body=body)
        if status == 404:
            raise CMSNotFound(
                not_found or "The CMS found nothing there.", status_code=404, body=body
            )
        if status in (401, 403):
            raise CMSAuthError(
                f"The CMS did not accept our credentials (HTTP {status}"
                + (f": {cms_says}" if cms_says else "")
                + "). Check CMS_API_ID, CMS_SECRET_KEY and CMS_DIOCESE_ID, and that this "
                "server's address is registered with the CMS.",
                status_code=status,
                body=body,
            )
        if status == 410:
            raise CMSError(
                "The CMS says this part of its API is gone (HTTP 410); the bot needs updating.",
                status_code=status,
                body=body,
            )
        raise CMSError(
            f"The CMS refused the request (HTTP {status}"
            + (f": {cms_says}" if cms_says else "")
            + ").",
            status_code=status,
            body=body,
        )

    def _parse(
        self,
        response: httpx.Response,
        model: type[_M],
        *,
        not_found: str | None = None,
        write: bool = False,
    ) -> _M:
        body = self._check(response, not_found=not_found, write=write)
        try:
            return model.model_validate(body)
        except ValidationError:
            if write:
                raise _AnswerLost(
                    "unexpected answer", status_code=response.status_code, body=body
                ) from None
            self._unexpected(response, body)

    def _parse_list(
        self, response: httpx.Response, model: type[_M], *, not_found: str | None = None
    ) -> list[_M]:
        body = self._check(response, not_found=not_found, write=False)
        if not isinstance(body, list):
            self._unexpected(response, body)
        try:
            return [model.model_validate(item) for item in body]
        except ValidationError:
            self._unexpected(response, body)

    def _unexpected(self, response: httpx.Response, body: object) -> NoReturn:
        log.warning(
            "CMS %s %s: answer not of the expected shape",
            response.request.method,
            response.request.url.path,
        )
        raise CMSUnavailable(
            "The CMS sent an answer the bot does not understand. Try again later.",
            status_code=response.status_code,
            body=body,
        )
