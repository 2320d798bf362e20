"""Every NemoVideo endpoint the bot calls, quoted once."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["Route"]


@dataclass(frozen=True, slots=True)
class Route:
    """An HTTP method and a path template; `path()` fills in quoted parameters."""

    method: str
    template: str

    def path(self, **params: str) -> str:
        """The concrete path with each parameter URL-quoted."""
        return self.template.format(**{k: quote(v, safe="") for k, v in params.items()})

    @property
    def name(self) -> str:
        """A short label for logs and errors."""
        return f"{self.method} {self.template}"


ANONYMOUS_TOKEN = Route("POST", "/api/auth/anonymous-token")
CREATE_SESSION = Route("POST", "/api/tasks/me/with-session/nemo_agent")
RUN_SSE = Route("POST", "/run_sse")
UPLOAD = Route("POST", "/api/upload-video/nemo_agent/me/{session_id}")
CREDITS = Route("GET", "/api/credits/balance/simple")
STATE = Route("GET", "/api/state/nemo_agent/me/{session_id}/latest")
RENDER_SUBMIT = Route("POST", "/api/render/proxy/lambda")
RENDER_STATUS = Route("GET", "/api/render/proxy/lambda/{render_id}")
RENDER_CANCEL = Route("POST", "/api/render/proxy/lambda/{render_id}/cancel")
RENDER_DOWNLOAD = Route("GET", "/api/render/proxy/{render_id}/download")
CLAIM_TOKEN = Route("POST", "/api/auth/claim-token")
