from datetime import timedelta

import pytest

from ccm_timer.core.clock import ManualClock
from ccm_timer.core.timer import Timer, TimerError, TimerState
from tests.fixtures.clinic import T0


def test_full_cycle_sums_spans_not_ticks():
    clock = ManualClock(T0)
    timer = Timer().start(clock.now())
    clock.advance(300)
    timer = timer.pause(clock.now())
    clock.advance(600)  # paused time never counts
    assert timer.elapsed(clock.now()) == timedelta(seconds=300)
    timer = timer.resume(clock.now())
    clock.advance(120)
    assert timer.elapsed(clock.now()) == timedelta(seconds=420)
    timer = timer.stop(clock.now())
    clock.advance(999)
    assert timer.state is TimerState.STOPPED
    assert timer.elapsed(clock.now()) == timedelta(seconds=420)
    assert len(timer.spans) == 2


@pytest.mark.parametrize(
    "state_steps, action",
    [
        ([], "pause"),
        ([], "resume"),
        ([], "stop"),
        (["start"], "start"),
        (["start"], "resume"),
        (["start", "pause"], "pause"),
        (["start", "stop"], "start"),
        (["start", "stop"], "stop"),
        (["start", "stop"], "resume"),
    ],
)
def test_invalid_transitions_raise(state_steps, action):
    clock = ManualClock(T0)
    timer = Timer()
    for step in state_steps:
        timer = getattr(timer, step)(clock.now())
    with pytest.raises(TimerError):
        getattr(timer, action)(clock.now())


def test_stop_from_paused_keeps_spans():
    clock = ManualClock(T0)
    timer = Timer().start(clock.now())
    clock.advance(60)
    timer = timer.pause(clock.now())
    clock.advance(60)
    assert timer.stop(clock.now()).elapsed(clock.now()) == timedelta(seconds=60)


def test_backward_clock_never_makes_negative_span():
    clock = ManualClock(T0)
    timer = Timer().start(clock.now())
    clock.jump(-3600)  # NTP step backwards
    stopped = timer.stop(clock.now())
    assert stopped.spans[0].end == stopped.spans[0].start
    assert stopped.elapsed(clock.now()) == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        Timer().start(T0.replace(tzinfo=None))
