"""Bot API errors with Telegram's status codes and descriptions."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status code plus Telegram's description."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        raw_body: str | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        # Not Telegram's JSON at all: what a proxy in between answers (a 502 page).
        self.raw_body = raw_body

    def to_json(self) -> JsonDict:
        """The response body Telegram would send."""
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class WorldError(ValueError):
    """A test-side request that makes no sense in the world (unknown message, bad button)."""


def bad_request(detail: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def default_error(code: int, retry_after: int | None) -> str:
    """Telegram-like description for an injected failure of this status code."""
    defaults = {
        400: "Bad Request: injected failure",
        401: "Unauthorized",
        403: "Forbidden: injected failure",
        404: "Not Found",
        409: "Conflict: injected failure",
        429: f"Too Many Requests: retry after {retry_after or 1}",
    }
    return defaults.get(code, "Internal Server Error")
