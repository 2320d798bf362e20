"""When a render will probably be done: the next status check and the time left, from one estimate.

Every status answer carries the render's progress (0-100). From the readings so far (seconds
since the submit, progress) the estimate is the finish time the progress rate points to,
blended with how long earlier renders took while the progress says little. The poll policy
checks shortly after that estimate (trusting it no further ahead than three quarters of the
time seen so far), never sooner than `floor` and never later than `ceiling`
after the last check, backs off after failures and while checks keep finding a render
unfinished when it should be done (stuck near its end), and stops hurrying after
`max_polls`. The
time left shown to the user comes from the same estimate and is never sooner than the next
check (that is when the video can come at the earliest). `PollPolicy` is pure; `RenderClock`
keeps one render's readings against a clock.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["PollPolicy", "Reading", "RenderClock"]

_TRUST_RATE_FROM = 20  # percent: from here on the rate alone predicts the finish
_MIN_RATE_PROGRESS = 3  # percent: below this the rate says nothing
_UNKNOWN_WAIT = 10.0  # seconds to the next check when nothing can be predicted


@dataclass(frozen=True, slots=True)
class Reading:
    """One status answer: seconds since the render was submitted, and its progress."""

    at: float
    progress: int


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """When to check a render next, and how long it probably still needs."""

    floor: float = 3.0  # never check more often than this
    ceiling: float = 30.0  # never wait longer than this between checks
    margin: float = 0.5  # check this long after the predicted finish
    max_polls: int = 60  # after this many checks, every `ceiling`
    reach: float = 0.75  # how far ahead an estimate is trusted, as a share of the time seen

    def finish(self, readings: Sequence[Reading], typical: Sequence[float] = ()) -> float | None:
        """Seconds after the submit when the render should be done, or None if unknown."""
        now, progress = (readings[-1].at, readings[-1].progress) if readings else (0.0, 0)
        by_rate = None
        if now > 0 and progress >= _MIN_RATE_PROGRESS:
            # From the submit (0 %) to now: a stall or a step back slows the rate down,
            # and one lumpy reading moves it less than the last step alone would.
            by_rate = now + (100 - progress) * now / progress
        usual = statistics.median(typical) if typical else None
        if usual is None:
            return by_rate
        if by_rate is None:
            return max(usual, now)
        return by_rate if progress >= _TRUST_RATE_FROM else (by_rate + usual) / 2

    def next_delay(
        self, readings: Sequence[Reading], typical: Sequence[float] = (), *, failures: int = 0
    ) -> float:
        """Seconds from the latest reading to the next check."""
        if failures:
            return min(self.ceiling, self.floor * float(2 ** min(failures, 8)))
        if len(readings) >= self.max_polls:
            return self.ceiling
        now = readings[-1].at if readings else 0.0
        finish = self.finish(readings, typical)
        if finish is None:
            wait = _UNKNOWN_WAIT
        else:
            # An estimate is trusted only so far ahead (a share of the time seen so far):
            # a render whose progress stalled and then jumps is not waited out long.
            trusted = max(2 * self.floor, now * self.reach)
            wait = min(finish + self.margin - now, trusted)
            # Checks that came when the estimate said it would be done and found it not
            # moving: the render is stuck near its end, so each such miss doubles the wait.
            wait = max(wait, self.floor * float(2 ** min(self._misses(readings, typical), 8)))
        return min(self.ceiling, max(self.floor, wait))

    def _misses(self, readings: Sequence[Reading], typical: Sequence[float]) -> int:
        """How many of the latest checks in a row came after the finish the one before
        predicted and found the progress where it was."""
        misses = 0
        for n in range(len(readings) - 1, 0, -1):
            predicted = self.finish(readings[:n], typical)
            moved = readings[n].progress > readings[n - 1].progress
            if predicted is None or predicted > readings[n].at or moved:
                break
            misses += 1
        return misses

    def time_left(
        self, readings: Sequence[Reading], typical: Sequence[float], next_check: float
    ) -> float | None:
        """Seconds the user still waits, from the latest reading: never sooner than the next
        check (`next_check` seconds away); None when there is nothing to go on."""
        finish = self.finish(readings, typical)
        if finish is None:
            return None
        now = readings[-1].at if readings else 0.0
        return max(finish - now, next_check)


class RenderClock:
    """One followed render's readings and what the policy makes of them (the clock's side)."""

    def __init__(
        self,
        submitted_at: float,
        policy: PollPolicy,
        typical: Sequence[float],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._started = clock() - max(0.0, wall() - submitted_at)
        self._policy = policy
        self._typical = typical
        self._readings: list[Reading] = []
        self._failures = 0
        self.delay = policy.floor

    def read(self, progress: int) -> float | None:
        """Note a status answer; the time left to show (the next check is in `delay`)."""
        self._readings.append(Reading(self._clock() - self._started, progress))
        self._failures = 0
        self.delay = self._policy.next_delay(self._readings, self._typical)
        return self._policy.time_left(self._readings, self._typical, self.delay)

    def failed(self) -> float:
        """A check that got no answer: how long to wait before the next (backing off)."""
        self._failures += 1
        return self._policy.next_delay(self._readings, self._typical, failures=self._failures)
