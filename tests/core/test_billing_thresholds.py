"""Every code family at and around its thresholds and caps, with the real rule files."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    PatientMonthTotals,
    RuleSet,
    evaluate_patient_month,
    parse_rules,
)
from ccm_timer.core.billing.tracks import evaluate_track
from ccm_timer.core.month import YearMonth, split_seconds_by_month

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "billing_rules"
PROGRAMS = ("CCM", "PCM", "BHI", "RPM", "CPO_HOME_HEALTH", "CPO_HOSPICE")
CONSENTED = tuple(EnrollmentInput(p, YearMonth(2024, 1).first_day) for p in PROGRAMS)
CONTACT = MonthFlags(interactive_contact=True)
COMPLEX = MonthFlags(complex_mdm=True, care_plan_revised=True)


@cache
def rules(year: int) -> RuleSet:
    return parse_rules(tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8")))


def mmss(text: str) -> int:
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def lines_of(
    program: str,
    staff: str = "0:00",
    practitioner: str = "0:00",
    flags: MonthFlags = CONTACT,
    year: int = 2025,
) -> list[tuple[str, int]]:
    seconds: dict[tuple[str, str | None], int] = {
        ("clinical_staff", program): mmss(staff),
        ("practitioner", program): mmss(practitioner),
    }
    result = evaluate_patient_month(
        PatientMonthTotals(seconds), CONSENTED, flags, f"{year}-05", rules(year)
    )
    assert all(not line.held for line in result.lines), result.lines
    return [(line.code, line.units) for line in result.lines]


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        ("0:00", []),
        ("19:59", []),
        ("20:00", [("99490", 1)]),
        ("39:59", [("99490", 1)]),
        ("40:00", [("99490", 1), ("99439", 1)]),
        ("59:59", [("99490", 1), ("99439", 1)]),
        ("60:00", [("99490", 1), ("99439", 2)]),
        ("79:59", [("99490", 1), ("99439", 2)]),
        ("80:00", [("99490", 1), ("99439", 2)]),  # 99439 is capped at 2 units
        ("300:00", [("99490", 1), ("99439", 2)]),
    ],
)
def test_ccm_staff_track(year: int, staff: str, expected: list[tuple[str, int]]) -> None:
    assert lines_of("CCM", staff=staff, year=year) == expected


@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        # Complex is only considered when flagged, and chosen only when it is worth more:
        # at 60-89 min, 99490 + 2 x 99439 outvalues 99487 in both years.
        ("59:59", [("99490", 1), ("99439", 1)]),
        ("60:00", [("99490", 1), ("99439", 2)]),
        ("89:59", [("99490", 1), ("99439", 2)]),
        ("90:00", [("99487", 1), ("99489", 1)]),
        ("119:59", [("99487", 1), ("99489", 1)]),
        ("120:00", [("99487", 1), ("99489", 2)]),
    ],
)
@pytest.mark.parametrize("year", [2025, 2026])
def test_complex_ccm_when_flagged(year: int, staff: str, expected: list[tuple[str, int]]) -> None:
    assert lines_of("CCM", staff=staff, flags=COMPLEX, year=year) == expected


@pytest.mark.parametrize("staff", ["90:00", "200:00"])
def test_complex_ccm_never_without_the_flag(staff: str) -> None:
    assert lines_of("CCM", staff=staff, flags=MonthFlags(complex_mdm=True)) == [
        ("99490", 1), ("99439", 2)
    ]


@pytest.mark.parametrize(
    ("track", "pool", "units"),
    [
        ("ccm_complex", "59:59", (0, 0)),
        ("ccm_complex", "60:00", (1, 0)),
        ("ccm_complex", "89:59", (1, 0)),
        ("ccm_complex", "90:00", (1, 1)),
        # 99489's 10 is a payer edit (MUE), not a CPT cap: counted past it, with a warning.
        ("ccm_complex", "390:00", (1, 11)),
        ("ccm_complex", "500:00", (1, 14)),
        ("ccm_practitioner", "29:59", (0, 0)),
        ("ccm_practitioner", "30:00", (1, 0)),
        ("ccm_practitioner", "59:59", (1, 0)),
        ("ccm_practitioner", "60:00", (1, 1)),
        ("ccm_practitioner", "90:00", (1, 2)),
        ("ccm_practitioner", "600:00", (1, 19)),  # no CPT cap for 99437 (MUE 2: a warning)
        ("pcm_staff", "120:00", (1, 3)),  # 99427's 2 is from vendor pages: an edit, warned
        ("pcm_staff", "150:00", (1, 4)),
        ("pcm_practitioner", "150:00", (1, 4)),
    ],
)
def test_track_units_at_thresholds(track: str, pool: str, units: tuple[int, int]) -> None:
    found = [t for ts in rules(2025).tracks_by_program.values() for t in ts if t.name == track]
    outcome = evaluate_track(found[0], mmss(pool))
    assert (outcome.base_units, outcome.addon_units) == units


@pytest.mark.parametrize(
    ("practitioner", "expected"),
    [
        # Practitioner minutes also count on the staff track; the track worth more wins.
        ("19:59", []),
        ("20:00", [("99490", 1)]),  # 99491 needs 30
        ("29:59", [("99490", 1)]),
        ("30:00", [("99491", 1)]),  # $82.16 beats $60.00
        ("39:59", [("99491", 1)]),
        ("40:00", [("99490", 1), ("99439", 1)]),  # $105.93 beats $82.16
        ("89:59", [("99490", 1), ("99439", 2)]),
        ("90:00", [("99491", 1), ("99437", 2)]),  # $196.66 beats $151.86
    ],
)
def test_ccm_practitioner_only_time_2025(
    practitioner: str, expected: list[tuple[str, int]]
) -> None:
    assert lines_of("CCM", practitioner=practitioner) == expected


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        ("29:59", []),
        ("30:00", [("99426", 1)]),
        ("59:59", [("99426", 1)]),
        ("60:00", [("99426", 1), ("99427", 1)]),
        ("89:59", [("99426", 1), ("99427", 1)]),
        ("90:00", [("99426", 1), ("99427", 2)]),
        ("150:00", [("99426", 1), ("99427", 4)]),  # past the payer edit of 2: warned
    ],
)
def test_pcm_staff_track(year: int, staff: str, expected: list[tuple[str, int]]) -> None:
    assert lines_of("PCM", staff=staff, year=year) == expected


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize(
    ("practitioner", "expected"),
    [
        ("29:59", []),
        ("30:00", [("99424", 1)]),
        ("59:59", [("99424", 1)]),
        ("60:00", [("99424", 1), ("99425", 1)]),
        ("90:00", [("99424", 1), ("99425", 2)]),
    ],
)
def test_pcm_practitioner_track(
    year: int, practitioner: str, expected: list[tuple[str, int]]
) -> None:
    assert lines_of("PCM", practitioner=practitioner, year=year) == expected


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize(
    ("staff", "practitioner", "expected"),
    [
        ("19:59", "0:00", []),
        ("20:00", "0:00", [("99484", 1)]),
        ("10:00", "9:59", []),
        ("10:00", "10:00", [("99484", 1)]),  # the practitioner's minutes count too
        ("45:00", "0:00", [("99484", 1)]),
    ],
)
def test_bhi(year: int, staff: str, practitioner: str, expected: list[tuple[str, int]]) -> None:
    assert lines_of("BHI", staff=staff, practitioner=practitioner, year=year) == expected


@pytest.mark.parametrize(
    ("staff", "expected_2025", "expected_2026"),
    [
        ("9:59", [], []),
        ("10:00", [], [("99470", 1)]),
        ("19:59", [], [("99470", 1)]),
        ("20:00", [("99457", 1)], [("99457", 1)]),
        ("39:59", [("99457", 1)], [("99457", 1)]),
        ("40:00", [("99457", 1), ("99458", 1)], [("99457", 1), ("99458", 1)]),
        ("60:00", [("99457", 1), ("99458", 2)], [("99457", 1), ("99458", 2)]),
    ],
)
def test_rpm_treatment_management(
    staff: str, expected_2025: list[tuple[str, int]], expected_2026: list[tuple[str, int]]
) -> None:
    assert lines_of("RPM", staff=staff, year=2025) == expected_2025
    assert lines_of("RPM", staff=staff, year=2026) == expected_2026


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize(("program", "code"), [("CPO_HOME_HEALTH", "G0181"),
                                               ("CPO_HOSPICE", "G0182")])
@pytest.mark.parametrize(
    ("staff", "practitioner", "earns"),
    [
        ("0:00", "29:59", False),
        ("0:00", "30:00", True),
        ("120:00", "29:59", False),  # nurse time never counts toward CPO
        ("120:00", "0:00", False),
        ("0:00", "90:00", True),  # one unit a month
    ],
)
def test_care_plan_oversight(
    year: int, program: str, code: str, staff: str, practitioner: str, earns: bool
) -> None:
    got = lines_of(program, staff=staff, practitioner=practitioner, year=year)
    assert got == ([(code, 1)] if earns else [])


def test_each_entry_program_feeds_only_its_own_codes() -> None:
    seconds: dict[tuple[str, str | None], int] = {
        ("clinical_staff", "CCM"): mmss("15:00"),
        ("clinical_staff", "BHI"): mmss("15:00"),
        ("clinical_staff", "RPM"): mmss("15:00"),
    }
    result = evaluate_patient_month(
        PatientMonthTotals(seconds), CONSENTED, CONTACT, "2025-05", rules(2025)
    )
    assert result.lines == ()  # 45 minutes in all, but no program reaches 20
    seconds[("clinical_staff", "CCM")] = mmss("20:00")
    result = evaluate_patient_month(
        PatientMonthTotals(seconds), CONSENTED, CONTACT, "2025-05", rules(2025)
    )
    assert [(x.code, x.seconds) for x in result.lines] == [("99490", 1200)]


def test_minutes_never_carry_over_between_months() -> None:
    # 38 min of CCM staff time around a New York month end: 19 in January, 19 in February.
    ny = ZoneInfo("America/New_York")
    local = [
        (datetime(2025, 1, 20, 9, 0), datetime(2025, 1, 20, 9, 4)),
        (datetime(2025, 1, 31, 23, 45), datetime(2025, 2, 1, 0, 10)),  # split 15 / 10
        (datetime(2025, 2, 3, 14, 0), datetime(2025, 2, 3, 14, 9)),
    ]
    intervals = [(a.replace(tzinfo=ny).astimezone(UTC), b.replace(tzinfo=ny).astimezone(UTC))
                 for a, b in local]
    per_month = split_seconds_by_month(intervals, ny)
    assert per_month == {YearMonth(2025, 1): 19 * 60, YearMonth(2025, 2): 19 * 60}
    for ym, seconds in per_month.items():
        result = evaluate_patient_month(
            PatientMonthTotals({("clinical_staff", "CCM"): seconds}), CONSENTED, None, ym,
            rules(2025),
        )
        assert result.lines == ()
        assert [(n.code, n.seconds_needed) for n in result.next
                if n.chosen and n.program == "CCM"] == [("99490", 60)]


def test_rules_of_another_year_are_refused() -> None:
    with pytest.raises(ValueError, match="2026"):
        evaluate_patient_month(PatientMonthTotals({}), (), None, "2026-01", rules(2025))
