"""Warnings: over the cap, overlaps, long entries, oversight time, mixed roles, unknown data."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from ccm_timer.core.billing import (
    EnrollmentInput,
    EntryInput,
    MonthFlags,
    PatientMonthInput,
    PatientMonthResult,
    PatientMonthTotals,
    RuleSet,
    evaluate_entries,
    evaluate_many,
    evaluate_patient_month,
    find_overlaps,
    parse_rules,
    totals_from_entries,
    totals_from_rows,
)

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "billing_rules"
ENROLLED = (EnrollmentInput("CCM", date(2024, 1, 1)), EnrollmentInput("PCM", date(2024, 1, 1)))
T0 = datetime(2025, 5, 6, 14, 0, tzinfo=UTC)


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


def entry(
    entry_id: str, start_min: float, end_min: float, role: str = "clinical_staff",
    program: str | None = "CCM", seconds: int | None = None,
) -> EntryInput:
    start = T0 + timedelta(minutes=start_min)
    end = T0 + timedelta(minutes=end_min)
    duration = round((end_min - start_min) * 60) if seconds is None else seconds
    return EntryInput(entry_id, duration, role, program, "phone-call", start, end)


def run(seconds: dict[tuple[str, str | None], int], **kw: object) -> PatientMonthResult:
    totals = PatientMonthTotals(seconds, **kw)  # type: ignore[arg-type]
    return evaluate_patient_month(totals, ENROLLED, None, "2025-05", rules(2025))


def codes(result: PatientMonthResult) -> list[str]:
    return [w.code for w in result.warnings]


@pytest.mark.parametrize(
    ("seconds", "warns"),
    [(60 * 60, False), (60 * 60 + 1, True), (75 * 60, True)],
)
def test_over_the_last_unit_cap(seconds: int, warns: bool) -> None:
    result = run({("clinical_staff", "CCM"): seconds})
    assert ("over_cap" in codes(result)) is warns
    if warns:
        message = result.warnings[codes(result).index("over_cap")].message
        assert "99439 is billed at most 2 times a month" in message
        assert "ccm_staff" not in message and "track" not in message


def test_over_cap_message_names_the_unbilled_time() -> None:
    result = run({("clinical_staff", "CCM"): 75 * 60})
    assert result.warnings[0].message.endswith("so 15 min cannot be billed.")


def test_overlapping_entries_give_both_ids() -> None:
    entries = [entry("a", 0, 30), entry("b", 20, 50), entry("c", 60, 70)]
    result = evaluate_entries(entries, ENROLLED, None, "2025-05", rules(2025))
    overlaps = [w for w in result.warnings if w.code == "overlap"]
    assert [w.entry_ids for w in overlaps] == [("a", "b")]
    assert "overlap by 10 min" in overlaps[0].message


def test_overlap_sweep_pairs_with_the_entry_reaching_furthest() -> None:
    # a covers everything; b and c each overlap it; d only touches c's end (no overlap).
    entries = [entry("c", 30, 40), entry("a", 0, 100), entry("b", 10, 20), entry("d", 100, 110)]
    found = find_overlaps(entries)
    assert [(o.entry_a, o.entry_b, o.seconds) for o in found] == [
        ("a", "b", 600), ("a", "c", 600)
    ]
    assert find_overlaps([entry("x", 0, 10), entry("y", 10, 20)]) == ()
    assert find_overlaps([entry("x", 0, 10), entry("empty", 5, 5), entry("z", 10, 10)]) == ()
    assert find_overlaps([]) == ()


def test_rows_in_any_order_give_the_same_totals() -> None:
    entries = [entry("a", 0, 30), entry("b", 20, 50), entry("c", 45, 46), entry("d", 60, 70),
               entry("e", 65, 65), entry("f", 68, 90, role="practitioner", program=None)]
    rows = [(e.entry_id, e.seconds, e.role, e.program, e.start_utc, e.end_utc) for e in entries]
    in_order = totals_from_rows(rows)
    assert [(o.entry_a, o.entry_b, o.seconds) for o in in_order.overlaps] == [
        ("a", "b", 600), ("b", "c", 60), ("d", "f", 120)
    ]
    assert in_order.seconds == {("clinical_staff", "CCM"): 4260,
                                ("practitioner", None): 1320}
    for shuffled in (rows[::-1], iter(rows[3:] + rows[:3])):
        other = totals_from_rows(shuffled)
        assert other.seconds == in_order.seconds
        assert other.overlaps == in_order.overlaps
    assert totals_from_entries(entries) == in_order
    assert totals_from_entries(reversed(entries)).overlaps == in_order.overlaps


@pytest.mark.parametrize(("seconds", "warns"), [(4 * 3600, False), (4 * 3600 + 1, True)])
def test_entry_longer_than_four_hours(seconds: int, warns: bool) -> None:
    totals = totals_from_entries([entry("long", 0, 300, seconds=seconds)])
    result = evaluate_patient_month(totals, ENROLLED, None, "2025-05", rules(2025))
    long = [w for w in result.warnings if w.code == "long_entry"]
    assert bool(long) is warns
    if warns:
        assert long[0].entry_ids == ("long",)
        assert "4 h" in long[0].message


def test_program_level_time_is_reported_never_billed() -> None:
    result = run({("practitioner", None): 45 * 60, ("clinical_staff", "CCM"): 10 * 60})
    assert result.program_level_seconds == 45 * 60
    assert result.lines == ()
    assert result.seconds_by_role == {"clinical_staff": 600, "practitioner": 0,
                                      "other_practitioner": 0}
    assert codes(result) == ["program_level_time"]
    assert result.warnings[0].message.startswith("45 min of program-level oversight time")


def test_both_roles_names_the_choice() -> None:
    result = run({("clinical_staff", "CCM"): 25 * 60, ("practitioner", "CCM"): 35 * 60})
    warning = result.warnings[0]
    assert warning.code == "both_roles"
    # In plain words: the codes and whose time they count, never a track's internal name.
    assert ("99490/99439 on clinical-staff time ($151.86) rather than 99491/99437 on the "
            "billing practitioner's own time ($82.16)") in warning.message
    assert "ccm_" not in warning.message
    # One role only: nothing to explain.
    assert run({("practitioner", "CCM"): 35 * 60}).warnings == ()
    # The practitioner track wins: the staff minutes go unbilled, and the sentence says so.
    result = run({("clinical_staff", "CCM"): 5 * 60, ("practitioner", "CCM"): 90 * 60})
    both = [w for w in result.warnings if w.code == "both_roles"]
    assert both[0].message.endswith(
        "99491/99437 on the billing practitioner's own time ($196.66) rather than "
        "99490/99439 on clinical-staff time ($151.86), so the clinical-staff minutes are not "
        "billed this month."
    )
    # The practitioner track earns nothing yet: no comparison to make.
    result = run({("clinical_staff", "CCM"): 25 * 60, ("practitioner", "CCM"): 5 * 60})
    assert result.warnings[0].message.endswith(
        "the billing practitioner's minutes count with the staff's toward 99490/99439."
    )


def test_complex_time_without_the_flag_is_pointed_out_when_it_would_pay_more() -> None:
    # payment_uncertain: 2025's 99490 amount is an unconfirmed estimate (issue 15).
    result = run({("clinical_staff", "CCM"): 90 * 60})
    assert codes(result) == ["flag_required", "over_cap", "payment_uncertain"]
    assert "99487" in result.warnings[0].message and "$202.52" in result.warnings[0].message
    # At 60-89 min 99487 ($132.00) is worth less than 99490 + 2 x 99439 ($151.86).
    assert codes(run({("clinical_staff", "CCM"): 75 * 60})) == ["over_cap", "payment_uncertain"]
    assert codes(run({("clinical_staff", "CCM"): 59 * 60})) == ["payment_uncertain"]


def test_unknown_program_is_reported_not_billed() -> None:
    result = run({("clinical_staff", "TCM"): 30 * 60})
    assert result.lines == ()
    assert result.seconds_by_program == {"TCM": 1800}
    assert codes(result) == ["unknown_program"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        run({("nurse", "CCM"): 60})
    with pytest.raises(ValueError, match="negative"):
        run({("clinical_staff", "CCM"): -1})


def test_to_dict_is_plain_json_with_the_documented_keys() -> None:
    entries = [entry("a", 0, 30), entry("b", 25, 45, role="practitioner"),
               entry("q", 50, 60, program=None)]
    result = evaluate_entries(entries, ENROLLED, MonthFlags(), "2025-05", rules(2025))
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"month", "rules_year", "seconds", "minutes", "lines", "next", "tracks",
                         "warnings", "other_practitioners"}
    assert data["seconds"] == {"by_role": {"clinical_staff": 1800, "practitioner": 1200,
                                           "other_practitioner": 0},
                               "by_program": {"CCM": 3000}, "program_level": 600,
                               "total": 3000, "before_consent": {}}
    assert data["minutes"]["by_role"] == {"clinical_staff": 30, "practitioner": 20,
                                          "other_practitioner": 0}
    assert data["other_practitioners"] == []
    assert [(x["code"], x["units"], x["held"]) for x in data["lines"]] == [
        ("99490", 1, False), ("99439", 1, False)
    ]
    assert {w["code"] for w in data["warnings"]} == {"overlap", "both_roles",
                                                     "program_level_time", "payment_uncertain"}
    overlap = next(w for w in data["warnings"] if w["code"] == "overlap")
    assert overlap["entry_ids"] == ["a", "b"]


def test_evaluate_many_matches_one_by_one() -> None:
    patients = [
        PatientMonthInput(PatientMonthTotals({("clinical_staff", "CCM"): s}), ENROLLED)
        for s in (0, 1199, 1200, 2400, 4000)
    ]
    many = evaluate_many(patients, "2025-05", rules(2025))
    one = [evaluate_patient_month(p.totals, p.enrollments, p.flags, "2025-05", rules(2025))
           for p in patients]
    assert many == one
    assert [len(r.lines) for r in many] == [0, 0, 1, 2, 2]
