"""The sandbox's API, free of HTTP: signed parameters in, an `Answer` out.

It follows `shared/cms-api.md`: credentials and signature (401), per-`api_id` fixed-window
rate limits (429 with the documented body), `diocese_id` required in `data`, the four
endpoints the bot uses, pagination with `X-Total-Count` and signed `Link` URLs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bot.cms.signing import SIG, signed, verify
from bot.local.sandbox.state import SandboxState

TOO_MANY = "You have made too many requests."
_CONTACT_COURSES = re.compile(r"/v2/contacts/([^/]+)/courses")
_CONTACT = re.compile(r"/v2/contacts/([^/]+)")
#: The fields of one contact as `GET /v2/contacts/{id}` shows them.
CONTACT_FIELDS = ("id", "title", "forenames", "known_as_forenames", "surname", "parish", "post")
_CONTACT_COURSE = re.compile(r"/v2/contacts/([^/]+)/courses/([^/]+)")
_FILTER_TIME = "%Y-%m-%d %H:%M"


@dataclass
class Answer:
    """What to answer: `body` is sent as JSON, or as it is when it is `bytes`."""

    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, errors: Mapping[str, list[str]] | None = None) -> Answer:
    """An error answer in the sandbox's shape (cms-api.md, "Errors")."""
    inner: dict[str, Any] = {"message": message, "status_code": status}
    if errors:
        inner["errors"] = dict(errors)
    return Answer(status, {"error": inner})


def invalid(errors: Mapping[str, list[str]]) -> Answer:
    return error(400, "The given data was invalid.", errors)


class RateLimiter:
    """Fixed windows per `api_id`: a window opens with the first call after the last closed."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, api_id: str) -> tuple[bool, int, float]:
        """`(allowed, remaining, seconds until the window closes)` for one more call."""
        with self._lock:
            now = self._clock()
            start, count = self._windows.get(api_id, (now, 0))
            if now >= start + self.window:
                start, count = now, 0
            allowed = count < self.limit
            if allowed:
                count += 1
            self._windows[api_id] = (start, count)
            return allowed, max(self.limit - count, 0), start + self.window - now

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


@dataclass
class Credentials:
    secret_key: str
    diocese_id: int


class SandboxAPI:
    """Routes one call. `base_url` is needed only to write `Link` URLs."""

    def __init__(
        self,
        state: SandboxState,
        limiter: RateLimiter,
        credentials: dict[str, Credentials],
    ) -> None:
        self.state = state
        self.limiter = limiter
        self.credentials = credentials
        #: Spell the rate headers as the live service did before 2023 (`X-Rate-Limit-*`).
        self.legacy_rate_headers = False
        #: Send `Retry-After` with a 429 (the CMS documents none, so off by default).
        self.send_retry_after = False
        #: Answer `GET /v2/contacts/{id}` with a one-element array instead of an object.
        self.one_as_array = False

    def handle(self, method: str, path: str, params: Mapping[str, str], *, base_url: str) -> Answer:
        api_id = params.get("api_id", "")
        creds = self.credentials.get(api_id)
        if creds is None:
            return error(401, "Invalid credentials.")
        allowed, remaining, closes_in = self.limiter.hit(api_id)
        if not allowed:
            answer = error(429, TOO_MANY)
            if self.send_retry_after:
                answer.headers["Retry-After"] = str(max(math.ceil(closes_in), 1))
        elif not verify(params, creds.secret_key):
            answer = error(401, "Invalid signature.")
        else:
            answer = self._route(method, path, params, creds, api_id, base_url)
        prefix = "X-Rate-Limit-" if self.legacy_rate_headers else "X-RateLimit-"
        answer.headers[prefix + "Limit"] = str(self.limiter.limit)
        answer.headers[prefix + "Remaining"] = str(remaining)
        return answer

    def _route(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        creds: Credentials,
        api_id: str,
        base_url: str,
    ) -> Answer:
        path = path.rstrip("/") or "/"
        if (one := _CONTACT.fullmatch(path)) is not None:
            return self._contact(method, one.group(1), params, creds)
        if (one := _CONTACT_COURSE.fullmatch(path)) is not None:
            return self._correct(method, one.group(1), one.group(2), params, creds)
        match = _CONTACT_COURSES.fullmatch(path)
        if path not in ("/v2/courses", "/v2/contacts") and match is None:
            return error(404, "Not found.")
        allowed_method = "POST" if method == "POST" and match else "GET"
        if method != allowed_method:
            return error(405, "Method not allowed.")
        data = self._data(params, creds)
        if isinstance(data, Answer):
            return data
        if match is None:
            items = self._courses() if path == "/v2/courses" else self._contacts(data, params)
            if isinstance(items, Answer):
                return items
            return self._page(items, path, params, creds, api_id, base_url)
        contact = match.group(1)
        if (
            not contact.isascii()
            or not contact.isdigit()
            or int(contact) not in self.state.contacts
        ):
            return error(404, "Contact not found.")
        if method == "POST":
            record, errors = self.state.create_record(int(contact), params)
            return invalid(errors) if record is None else Answer(200, record)
        return self._contact_courses(int(contact), params)

    def _correct(
        self, method: str, contact: str, record: str, params: Mapping[str, str], creds: Credentials
    ) -> Answer:
        """`PUT /v2/contacts/{contact_id}/courses/{id}`: correct one related course record."""
        if method != "PUT":
            return error(405, "Method not allowed.")
        data = self._data(params, creds)
        if isinstance(data, Answer):
            return data
        ids = []
        for text in (contact, record):
            if not text.isascii() or not text.isdigit():
                return error(404, "Not found.")
            ids.append(int(text))
        if ids[0] not in self.state.contacts:
            return error(404, "Contact not found.")
        updated, errors = self.state.update_record(ids[0], ids[1], params)
        if errors:
            return invalid(errors)
        if updated is None:
            return error(404, "Course record not found.")
        return Answer(200, updated)

    def _data(self, params: Mapping[str, str], creds: Credentials) -> dict[str, Any] | Answer:
        text = params.get("data")
        if not text:
            return invalid({"data": ["The data field is required."]})
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return invalid({"data": ["The data must be a JSON object."]})
        diocese = data.get("diocese_id")
        if isinstance(diocese, str) and diocese.isascii() and diocese.isdigit():
            diocese = int(diocese)
        if diocese is None:
            return invalid({"diocese_id": ["The diocese id field is required."]})
        if not isinstance(diocese, int) or isinstance(diocese, bool):
            return invalid({"diocese_id": ["The diocese id must be an integer."]})
        if diocese != creds.diocese_id:
            return error(403, f"These credentials may not be used for diocese {diocese}.")
        return data

    def _contact(
        self, method: str, contact: str, params: Mapping[str, str], creds: Credentials
    ) -> Answer:
        """`GET /v2/contacts/{id}`: one contact, as a JSON object (or, with `one_as_array`,
        as a one-element array, as the live service may answer); 404 when unknown."""
        if method != "GET":
            return error(405, "Method not allowed.")
        data = self._data(params, creds)
        if isinstance(data, Answer):
            return data
        if not contact.isascii() or not contact.isdigit():
            return error(404, "Contact not found.")
        found = self.state.contacts.get(int(contact))
        if found is None:
            return error(404, "Contact not found.")
        body = {k: found.get(k) for k in CONTACT_FIELDS}
        return Answer(200, [body] if self.one_as_array else body)

    def _courses(self) -> list[dict[str, Any]]:
        return [dict(c) for c in sorted(self.state.courses.values(), key=lambda c: c["id"])]

    def _contacts(
        self, data: Mapping[str, Any], params: Mapping[str, str]
    ) -> list[dict[str, Any]] | Answer:
        keyword = data.get("keyword") or ""
        if not isinstance(keyword, str):
            return invalid({"keyword": ["The keyword must be a string."]})
        names_only = data.get("keyword_names_only") == "on"
        wanted: list[str] | None = None
        if params.get("fields"):
            try:
                fields = json.loads(params["fields"])
                wanted = [str(f) for f in fields["contact"]]
            except (ValueError, TypeError, KeyError):
                return invalid({"fields": ["The fields must be a JSON object of field lists."]})
            wanted = wanted if "id" in wanted else ["id", *wanted]
        words = keyword.casefold().split()
        out = []
        for contact in sorted(self.state.contacts.values(), key=lambda c: c["id"]):
            if not contact.get("post"):
                continue  # v2.4 returns only contacts holding at least one post
            keys: tuple[str, ...] = ("title", "forenames", "surname", "known_as_forenames")
            if not names_only:
                keys += ("parish", "post")
            haystack = " ".join(str(contact.get(k) or "") for k in keys).casefold()
            if all(word in haystack for word in words):
                out.append({k: v for k, v in contact.items() if wanted is None or k in wanted})
        return out

    def _contact_courses(self, contact_id: int, params: Mapping[str, str]) -> Answer:
        bounds: dict[str, dt.datetime | None] = {}
        for name in ("start_date", "end_date"):
            text = params.get(name)
            bounds[name] = None
            if not text:
                continue
            try:
                when = dt.datetime.strptime(text, _FILTER_TIME).replace(tzinfo=dt.UTC)
            except ValueError:
                return invalid({name: [f"The {name.replace('_', ' ')} must be YYYY-MM-DD HH:MM."]})
            # end_date names a minute: everything within that minute is included.
            bounds[name] = when + dt.timedelta(minutes=1) if name == "end_date" else when
        records = self.state.records_updated(contact_id, bounds["start_date"], bounds["end_date"])
        return Answer(200, records)

    def _page(
        self,
        items: list[dict[str, Any]],
        path: str,
        params: Mapping[str, str],
        creds: Credentials,
        api_id: str,
        base_url: str,
    ) -> Answer:
        errors: dict[str, list[str]] = {}
        limit = _int_param(params, "limit", 100, 1, 1000, errors)
        offset = _int_param(params, "offset", 0, 0, None, errors)
        if errors:
            return invalid(errors)
        answer = Answer(200, items[offset : offset + limit])
        answer.headers["X-Total-Count"] = str(len(items))
        links = []
        if offset + limit < len(items):
            links.append((offset + limit, "next"))
        if offset > 0:
            links.append((max(offset - limit, 0), "prev"))
        if links:
            answer.headers["Link"] = ", ".join(
                f'<{self._url(base_url, path, params, creds, limit, at)}>; rel="{rel}"'
                for at, rel in links
            )
        return answer

    @staticmethod
    def _url(
        base_url: str,
        path: str,
        params: Mapping[str, str],
        creds: Credentials,
        limit: int,
        offset: int,
    ) -> str:
        page = {k: v for k, v in params.items() if k != SIG}
        page.update(limit=str(limit), offset=str(offset))
        return f"{base_url}{path}?{urlencode(signed(page, creds.secret_key))}"


def _int_param(
    params: Mapping[str, str],
    name: str,
    default: int,
    low: int,
    high: int | None,
    errors: dict[str, list[str]],
) -> int:
    text = params.get(name, "")
    if not text:
        return default
    if not text.isascii() or not text.isdigit():
        errors[name] = [f"The {name} must be an integer."]
        return default
    value = int(text)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        errors[name] = [f"The {name} must be {bound}."]
        return default
    return value
