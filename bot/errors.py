"""One error tree for the whole bot.

Every exception the bot raises on purpose is a `BotError`. Third-party exceptions (httpx,
dateparser, sqlite3, pydantic) are wrapped where they enter our code. Messages are written
to be shown to a person as they are, and never contain a secret or a signature::

    BotError
    ├── UserInputError            the person must fix what they typed
    │   ├── DateError             a date that cannot be read for certain
    │   └── SubmissionInvalid     several fields wrong at once (.errors: field -> message)
    ├── CMSError                  the CMS refused or could not be reached
    │   ├── CMSValidationError    400: .errors: parameter -> [messages]
    │   ├── CMSNotFound           404: the contact (or path) does not exist
    │   ├── CMSAuthError          401/403: credentials or registered address wrong
    │   ├── CMSRateLimited        429 that outlasted the caller's deadline
    │   └── CMSUnavailable        5xx, timeouts, connection errors, a body that is not JSON
    │       └── CMSAnswerLost     a write was sent, its answer never came, and whether it
    │                             took effect could not be established
    ├── StoreError                the submission log could not be opened (corrupt, not SQLite,
    │                             another application's, read-only, in use by another bot),
    │                             read, or written (locked past its busy timeout, disk full)
    ├── SlackFailure              a Slack Web API call failed: refused (.error), rate limited
    │                             past its retries, timed out, or Slack could not be reached
    └── ConfigError               a setting is missing or malformed
"""

from __future__ import annotations

from collections.abc import Mapping


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UserInputError(BotError):
    """Something a person typed must be corrected; the message says what and how."""


class DateError(UserInputError):
    """A date that could not be read for certain (see `bot.dates`)."""


class SubmissionInvalid(UserInputError):
    """A submission with one or more fields wrong, keyed by CMS parameter name."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


class CMSError(BotError):
    """The CMS refused the call or could not be reached."""

    status_code: int | None = None

    def __init__(
        self, message: str, *, status_code: int | None = None, body: object = None
    ) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        #: The CMS's answer as parsed JSON (or text, truncated), for the submission log.
        self.body = body


class CMSValidationError(CMSError):
    """400: the CMS refused parameters; `errors` maps each parameter to its messages."""

    status_code = 400

    def __init__(
        self,
        errors: Mapping[str, list[str]],
        message: str | None = None,
        *,
        body: object = None,
    ) -> None:
        self.errors = {k: list(v) for k, v in errors.items()}
        summary = "; ".join(
            f"{k}: {' '.join(v)}" if k else " ".join(v) for k, v in self.errors.items()
        )
        super().__init__(
            message or f"The CMS refused the record: {summary or 'no reason given'}",
            status_code=400,
            body=body,
        )


class CMSNotFound(CMSError):
    """404: the contact (or whatever the path names) does not exist in this diocese."""

    status_code = 404


class CMSAuthError(CMSError):
    """401/403: the CMS did not accept our credentials or our address."""


class CMSRateLimited(CMSError):
    """429 for longer than the caller was prepared to wait."""

    status_code = 429


class CMSUnavailable(CMSError):
    """The CMS could not be reached or answered with something unusable."""


class CMSAnswerLost(CMSUnavailable):
    """A write was sent but its answer never arrived, and reconciliation could not decide."""


class ConfigError(BotError):
    """A setting is missing or malformed; the message names the setting."""


class StoreError(BotError):
    """The submission log could not be opened, read or written (raised by `bot.store`)."""


class SlackFailure(BotError):
    """A Slack Web API call failed. Raised only by `bot.slack.client.SlackClient`, which maps
    every way a call can fail (an `ok: false` answer, HTTP 429 past its retries, a timeout, a
    refused or reset connection, urllib's `URLError`) to this one type.

    `error` is Slack's error code (`not_in_channel`, `hash_conflict`, ...), or `unreachable`
    when no answer came at all.
    """

    def __init__(self, method: str, error: str, *, status: int | None = None) -> None:
        self.method = method
        self.error = error
        self.status = status
        super().__init__(f"{method}: {error}")

    @property
    def unreachable(self) -> bool:
        return self.error == "unreachable"
