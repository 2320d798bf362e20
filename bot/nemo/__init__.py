"""The NemoVideo agent API client: knows nothing about chats."""

from bot.nemo.caller import Auth, ClientConfig, make_http_client
from bot.nemo.client import NemoClient, RenderIds, Stream
from bot.nemo.errors import NemoError
from bot.nemo.events import Event, KeepAlive, StreamError, Text, TextDelta, ToolCall, ToolResult
from bot.nemo.models import (
    AnonymousToken,
    Credits,
    GeneratedMedia,
    NemoSession,
    RenderStatus,
    SessionState,
    UploadResult,
)

__all__ = [
    "AnonymousToken",
    "Auth",
    "ClientConfig",
    "Credits",
    "Event",
    "GeneratedMedia",
    "KeepAlive",
    "NemoClient",
    "NemoError",
    "NemoSession",
    "RenderIds",
    "RenderStatus",
    "SessionState",
    "Stream",
    "StreamError",
    "Text",
    "TextDelta",
    "ToolCall",
    "ToolResult",
    "UploadResult",
    "make_http_client",
]
