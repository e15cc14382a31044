"""The one month-time function on a real database: running time up to now, entries split at
the clinic's month edges (New York, whose November 2026 begins on the day clocks go back),
groups, voided and edited entries, long entries; time before a consent day's cut (issue 15).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from ccm_timer.core.month import YearMonth, clip_seconds, month_bounds_utc
from ccm_timer.services.timing import entries, timers
from ccm_timer.store.models import Clinician
from ccm_timer.store.month_time import MonthTime, month_time
from tests.fixtures.clinic import corrector

NY = ZoneInfo("America/New_York")
OCT, NOV, DEC = YearMonth(2026, 10), YearMonth(2026, 11), YearMonth(2026, 12)


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold).astimezone(UTC)


def time_of(ctx, month: YearMonth, now: datetime | None, **kw) -> MonthTime:
    with ctx.read() as session:
        return month_time(session.connection(), month, NY, now, **kw)


def add(ctx, mrn: str | None, start: datetime, end: datetime, **kw):
    slug = "phone-call" if mrn else "quality-improvement"
    return entries.add_manual(ctx, patient_mrn=mrn, category_slug=slug, start=start, end=end,
                              **kw)


def move_clock(clock, to: datetime) -> None:
    clock.advance(to - clock.now())


def test_a_running_timer_counts_up_to_now_never_to_the_month_end(clinic, clock):
    entry = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=12))
    by_entry = time_of(clinic, NOV, clock.now(), by=("entry",)).seconds
    assert by_entry == {(entry.id,): 12 * 60}
    assert time_of(clinic, NOV, clock.now(), by=()).seconds == {(): 12 * 60}
    # Without a `now`, only closed intervals count: the running one has spent nothing yet.
    assert time_of(clinic, NOV, None, by=("entry",)).seconds == {}
    timers.pause(clinic)
    clock.advance(timedelta(minutes=30))  # paused: the gap is not time
    timers.resume(clinic)
    clock.advance(timedelta(minutes=3))
    assert time_of(clinic, NOV, clock.now(), by=()).seconds == {(): 15 * 60}
    assert time_of(clinic, NOV, None, by=()).seconds == {(): 12 * 60}


def test_a_timer_running_over_the_month_end_is_split_there(clinic, clock):
    move_clock(clock, local(2026, 11, 30, 23, 55))
    entry = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=12))  # 00:07 on 1 December
    now = clock.now()
    assert time_of(clinic, NOV, now, by=("entry",)).seconds == {(entry.id,): 5 * 60}
    assert time_of(clinic, DEC, now, by=("entry",)).seconds == {(entry.id,): 7 * 60}


def test_entries_crossing_month_edges_are_split_at_local_midnight_across_dst(clinic, clock):
    # 23:30 EDT on 31 October to 01:30 EST on 1 November: three real hours, the clocks went
    # back at 02:00 EDT. October ends at 04:00 UTC: 30 minutes before, 2 h 30 min after.
    over_dst = add(clinic, "T1001", local(2026, 10, 31, 23, 30),
                   local(2026, 11, 1, 1, 30, fold=1))
    # 01:30 EDT to 01:30 EST on 1 November: the same wall-clock time, one real hour apart.
    repeated = add(clinic, "T1002", local(2026, 11, 1, 1, 30), local(2026, 11, 1, 1, 30, fold=1),
                   clinician="Dr Blake Test")
    move_clock(clock, local(2026, 12, 2, 9, 0))
    # 23:50 EST on 30 November to 00:20 on 1 December: 10 minutes in November, 20 after.
    month_end = add(clinic, "T1001", local(2026, 11, 30, 23, 50), local(2026, 12, 1, 0, 20))
    now = clock.now()
    assert time_of(clinic, OCT, now, by=("entry",)).seconds == {(over_dst.id,): 30 * 60}
    assert time_of(clinic, NOV, now, by=("entry",)).seconds == {
        (over_dst.id,): 150 * 60, (repeated.id,): 3600, (month_end.id,): 10 * 60}
    assert time_of(clinic, DEC, now, by=("entry",)).seconds == {(month_end.id,): 20 * 60}


def test_groups_by_patient_role_and_program_with_program_level_time(clinic, clock):
    t = clock.now() - timedelta(days=1)
    a = add(clinic, "T1001", t, t + timedelta(minutes=10))
    add(clinic, "T1001", t + timedelta(hours=1), t + timedelta(hours=1, minutes=5),
        clinician="Dr Blake Test")
    add(clinic, "T1003", t + timedelta(hours=2), t + timedelta(hours=2, minutes=7),
        program="RPM")
    add(clinic, None, t + timedelta(hours=3), t + timedelta(hours=3, minutes=4))
    # A voided entry and an edited one's old version count nothing; the new version counts.
    voided = add(clinic, "T1002", t + timedelta(hours=4), t + timedelta(hours=4, minutes=50))
    entries.void(clinic, str(voided.id), reason="entered twice", by=corrector(clinic))
    entries.edit(clinic, str(a.id), end=t + timedelta(minutes=11), reason="one more minute",
                 by=corrector(clinic))
    got = time_of(clinic, NOV, clock.now(), by=("patient", "role", "program")).seconds
    t1001, t1003 = (_patient_id(clinic, mrn) for mrn in ("T1001", "T1003"))
    assert got == {
        (t1001, "clinical_staff", "CCM"): 11 * 60,
        (t1001, "practitioner", "CCM"): 5 * 60,
        (t1003, "clinical_staff", "RPM"): 7 * 60,
        (None, "clinical_staff", None): 4 * 60,
    }
    only = time_of(clinic, NOV, clock.now(), by=("role",), patient_id=t1001).seconds
    assert only == {("clinical_staff",): 11 * 60, ("practitioner",): 5 * 60}
    assert time_of(clinic, OCT, clock.now(), by=("patient",)).seconds == {}


def test_entries_over_a_length_are_listed_with_their_seconds_in_the_month(clinic, clock):
    move_clock(clock, local(2026, 11, 20, 12, 0))
    inside = add(clinic, "T1001", local(2026, 11, 10, 8, 0), local(2026, 11, 10, 13, 0))
    add(clinic, "T1001", local(2026, 11, 11, 8, 0), local(2026, 11, 11, 9, 0))
    # Six real hours (the clocks went back), four and a half in November: over four hours.
    crossing = add(clinic, "T1002", local(2026, 10, 31, 22, 30), local(2026, 11, 1, 3, 30))
    got = time_of(clinic, NOV, clock.now(), by=("patient",), entries_over=4 * 3600)
    t1001, t1002 = (_patient_id(clinic, mrn) for mrn in ("T1001", "T1002"))
    assert got.seconds == {(t1001,): 6 * 3600, (t1002,): 4 * 3600 + 1800}
    assert got.entries_over == {(t1001,): [(inside.id, 5 * 3600)],
                                (t1002,): [(crossing.id, 4 * 3600 + 1800)]}
    assert time_of(clinic, NOV, clock.now(), by=("patient",)).entries_over == {}


def _patient_id(ctx, mrn: str):
    from ccm_timer.services.people import patients

    with ctx.read() as session:
        return patients.find(session, mrn).id


def test_groups_by_clinician(clinic, clock):
    t = clock.now() - timedelta(days=1)
    add(clinic, "T1001", t, t + timedelta(minutes=10))
    add(clinic, "T1001", t + timedelta(hours=1), t + timedelta(hours=1, minutes=5),
        clinician="Dr Blake Test")
    got = time_of(clinic, NOV, clock.now(), by=("clinician",)).seconds
    with clinic.read() as session:
        ids = {c.name: c.id for c in session.exec(select(Clinician))}
    assert got == {(ids["Avery Nurse"],): 10 * 60, (ids["Dr Blake Test"],): 5 * 60}


# --- time before consent (issue 15): counted from a consent day's local midnight ------------


def test_time_before_a_cut_moves_to_before_whole_seconds_to_the_safe_side(clinic, clock):
    move_clock(clock, local(2026, 11, 20, 12, 0))
    cut = local(2026, 11, 15, 0, 0)
    t1001, t1002 = (_patient_id(clinic, mrn) for mrn in ("T1001", "T1002"))
    add(clinic, "T1001", local(2026, 11, 5, 10, 0), local(2026, 11, 5, 10, 15))  # before
    # 23:50 to 00:20 across the cut, with half a second on each side of it.
    add(clinic, "T1001", local(2026, 11, 14, 23, 50) + timedelta(microseconds=500_000),
        local(2026, 11, 15, 0, 20) + timedelta(microseconds=500_000))
    add(clinic, "T1001", local(2026, 11, 20, 10, 0), local(2026, 11, 20, 10, 10))  # after
    add(clinic, "T1002", local(2026, 11, 5, 11, 0), local(2026, 11, 5, 11, 7))  # no cut
    by = ("patient", "program")
    plain = time_of(clinic, NOV, clock.now(), by=by)
    split = time_of(clinic, NOV, clock.now(), by=by, counted_from={(t1001, "CCM"): cut})
    assert plain.seconds[(t1001, "CCM")] == 55 * 60
    # Counted: 20 min and a half second is 20 whole minutes after the cut, plus the 10.
    assert split.seconds == {(t1001, "CCM"): 30 * 60, (t1002, "CCM"): 7 * 60}
    assert split.before == {(t1001, "CCM"): 25 * 60}
    # Finer groups split the same way; a cut on the month's first instant changes nothing.
    by_entry = time_of(clinic, NOV, clock.now(), by=("patient", "program", "entry"),
                       counted_from={(t1001, "CCM"): cut})
    assert sum(by_entry.seconds.values()) == 37 * 60 and sum(by_entry.before.values()) == 1500
    start = time_of(clinic, NOV, clock.now(), by=by,
                    counted_from={(t1001, "CCM"): local(2026, 11, 1, 0, 0)})
    assert start.seconds == plain.seconds and start.before == {}
    with pytest.raises(ValueError, match="patient and program"):
        time_of(clinic, NOV, clock.now(), by=("patient",), counted_from={(t1001, "CCM"): cut})


def test_a_running_timer_across_the_cut_counts_from_it_up_to_now(clinic, clock):
    move_clock(clock, local(2026, 11, 14, 23, 40))
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=30))  # 00:10 on the 15th, still running
    t1001 = _patient_id(clinic, "T1001")
    got = time_of(clinic, NOV, clock.now(), by=("patient", "program"),
                  counted_from={(t1001, "CCM"): local(2026, 11, 15, 0, 0)})
    assert (got.seconds, got.before) == ({(t1001, "CCM"): 10 * 60}, {(t1001, "CCM"): 20 * 60})
    closed = time_of(clinic, NOV, None, by=("patient", "program"),
                     counted_from={(t1001, "CCM"): local(2026, 11, 15, 0, 0)})
    assert (closed.seconds, closed.before) == ({}, {})  # nothing closed yet


_MONTHS = iter(range(1, 10_000))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 5400), st.integers(1, 5400),
                          st.sampled_from(["pause", "stop"])), min_size=1, max_size=5),
       st.booleans())
def test_no_second_before_the_cut_is_counted(clinic, clock, pieces, still_running):
    """Property (issue 15, Noridian JE): the seconds counted are exactly the whole seconds of
    each interval from the cut on; with those before, they add up to the month's seconds."""
    k = next(_MONTHS)
    month = YearMonth(2027 + (k - 1) // 12, (k - 1) % 12 + 1)
    cut = datetime(month.year, month.month, 15, tzinfo=NY).astimezone(UTC)
    move_clock(clock, cut - timedelta(hours=3))
    spans: list[list[datetime]] = []
    running = False
    for gap, run, then in pieces:
        clock.advance(timedelta(seconds=gap))
        if running:
            timers.resume(clinic)
        else:
            timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
        spans.append([clock.now()])
        running = True
        clock.advance(timedelta(seconds=run))
        spans[-1].append(clock.now())
        if then == "pause":
            timers.pause(clinic)
        else:
            timers.stop(clinic)
            running = False
    if still_running:  # the last piece goes on to now
        timers.resume(clinic) if running else timers.start(
            clinic, patient_mrn="T1001", category_slug="phone-call")
        spans.append([clock.now()])
        clock.advance(timedelta(minutes=7))
        spans[-1].append(clock.now())
    elif running:
        timers.stop(clinic)
    now = clock.now()
    t1001 = _patient_id(clinic, "T1001")
    by = ("patient", "program")
    got = time_of(clinic, month, now, by=by, counted_from={(t1001, "CCM"): cut})
    whole = time_of(clinic, month, now, by=by).seconds.get((t1001, "CCM"), 0)
    lo, hi = month_bounds_utc(month, NY)
    expected = sum(clip_seconds(s, e, cut, hi) for s, e in spans)
    assert got.seconds.get((t1001, "CCM"), 0) == expected
    assert expected + got.before.get((t1001, "CCM"), 0) == whole
    assert whole == sum(clip_seconds(s, e, lo, hi) for s, e in spans)
    if still_running:
        timers.stop(clinic)  # the next example starts with no live timer
