"""The add-by-hand default: a slot of the person's day with none of their own time in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccm_timer.services.timing import entries, timers
from ccm_timer.services.timing.free_slots import free_slot
from tests.fixtures.clinic import NURSE, PHYSICIAN, T0

QUARTER = timedelta(minutes=15)


def _add(ctx, start, minutes, who=None):
    entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call", start=start,
                       end=start + timedelta(minutes=minutes), clinician=who)


def test_a_free_day_gets_the_quarter_hour_before_now(clinic):
    assert free_slot(clinic, NURSE) == (T0 - QUARTER, T0)


def test_the_slot_moves_before_each_entry_in_the_way(clinic):
    _add(clinic, T0 - timedelta(minutes=10), 10)  # ended now
    _add(clinic, T0 - timedelta(minutes=30), 12)  # 9:30-9:42: 9:35-9:50 is not free
    assert free_slot(clinic, NURSE) == (T0 - timedelta(minutes=45), T0 - timedelta(minutes=30))
    # Another person's time is not in the nurse's way.
    assert free_slot(clinic, PHYSICIAN) == (T0 - QUARTER, T0)


def test_a_running_timer_and_seconds_are_stepped_before(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")  # 10:00:00
    clock.advance(timedelta(minutes=3, seconds=30))
    start, end = free_slot(clinic, NURSE)
    assert (start, end) == (T0 - QUARTER, T0)  # whole minutes, before the running timer


def test_never_across_midnight(clinic, clock):
    just_after = datetime(2026, 11, 4, 5, 5, tzinfo=UTC)  # 00:05 in New York
    clock.advance(just_after - clock.now())
    start, end = free_slot(clinic, NURSE)
    assert (start, end) == (datetime(2026, 11, 4, 5, 0, tzinfo=UTC), just_after)
