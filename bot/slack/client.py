"""Slack's Web API client, with every failure mapped to our error tree in one place.

`slack_sdk` fails in several ways: `SlackApiError` for an answer with `ok: false` (and for
HTTP 429 once its retry handler gives up), `SlackClientError` for its own troubles, and
urllib's `URLError`, `TimeoutError` or `http.client` exceptions let through as they are when
Slack cannot be reached. `SlackClient.api_call` turns each into `bot.errors.SlackFailure`, so
the rest of the bot catches one type.
"""

from __future__ import annotations

import http.client
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from bot.errors import SlackFailure
from bot.settings import Settings

#: Seconds a Web API call may take before it counts as failed.
TIMEOUT = 10


class SlackClient(WebClient):
    """A `WebClient` whose calls raise `SlackFailure` and nothing else."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            status = exc.response.status_code if exc.response is not None else None
            raise SlackFailure(api_method, str(error or "refused"), status=status) from None
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            raise SlackFailure(api_method, "unreachable") from exc
        assert isinstance(response, SlackResponse)  # a sync client never returns a Future
        return response


def make_web_client(settings: Settings) -> SlackClient:
    """The client for `SLACK_API_URL`, with Slack's 429s retried per Retry-After."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return SlackClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)],
    )
