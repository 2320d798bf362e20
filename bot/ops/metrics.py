"""Prometheus metrics: the core's events (as its `Observer`) and the store's counts."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from storage import StoreStats

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes

# Agent turns take seconds to minutes; first feedback should come within a second or two.
_TURN_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900)
_FEEDBACK_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


class Metrics:
    """One registry per bot process (never the global one: tests run several bots)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._declare_events(self.registry)
        self._declare_gauges(self.registry)

    def _declare_events(self, r: CollectorRegistry) -> None:
        """What the core reports as it happens (see the Observer methods below)."""
        self.turns = Counter("nemobot_turns", "Agent turns by outcome.", ["outcome"], registry=r)
        self.turn_seconds = Histogram(
            "nemobot_turn_seconds", "Agent turn duration.", buckets=_TURN_BUCKETS, registry=r
        )
        self.first_feedback_seconds = Histogram(
            "nemobot_first_feedback_seconds",
            "From a message being accepted to the first sign of its answer.",
            buckets=_FEEDBACK_BUCKETS,
            registry=r,
        )
        self.renders = Counter(
            "nemobot_renders", "Renders that ended, by status.", ["status"], registry=r
        )
        self.backend_errors = Counter(
            "nemobot_backend_errors",
            "Failed NemoVideo calls by error code (or HTTP status).",
            ["code"],
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "nemobot_platform_rate_limit_waits",
            "Times a chat platform told the bot to slow down.",
            ["platform"],
            registry=r,
        )
        self.rate_limit_seconds = Counter(
            "nemobot_platform_rate_limit_wait_seconds",
            "Seconds chat platforms told the bot to wait.",
            ["platform"],
            registry=r,
        )

    def _declare_gauges(self, r: CollectorRegistry) -> None:
        """What is read from the store and the adapters at scrape time (see `take`)."""
        self.queue_depth = Gauge(
            "nemobot_queue_depth", "Inbox messages waiting to be answered.", registry=r
        )
        self.answering = Gauge(
            "nemobot_answering", "Inbox messages being answered now.", registry=r
        )
        self.inbox_size = Gauge(
            "nemobot_inbox_rows", "Rows in the inbox, answered ones included.", registry=r
        )
        self.users = Gauge("nemobot_users", "Users the bot knows.", registry=r)
        self.connected = Gauge(
            "nemobot_platform_connected",
            "1 while a configured platform is connected and receiving.",
            ["platform"],
            registry=r,
        )
        self.database_up = Gauge(
            "nemobot_database_up", "1 when the database answered the last scrape.", registry=r
        )

    # -- the core's Observer ------------------------------------------------------------

    def turn_finished(self, seconds: float, outcome: str) -> None:
        """Count a turn and its duration."""
        self.turns.labels(outcome).inc()
        self.turn_seconds.observe(seconds)

    def first_feedback(self, seconds: float) -> None:
        """Record how long the user waited for the first sign of an answer."""
        self.first_feedback_seconds.observe(seconds)

    def render_finished(self, status: str) -> None:
        """Count an ended render."""
        self.renders.labels(status).inc()

    def backend_error(self, code: str) -> None:
        """Count a failed NemoVideo call."""
        self.backend_errors.labels(code).inc()

    def rate_limit_wait(self, platform: str, seconds: float) -> None:
        """Count a platform's request to slow down."""
        self.rate_limit_waits.labels(platform).inc()
        self.rate_limit_seconds.labels(platform).inc(seconds)

    # -- at scrape time -----------------------------------------------------------------

    def take(self, counts: StoreStats | None, platforms: Iterable[tuple[str, bool]]) -> None:
        """Set the gauges from the store's counts (None: the database did not answer)."""
        self.database_up.set(counts is not None)
        if counts is not None:
            self.queue_depth.set(counts.queued)
            self.answering.set(counts.running)
            self.inbox_size.set(counts.inbox_rows)
            self.users.set(counts.users)
        for name, receiving in platforms:
            self.connected.labels(name).set(receiving)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
