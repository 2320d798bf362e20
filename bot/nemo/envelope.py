"""Reading a response: status, JSON envelope, and the error it stands for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bot.nemo.errors import NemoError, NemoProtocolError, error_for

__all__ = ["stream_refusal", "unwrap"]


def parse_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def unwrap(
    response: httpx.Response, endpoint: str, *, render: bool, refusal_is_answer: bool = False
) -> Mapping[str, Any]:
    """Check status and envelope; return `data` (render endpoints: the whole body).

    With `refusal_is_answer`, a 2xx `{"success": false, …}` without an error code is returned
    rather than raised: a render poll's way of saying the render itself failed.
    """
    body = parse_body(response)
    mapping = body if isinstance(body, Mapping) else None
    status = response.status_code
    if status >= 400:
        raise error_for(status, mapping, endpoint)
    if mapping is None:
        raise NemoProtocolError(
            "the response is not a JSON object", status=status, endpoint=endpoint
        )
    code = mapping.get("code")
    coded = code not in (None, 0, "0")
    if refusal_is_answer and render and not coded:
        return mapping
    if coded or mapping.get("success") is False:
        raise error_for(status, mapping, endpoint)
    if render:
        return mapping
    data = mapping.get("data")
    if not isinstance(data, Mapping):
        raise NemoProtocolError(
            "the response has no 'data' object", status=status, endpoint=endpoint
        )
    return data


def stream_refusal(response: httpx.Response, endpoint: str) -> NemoError:
    body = parse_body(response)
    mapping = body if isinstance(body, Mapping) else None
    status = response.status_code
    if status >= 400 or (mapping and mapping.get("code") not in (None, 0)):
        return error_for(status, mapping, endpoint)
    kind = response.headers.get("content-type", "?")
    return NemoProtocolError(
        f"expected an event stream, got {kind}", status=status, endpoint=endpoint
    )
