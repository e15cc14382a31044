"""Sleep and clock-jump detection between ticks, stepped by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ccm_timer.core.clock import ManualClock
from ccm_timer.core.clock_watch import ClockWatch, GapKind, classify, threshold_seconds
from tests.fixtures.clinic import T0


@pytest.fixture
def watch(clock: ManualClock) -> ClockWatch:
    w = ClockWatch(clock, tick_seconds=1.0)
    w.reset()
    return w


def test_threshold_is_twice_the_tick_plus_five_seconds() -> None:
    assert threshold_seconds(1.0) == 7.0
    assert threshold_seconds(30.0) == 65.0


def test_ordinary_ticks_and_a_busy_machine_are_not_gaps(clock, watch) -> None:
    for _ in range(5):
        clock.advance(1)
        assert watch.check() is None
    clock.advance(6)  # a tick six seconds late: both clocks agree, under a minute
    assert watch.check() is None
    clock.advance(1)
    clock.jump(6)  # wall ahead by 6 s: an NTP slew-sized step, under the threshold
    assert watch.check() is None


def test_sleep_shows_as_wall_time_the_monotonic_clock_never_saw(clock, watch) -> None:
    before = clock.now()
    clock.advance(1)
    clock.jump(timedelta(hours=1))  # suspended: Linux monotonic stood still
    gap = watch.check()
    assert gap is not None and gap.kind is GapKind.FORWARD
    assert gap.wall_before == before
    assert gap.wall_after == before + timedelta(hours=1, seconds=1)
    assert gap.mono_seconds == pytest.approx(1.0)
    assert gap.unobserved_seconds == pytest.approx(3600.0)
    assert gap.to_dict()["wall_seconds"] == pytest.approx(3601.0)
    clock.advance(1)
    assert watch.check() is None  # the next tick compares with the wake-up reading


def test_clock_set_back_is_a_backward_gap(clock, watch) -> None:
    clock.advance(1)
    clock.jump(-600)
    gap = watch.check()
    assert gap is not None and gap.kind is GapKind.BACKWARD
    assert gap.unobserved_seconds == pytest.approx(-600.0)


def test_both_clocks_far_past_the_tick_is_a_stall(clock, watch) -> None:
    clock.advance(300)  # Windows: monotonic counts sleep too
    gap = watch.check()
    assert gap is not None and gap.kind is GapKind.STALLED
    assert gap.unobserved_seconds == pytest.approx(300.0)


def test_just_over_the_threshold_is_a_gap_just_under_is_not() -> None:
    mono = 1_000_000_000
    after = T0 + timedelta(seconds=1 + 7.5)
    assert classify(T0, after, mono, mono + 1_000_000_000, 1.0).kind is GapKind.FORWARD
    after = T0 + timedelta(seconds=1 + 6.5)
    assert classify(T0, after, mono, mono + 1_000_000_000, 1.0) is None


def test_first_check_without_reset_takes_a_baseline(clock) -> None:
    w = ClockWatch(clock)
    clock.jump(3600)
    assert w.check() is None  # nothing to compare with yet
    clock.jump(3600)
    assert w.check().kind is GapKind.FORWARD
