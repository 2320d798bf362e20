"""What the core reports about its work, for metrics; the core knows no metrics library."""

from __future__ import annotations

from typing import Protocol

__all__ = ["NoObserver", "Observer"]


class Observer(Protocol):
    """Receives the core's events (the app layer turns them into Prometheus metrics)."""

    def turn_finished(self, seconds: float, outcome: str) -> None:
        """An agent turn ended ("answered", "dropped", "failed") after `seconds`."""
        ...

    def first_feedback(self, seconds: float) -> None:
        """The user saw the first sign of an answer `seconds` after their message was accepted."""
        ...

    def render_finished(self, status: str) -> None:
        """A render ended: delivered, failed, lost or unconfirmed."""
        ...

    def backend_error(self, code: str) -> None:
        """A NemoVideo call failed: the API's error code, or the HTTP status, or the kind."""
        ...

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        """A chat platform told the bot to wait `seconds` before sending again."""
        ...


class NoObserver:
    """Ignores everything (the default, and in tests)."""

    def turn_finished(self, seconds: float, outcome: str) -> None:
        return None

    def first_feedback(self, seconds: float) -> None:
        return None

    def render_finished(self, status: str) -> None:
        return None

    def backend_error(self, code: str) -> None:
        return None

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        return None
