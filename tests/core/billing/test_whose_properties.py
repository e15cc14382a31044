"""Properties over random patient-months (issue 15): no patient-month ever bills a code that
needs the billing practitioner's own time from another practitioner's seconds (NGS
Medicare: 99491/99437 "time only the billing practitioner spends"; CMS MLN909188 for
99424/99425; Claims Processing Manual ch. 12 section 180 for G0181/G0182), and no second
before consent counts (Noridian JE: consent "is obtained once prior to furnishing").
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    PatientMonthResult,
    PatientMonthTotals,
    RuleSet,
    TimeBasis,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.inputs import OtherPractitionerTime

RULES_DIR = Path(__file__).resolve().parents[3] / "resources" / "billing_rules"
PROGRAMS = ("CCM", "PCM", "BHI", "RPM", "CPO_HOME_HEALTH", "CPO_HOSPICE")
ROLES = ("clinical_staff", "practitioner", "other_practitioner")


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


years = st.sampled_from([2025, 2026])
flags = st.builds(MonthFlags, st.booleans(), st.booleans(), st.booleans())
# Mostly around thresholds (multiples of 5 min, +/- a second), sometimes anything.
seconds = st.one_of(
    st.integers(0, 36).map(lambda k: k * 300).flatmap(
        lambda s: st.sampled_from([s, max(0, s - 1), s + 1])),
    st.integers(0, 5 * 3600),
)
totals = st.dictionaries(st.tuples(st.sampled_from(ROLES), st.sampled_from(PROGRAMS)),
                         seconds, max_size=6)
others = st.lists(st.builds(OtherPractitionerTime, st.sampled_from(["Dr B", "Dr C"]),
                            st.sampled_from(PROGRAMS), seconds, st.booleans()), max_size=4)
enrollments = st.lists(
    st.builds(EnrollmentInput, st.sampled_from(PROGRAMS),
              st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 12, 31)))),
    max_size=6)
before = st.dictionaries(st.sampled_from(PROGRAMS), seconds, max_size=3)


def evaluate(year: int, secs: dict, items: list, enr: list, month_flags: MonthFlags, *,
             named: bool = True, pre: dict | None = None) -> PatientMonthResult:
    totals = PatientMonthTotals(secs, others=tuple(items), before_consent=pre or {},
                                billing_practitioner=named)
    return evaluate_patient_month(totals, enr, month_flags, f"{year}-03", rules(year))


def lines(result: PatientMonthResult) -> list[tuple[str, int, int, bool]]:
    return [(x.code, x.units, x.seconds, x.held) for x in result.lines]


@settings(max_examples=400)
@given(years, totals, others, enrollments, flags, st.booleans())
def test_a_practitioner_code_never_bills_another_practitioner_s_seconds(
        year, secs, items, enr, month_flags, named):
    rule_set = rules(year)
    result = evaluate(year, secs, items, enr, month_flags, named=named)
    own_lines: dict[str, int] = {}
    for line in result.billable_lines:
        if rule_set.codes[line.code].time is TimeBasis.PRACTITIONER:
            own_lines[line.program] = own_lines.get(line.program, 0) + line.seconds
    for program, used in own_lines.items():
        assert named  # no billing practitioner named: those codes are held
        assert used <= secs.get(("practitioner", program), 0)


@settings(max_examples=300)
@given(years, totals, others, enrollments, flags, st.booleans())
def test_other_practitioners_time_not_counted_as_staff_changes_no_line(
        year, secs, items, enr, month_flags, named):
    # Their seconds are shown and warned about; what is billed is as if they were absent.
    apart = [o for o in items if not o.as_staff]
    kept = [o for o in items if o.as_staff]
    plain = {k: v for k, v in secs.items() if k[0] != "other_practitioner"}
    with_them = evaluate(year, secs, items, enr, month_flags, named=named)
    without = evaluate(year, plain, kept, enr, month_flags, named=named)
    assert lines(with_them) == lines(without)
    if any(o.seconds for o in apart) or any(
            v for k, v in secs.items() if k[0] == "other_practitioner"):
        assert "other_practitioner" in {w.code for w in with_them.warnings}


@settings(max_examples=300)
@given(years, totals, others, enrollments, flags, before)
def test_no_second_before_consent_counts(year, secs, items, enr, month_flags, pre):
    # The seconds before a consent day are shown apart; what is billed never moves with them.
    split = evaluate(year, secs, items, enr, month_flags, pre=pre)
    none_before = evaluate(year, secs, items, enr, month_flags, pre={})
    assert lines(split) == lines(none_before)
    assert dict(split.seconds_before_consent) == {p: s for p, s in pre.items() if s}
    counted = sum(v for (_, p), v in secs.items() if p) + sum(o.seconds for o in items)
    assert sum(x.seconds for x in split.lines) <= counted
