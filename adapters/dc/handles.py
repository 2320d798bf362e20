"""The interaction handle stored with a message: how to answer through the interaction."""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["INTERACTION_SECONDS", "Handle", "expires_at"]

# Discord's interaction tokens live 15 minutes; stop using one a minute before.
INTERACTION_SECONDS = 15 * 60 - 60


@dataclass(frozen=True, slots=True)
class Handle:
    """An interaction's application id, token and upload limit (`kind` "s" slash, "c" button)."""

    kind: str
    application_id: int
    token: str
    upload_limit: int

    def encode(self) -> str:
        """The opaque string kept in `ChatRef.interaction`."""
        return f"{self.kind}:{self.application_id}:{self.upload_limit}:{self.token}"

    @classmethod
    def decode(cls, raw: str | None) -> Handle | None:
        """Inverse of `encode`; None for anything else."""
        if not raw:
            return None
        kind, app, limit, token = [*raw.split(":", 3), "", "", ""][:4]
        if kind not in ("s", "c") or not app.isdigit() or not limit.isdigit() or not token:
            return None
        return cls(kind, int(app), token, int(limit))


def expires_at() -> float:
    """When a handle made now stops being used (epoch seconds)."""
    return time.time() + INTERACTION_SECONDS
