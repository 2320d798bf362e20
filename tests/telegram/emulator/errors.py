"""Bot API error answers, worded exactly like the cloud server words them."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

MESSAGE_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
TEXT_EMPTY = "Bad Request: message text is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
INLINE_MESSAGE_INVALID = "Bad Request: MESSAGE_ID_INVALID"
# The docs: "When an inline message is edited, a new file can't be uploaded"; the wording is ours.
INLINE_UPLOAD = "Bad Request: a new file can't be uploaded to an inline message"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
FILE_TOO_BIG = "Bad Request: file is too big"
INVALID_FILE_ID = "Bad Request: invalid file_id"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
URL_FETCH_FAILED = "Bad Request: failed to get HTTP URL content"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
PRIVATE_ONLY = "Bad Request: method is available only for private chats"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
CONFLICT_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
ENTITY_TOO_LARGE = "Request Entity Too Large"
NOT_FOUND = "Not Found"
UNAUTHORIZED = "Unauthorized"


class ApiError(Exception):
    """An error answer: HTTP status == error_code, plus optional response parameters."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> ApiError:
    """A 400 error; `description` may omit the "Bad Request: " prefix."""
    if not description.startswith("Bad Request: "):
        description = f"Bad Request: {description}"
    return ApiError(400, description)


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 flood-control error carrying parameters.retry_after."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def default_description(code: int) -> str:
    """The description Telegram uses for a bare error code."""
    known = {
        400: "Bad Request",
        401: UNAUTHORIZED,
        403: "Forbidden: bot was blocked by the user",
        404: NOT_FOUND,
        409: CONFLICT_POLLER,
        413: ENTITY_TOO_LARGE,
        500: "Internal Server Error",
        502: "Bad Gateway",
    }
    if code in known:
        return known[code]
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return f"Error {code}"
