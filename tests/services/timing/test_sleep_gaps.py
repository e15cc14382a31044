"""Recording the answer about a sleep or clock-jump gap inside a running timer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from ccm_timer.core.clock_watch import ClockWatch, GapKind
from ccm_timer.errors import UserError
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries, sleep_gaps, timers
from ccm_timer.services.timing.sleep_gaps import GapChoice
from ccm_timer.store.models import AuditEvent


def _spans(ctx, entry_id):
    with ctx.read() as session:
        entry = entries.find_entry(session, str(entry_id))
        spans = entries.intervals_of(session, [entry.id])[entry.id]
        return [(s.start_utc, s.end_utc) for s in spans]


def _slept(clinic, clock, hours: float = 1.0):
    """Start a timer, tick for 10 minutes, sleep `hours`, wake: (view, gap)."""
    view = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    watch = ClockWatch(clock)
    clock.advance(600)
    watch.reset()  # the last tick before the lid closed
    clock.advance(1)
    clock.jump(timedelta(hours=hours))
    gap = watch.check()
    assert gap is not None and gap.kind is GapKind.FORWARD
    return view, gap


def _gap_events(ctx):
    with ctx.read() as session:
        return [e for e in audit.history(session, _origin(ctx)) if e.action == "timer.gap"]


def _origin(ctx):
    return entries.list_entries(ctx, include_voided=True)[-1].origin_id


def test_exclude_closes_at_the_gap_start_and_reopens_at_its_end(clinic, clock) -> None:
    view, gap = _slept(clinic, clock)
    clock.advance(300)
    after = sleep_gaps.resolve(clinic, view.id, gap, GapChoice.EXCLUDE)
    assert after.state == "running"
    assert _spans(clinic, view.id) == [(view.start, gap.wall_before), (gap.wall_after, None)]
    assert after.seconds == 600 + 300  # the hour of sleep is not billed
    (event,) = _gap_events(clinic)
    data = json.loads(event.after)
    assert data["choice"] == "exclude"
    assert data["gap"]["kind"] == "forward"
    assert data["gap"]["wall_before"] == gap.wall_before.isoformat()
    assert data["gap"]["mono_before_ns"] == gap.mono_before_ns
    assert data["gap"]["mono_after_ns"] == gap.mono_after_ns
    with clinic.read() as session:
        assert audit.verify(session).ok


def test_keep_changes_nothing_but_is_recorded(clinic, clock) -> None:
    view, gap = _slept(clinic, clock)
    after = sleep_gaps.resolve(clinic, view.id, gap, "keep")
    assert _spans(clinic, view.id) == [(view.start, None)]
    assert after.seconds == 601 + 3600
    assert json.loads(_gap_events(clinic)[0].after)["choice"] == "keep"


def test_stop_ends_the_timer_where_the_gap_began(clinic, clock) -> None:
    view, gap = _slept(clinic, clock)
    after = sleep_gaps.resolve(clinic, view.id, gap, "stop")
    assert after.state == "stopped"
    assert after.seconds == 600
    assert _spans(clinic, view.id) == [(view.start, gap.wall_before)]
    assert timers.status(clinic).state == "idle"


def test_a_gap_answered_after_a_pause_is_cut_from_the_closed_interval(clinic, clock) -> None:
    view, gap = _slept(clinic, clock)
    clock.advance(120)
    timers.pause(clinic)
    with pytest.raises(UserError, match="paused or changed"):
        sleep_gaps.resolve(clinic, view.id, gap, "stop")  # a stop would need to drop time
    after = sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    assert after.state == "paused"
    assert after.seconds == 600 + 120
    with pytest.raises(UserError, match="no longer covers"):
        sleep_gaps.resolve(clinic, view.id, gap, "exclude")  # asked twice: cut once


def test_a_timer_stopped_meanwhile_is_left_alone_with_a_clear_message(clinic, clock) -> None:
    view, gap = _slept(clinic, clock)
    timers.stop(clinic)
    with pytest.raises(UserError, match="stopped in the meantime"):
        sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    assert _gap_events(clinic) == []


def test_clock_set_back_is_split_so_the_real_time_counts(clinic, clock) -> None:
    view = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(1200)
    watch = ClockWatch(clock)
    watch.reset()
    clock.advance(1)
    clock.jump(-300)
    gap = watch.check()
    assert gap.kind is GapKind.BACKWARD
    clock.advance(60)
    after = sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    # Nothing lost to the step back but the one tick between the two readings.
    assert after.seconds == 1200 + 60
    spans = _spans(clinic, view.id)
    assert spans[0][1] == gap.wall_before and spans[1] == (gap.wall_after, None)
    assert all(end is None or end >= start for start, end in spans)
    timers.stop(clinic)  # later transitions close the right interval
    assert _spans(clinic, view.id)[-1][1] == clock.now()


def _set_back_past_the_start(clinic, clock):
    """Run 30 s, then the clock steps back an hour: before the timer's start."""
    view = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    watch = ClockWatch(clock)
    clock.advance(30)
    watch.reset()  # the last tick before the step
    clock.advance(1)
    clock.jump(-3600)
    gap = watch.check()
    assert gap.kind is GapKind.BACKWARD and gap.wall_after < view.start
    return view, gap


def test_clock_set_back_past_the_start_is_split_and_later_steps_close_the_open_one(
        clinic, clock) -> None:
    view, gap = _set_back_past_the_start(clinic, clock)
    after = sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    assert after.state == "running" and after.seconds == 30
    # Stored by start: the new open interval sorts first, before the one just closed.
    assert _spans(clinic, view.id) == [(gap.wall_after, None), (view.start, gap.wall_before)]
    clock.advance(120)
    assert timers.pause(clinic).seconds == 30 + 120  # closed the open one, not the first
    clock.advance(60)
    timers.resume(clinic)  # after the pause in timer order, though before the old interval
    clock.advance(4000)  # runs on past the first interval's wall-clock times
    stopped = timers.stop(clinic)
    assert stopped.seconds == 30 + 120 + 4000
    assert stopped.end == clock.now()  # the latest end, not the last interval's by start
    spans = _spans(clinic, view.id)
    assert len(spans) == 3 and all(end is not None and end >= start for start, end in spans)
    with clinic.read() as session:
        assert audit.verify(session).ok


def test_clock_set_back_past_the_start_then_a_crash_stops_the_open_interval(
        clinic, clock) -> None:
    from ccm_timer.services.timing import recovery

    view, gap = _set_back_past_the_start(clinic, clock)
    sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    # Heartbeats count once the wall clock is past the start again (liveness compares the
    # heartbeat with the entry's creation).
    clock.advance(3700)
    recovery.beat(clinic, pid=0)  # the app quit leaving it running, seen last now
    clock.advance(3600)
    stopped = recovery.resolve(clinic, str(view.id), "stop")
    assert stopped.seconds == 30 + 3700
    assert sorted(_spans(clinic, view.id)) == [
        (gap.wall_after, gap.wall_after + timedelta(seconds=3700)), (view.start, gap.wall_before)]


def test_clock_set_back_past_the_start_can_still_stop_at_the_gap(clinic, clock) -> None:
    view, gap = _set_back_past_the_start(clinic, clock)
    stopped = sleep_gaps.resolve(clinic, view.id, gap, "stop")
    assert stopped.seconds == 30


def test_a_later_gap_is_found_in_the_open_interval_after_a_step_back(clinic, clock) -> None:
    view, gap = _set_back_past_the_start(clinic, clock)
    sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    watch = ClockWatch(clock)
    clock.advance(3700)  # the wall clock is past the first interval again
    watch.reset()
    clock.advance(1)
    clock.jump(timedelta(hours=1))  # a sleep
    sleep = watch.check()
    after = sleep_gaps.resolve(clinic, view.id, sleep, "exclude")
    assert after.seconds == 30 + 3700
    assert sleep_gaps.resolve(clinic, view.id, sleep, "keep").state == "running"


def test_audit_rows_are_appended_not_rewritten(clinic, clock) -> None:
    view, gap = _slept(clinic, clock)
    with clinic.read() as session:
        before = len(session.exec(select(AuditEvent)).all())
    sleep_gaps.resolve(clinic, view.id, gap, "exclude")
    with clinic.read() as session:
        assert len(session.exec(select(AuditEvent)).all()) == before + 1
