"""Properties over random patient-months: no second counted twice; more time never pays less."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccm_timer.core.billing import (
    EnrollmentInput,
    EntryInput,
    MonthFlags,
    PatientMonthResult,
    PatientMonthTotals,
    RuleSet,
    TimeBasis,
    evaluate_entries,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.tracks import evaluate_track

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "billing_rules"
PROGRAMS = ("CCM", "PCM", "BHI", "RPM", "CPO_HOME_HEALTH", "CPO_HOSPICE")
ROLES = ("clinical_staff", "practitioner")
KEYS = [(r, p) for r in ROLES for p in PROGRAMS] + [(r, None) for r in ROLES]


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


years = st.sampled_from([2025, 2026])
flags = st.builds(MonthFlags, st.booleans(), st.booleans(), st.booleans())
# Mostly around thresholds (multiples of 10 min, +/- a second), sometimes anything.
seconds = st.one_of(
    st.integers(0, 24).map(lambda k: k * 600) .flatmap(
        lambda s: st.sampled_from([s, max(0, s - 1), s + 1])),
    st.integers(0, 6 * 3600),
)
totals = st.dictionaries(st.sampled_from(KEYS), seconds, max_size=8)
enrollments = st.lists(
    st.builds(
        EnrollmentInput,
        st.sampled_from(PROGRAMS),
        st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 1, 1))),
        st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 1, 1))),
        st.none(),
    ),
    max_size=6,
)


def evaluate(
    year: int, secs: dict[tuple[str, str | None], int], enr: list[EnrollmentInput],
    month_flags: MonthFlags,
) -> PatientMonthResult:
    return evaluate_patient_month(PatientMonthTotals(secs), enr, month_flags, f"{year}-03",
                                  rules(year))


def value(result: PatientMonthResult, billable_only: bool) -> int:
    return sum(round(x.payment_usd * 100) for x in result.lines
               if not (billable_only and x.held))


@settings(max_examples=400)
@given(years, totals, enrollments, flags)
def test_no_second_is_counted_twice(
    year: int, secs: dict[tuple[str, str | None], int], enr: list[EnrollmentInput],
    month_flags: MonthFlags,
) -> None:
    result = evaluate(year, secs, enr, month_flags)
    billable_total = sum(s for (_, p), s in secs.items() if p is not None)
    assert sum(x.seconds for x in result.lines) <= billable_total
    rule_set = rules(year)
    for program in PROGRAMS:
        lines = [x for x in result.lines if x.program == program]
        assert sum(x.seconds for x in lines) <= result.seconds_by_program.get(program, 0)
        assert len({x.track for x in lines}) <= 1  # one track per program per month
        codes = [x.code for x in lines]
        assert len(codes) == len(set(codes))
        if lines and rule_set.codes[lines[0].code].time is TimeBasis.PRACTITIONER:
            # Practitioner codes never consume clinical staff seconds.
            assert sum(x.seconds for x in lines) <= secs.get(("practitioner", program), 0)
    # Billable lines never include two codes that exclude each other.
    kept = [x.code for x in result.lines if not x.held]
    for code in kept:
        assert not rule_set.conflicts[code] & set(kept)


@settings(max_examples=400)
@given(years, totals, enrollments, flags, st.sampled_from(KEYS), st.integers(1, 3 * 3600))
def test_more_time_never_pays_less(
    year: int, secs: dict[tuple[str, str | None], int], enr: list[EnrollmentInput],
    month_flags: MonthFlags, key: tuple[str, str | None], extra: int,
) -> None:
    before = evaluate(year, secs, enr, month_flags)
    more = dict(secs)
    more[key] = more.get(key, 0) + extra
    after = evaluate(year, more, enr, month_flags)
    assert value(after, billable_only=True) >= value(before, billable_only=True)
    assert value(after, billable_only=False) >= value(before, billable_only=False)


@given(years, st.sampled_from(PROGRAMS), st.integers(0, 6 * 3600), st.integers(0, 3 * 3600))
def test_more_staff_minutes_never_earn_fewer_units(
    year: int, program: str, base: int, extra: int
) -> None:
    # One program, clinical staff only, no complex flag: one track can earn, so the unit
    # count itself must be monotonic. (With the complex flag a switch from 99490 + 2 x 99439
    # to 99487 + 99489 trades 3 units for 2 of more value, which is allowed.)
    consent = [EnrollmentInput(program, date(2024, 1, 1))]
    contact = MonthFlags(interactive_contact=True)

    def units(s: int) -> int:
        result = evaluate(year, {("clinical_staff", program): s}, consent, contact)
        return sum(x.units for x in result.lines)

    assert units(base + extra) >= units(base)


@given(years, st.integers(0, 10 * 3600), st.integers(0, 3 * 3600))
def test_every_track_is_monotonic(year: int, pool: int, extra: int) -> None:
    for tracks in rules(year).tracks_by_program.values():
        for track in tracks:
            if track.base.only_below_minutes is not None:
                continue  # 99470 gives way to 99457 at 20 min by design
            a, b = evaluate_track(track, pool), evaluate_track(track, pool + extra)
            assert (b.base_units, b.addon_units) >= (a.base_units, a.addon_units)
            assert b.addon_units >= a.addon_units
            assert b.base_seconds + b.addon_seconds <= pool + extra


entry_strategy = st.lists(
    st.tuples(st.integers(0, 30 * 24 * 60), st.integers(0, 300), st.sampled_from(KEYS)),
    max_size=30,
)


@given(years, entry_strategy, flags)
def test_entries_and_totals_agree(
    year: int, raw: list[tuple[int, int, tuple[str, str | None]]], month_flags: MonthFlags
) -> None:
    t0 = datetime(year, 3, 1, 6, tzinfo=UTC)
    entries = [
        EntryInput(f"e{i}", dur * 60, role, program, "cat",
                   t0 + timedelta(minutes=start), t0 + timedelta(minutes=start + dur))
        for i, (start, dur, (role, program)) in enumerate(raw)
    ]
    sums: dict[tuple[str, str | None], int] = {}
    for e in entries:
        sums[(e.role, e.program)] = sums.get((e.role, e.program), 0) + e.seconds
    enr = [EnrollmentInput(p, date(2024, 1, 1)) for p in PROGRAMS]
    by_entries = evaluate_entries(entries, enr, month_flags, f"{year}-03", rules(year))
    by_totals = evaluate(year, sums, enr, month_flags)
    assert by_entries.lines == by_totals.lines
    assert by_entries.seconds_by_role == by_totals.seconds_by_role
    # Overlap warnings only come from entries; every overlapping pair really overlaps.
    spans = {e.entry_id: (e.start_utc, e.end_utc) for e in entries}
    for w in by_entries.warnings:
        if w.code == "overlap":
            (a0, a1), (b0, b1) = spans[w.entry_ids[0]], spans[w.entry_ids[1]]
            assert max(a0, b0) < min(a1, b1)
