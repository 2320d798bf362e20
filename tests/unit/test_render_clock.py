"""The render poll policy over recorded progress curves: prompt, sparing, and honest."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from bot.core.render_clock import PollPolicy, Reading, RenderClock

POLICY = PollPolicy(floor=3.0, ceiling=30.0)
Curve = Callable[[float], int]  # progress at t seconds after the submit


def _follow(curve: Curve, done_at: float, policy: PollPolicy = POLICY) -> tuple[float, int]:
    """Poll a render as the exporter does: (seconds from done to noticed, polls made)."""
    readings: list[Reading] = []
    now = 1.0  # the first check, right after the submit answered
    while True:
        progress = 100 if now >= done_at else curve(now)
        readings.append(Reading(now, progress))
        if progress >= 100:
            return now - done_at, len(readings)
        delay = policy.next_delay(readings)
        assert policy.floor <= delay <= policy.ceiling
        left = policy.time_left(readings, (), delay)
        assert left is None or left >= delay  # never sooner than the next check
        now += delay


def _linear(total: float) -> Curve:
    return lambda t: min(99, int(100 * t / total))


def test_a_steady_render_is_noticed_within_seconds_with_few_polls() -> None:
    for total in (20.0, 40.0, 60.0):
        late, polls = _follow(_linear(total), total)
        assert late <= 3.0, (total, late)
        assert polls <= total / 5 + 1  # no more than a fixed 5 s interval would make


def test_lumpy_progress_is_noticed_within_a_few_seconds() -> None:
    def lumpy(t: float) -> int:  # jumps every 10 s, uneven steps
        return [0, 5, 30, 35, 80, 90][min(5, int(t // 10))]

    late, polls = _follow(lumpy, 55.0)
    assert late <= 8.0
    assert polls <= 55 / 5 + 1
    for total in (20.0, 40.0, 60.0):  # stalls, then jumps (the render benchmark's curve)

        def stalls(t: float, total: float = total) -> int:
            steps = ((0.25, 2), (0.45, 30), (0.7, 35), (0.9, 80))
            return next((p for until, p in steps if t / total < until), 95)

        late, polls = _follow(stalls, total)
        assert late <= 5.0 and polls <= total / 5 + 1, (total, late, polls)


def test_progress_that_jumps_from_zero_to_done_is_checked_regularly() -> None:
    late, polls = _follow(lambda t: 0, 45.0)
    assert late <= 10.0  # nothing to predict from: every 10 s
    assert polls <= 6


def test_a_stalled_render_is_not_hammered() -> None:
    def stalls(t: float) -> int:
        return min(50, int(t * 5))  # half done in 10 s, then nothing for a long time

    late, polls = _follow(stalls, 300.0)
    assert late <= POLICY.ceiling
    assert polls <= 300 / 5 + 1


def test_a_render_stuck_at_the_end_is_checked_less_and_less_often() -> None:
    late, polls = _follow(lambda t: 99, 60.0)  # says 99 % at once, done a minute later
    assert polls <= 60 / 5 + 1
    assert late <= POLICY.ceiling  # each miss doubles the wait, up to the poll interval


def test_progress_going_backwards_keeps_the_checks_within_bounds() -> None:
    def backwards(t: float) -> int:
        return 60 if t < 20 else 10  # the backend restarted the job

    late, _ = _follow(backwards, 70.0)
    assert late <= POLICY.ceiling


def test_a_render_that_never_moves_is_checked_every_ceiling_after_the_cap() -> None:
    policy = PollPolicy(floor=3.0, ceiling=30.0, max_polls=5)
    readings = [Reading(float(10 * n), 0) for n in range(1, 6)]
    assert policy.next_delay(readings) == 30.0


def test_history_helps_while_the_progress_says_little() -> None:
    early = [Reading(2.0, 1)]
    assert POLICY.finish(early) is None  # 1 % says nothing
    assert POLICY.finish(early, [40.0, 50.0, 60.0]) == 50.0  # the usual render
    half = [Reading(20.0, 50)]
    assert POLICY.finish(half, [90.0]) == 40.0  # past 20 %, the rate alone


def test_failures_back_off_to_the_ceiling() -> None:
    readings = [Reading(5.0, 10)]
    delays = [POLICY.next_delay(readings, failures=n) for n in range(1, 8)]
    assert delays == sorted(delays) and delays[0] == 6.0 and delays[-1] == 30.0


def test_time_left_is_unknown_without_progress_or_history() -> None:
    assert POLICY.time_left([Reading(3.0, 0)], (), 3.0) is None
    assert POLICY.time_left([Reading(10.0, 50)], (), 3.0) == 10.0
    assert POLICY.time_left([Reading(39.0, 95)], (), 3.0) == 3.0  # not before the next check


def test_the_clock_counts_from_the_submit() -> None:
    ticks = iter([100.0, 110.0])
    clock = RenderClock(
        990.0, POLICY, (), clock=lambda: next(ticks), wall=lambda: 1000.0
    )  # submitted 10 s ago
    assert clock.read(50) == 20.0  # 50 % in 20 s: 20 s to go (the check comes sooner)
    assert clock.delay == 15.0  # an estimate is trusted three quarters of the time seen ahead


@given(
    st.lists(st.tuples(st.floats(0.0, 10_000.0), st.integers(-5, 120)), min_size=1, max_size=30),
    st.lists(st.floats(0.1, 10_000.0), max_size=5),
    st.integers(0, 20),
)
def test_any_history_gives_a_delay_within_bounds_and_an_honest_time_left(
    raw: list[tuple[float, int]], typical: list[float], failures: int
) -> None:
    readings = [Reading(at, progress) for at, progress in sorted(raw)]
    delay = POLICY.next_delay(readings, typical, failures=failures)
    assert POLICY.floor <= delay <= POLICY.ceiling
    left = POLICY.time_left(readings, typical, delay)
    assert left is None or left >= delay
