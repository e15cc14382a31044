"""APCM and CoCM through the real database (issue 15): the month report reads the patient's
recorded QMB status and chronic conditions for the APCM level (CY 2025 PFS final rule
CMS-1807-F), the CoCM enrolment's first month from its start (CMS-1654-F, CPT 2018), the 2026
behavioral-health add-on in place of the standalone code (CY 2026 PFS final rule CMS-1832-F),
APCM held beside CCM for the same practitioner, and the JSON carries it all."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.month import report
from ccm_timer.services.people import conditions, patients
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import NURSE, add_people

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York, Monday 2 March 2026
JANUARY = date(2026, 1, 5)
TOLD = "cost-sharing,one-practitioner,right-to-stop"
OLD = date(2019, 4, 1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def to(clock: ManualClock, when: datetime) -> None:
    if when > clock.now():
        clock.advance(when - clock.now())


def patient(ctx, *programs: str, consent: date = JANUARY, chronic=("E11.9", "I10"),
            qmb: bool | None = None, mrn: str = "T2001") -> None:
    if not ctx.settings.default_clinician:
        add_people(ctx, mrns=())
    patients.add(ctx, mrn=mrn, name="Testpatient, Ada", qmb=qmb)
    for program in programs:
        patients.set_consent(ctx, mrn, program, consent, "verbal", by=NURSE, disclosures=TOLD)
    for code in chronic:
        conditions.add(ctx, mrn, code, OLD)


def log(ctx, clock, day: date, minutes: int, category: str, mrn: str = "T2001") -> None:
    start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    to(clock, start + timedelta(minutes=minutes))
    entries.add_manual(ctx, patient_mrn=mrn, category_slug=category, start=start,
                       end=start + timedelta(minutes=minutes))


def month(ctx, ym: str, mrn: str = "T2001"):
    found = report.month_report(ctx, ym).patient(mrn)
    assert found is not None
    return found


def billable(p) -> list[tuple[str, int]]:
    return [(x.code, x.units) for x in p.result.lines if not x.held]


def held(p) -> dict[str, str | None]:
    return {x.code: x.hold_reason for x in p.result.lines if x.held}


def warning(p, code: str) -> str | None:
    return next((w.message for w in p.result.warnings if w.code == code), None)


# --- APCM: the level from the record and the recorded QMB status ------------------------------


def test_apcm_level_follows_the_recorded_qmb_status(ctx, clock):
    patient(ctx, "APCM")
    p = month(ctx, "2026-03")
    assert billable(p) == [("G0557", 1)]  # two chronic conditions, QMB not recorded
    assert "G0558" in (warning(p, "qmb_unknown") or "")
    patients.update(ctx, "T2001", qmb=True)
    p = month(ctx, "2026-03")
    assert billable(p) == [("G0558", 1)] and warning(p, "qmb_unknown") is None
    patients.update(ctx, "T2001", qmb=False)
    p = month(ctx, "2026-03")
    assert billable(p) == [("G0557", 1)] and warning(p, "qmb_unknown") is None


def test_apcm_with_one_chronic_condition_is_level_one_even_for_a_qmb(ctx, clock):
    patient(ctx, "APCM", chronic=("E11.9",), qmb=True)
    assert billable(month(ctx, "2026-03")) == [("G0556", 1)]


def test_an_apcm_patient_is_reported_with_no_time_logged(ctx, clock):
    patient(ctx, "APCM", qmb=False)
    data = report.month_report(ctx, "2026-03").to_dict()
    [p] = data["patients"]
    assert json.loads(json.dumps(data)) == data
    assert [(x["code"], x["program"], x["minutes"], x["held"]) for x in p["lines"]] == [
        ("G0557", "APCM", 0, False)]
    assert data["rules"]["codes"]["G0557"]["monthly"] is True
    assert [w["code"] for w in p["warnings"]] == ["payment_uncertain"]  # 2026: one vendor page


def test_apcm_without_consent_is_held_with_a_warning(ctx, clock):
    add_people(ctx, mrns=())
    patients.add(ctx, mrn="T2001", name="Testpatient, Ada", program="APCM", qmb=False)
    for code in ("E11.9", "I10"):
        conditions.add(ctx, "T2001", code, OLD)
    p = month(ctx, "2026-03")
    assert held(p) == {"G0557": "no APCM consent on file for this month"}
    assert "needs no minutes but is held" in (warning(p, "monthly_held") or "")


def test_apcm_beside_ccm_for_the_same_practitioner(ctx, clock):
    patient(ctx, "APCM", "CCM", qmb=False)
    log(ctx, clock, date(2026, 3, 3), 10, "phone-call")
    assert billable(month(ctx, "2026-03")) == [("G0557", 1)]  # 10 min earn no CCM code
    log(ctx, clock, date(2026, 3, 4), 35, "phone-call")
    p = month(ctx, "2026-03")
    assert billable(p) == [("99490", 1), ("99439", 1)]  # $114.13 beat G0557 ($54.00)
    assert "(CCM) in the same month by the same practitioner" in (held(p)["G0557"] or "")
    assert "APCM (G0557) cannot be billed in the same month as CCM" in (
        warning(p, "excluded_same_month") or "")


# --- CoCM: the first month from the enrolment's start ------------------------------------------


def test_cocm_first_month_then_later_months(ctx, clock):
    patient(ctx, "COCM", consent=date(2026, 3, 2), chronic=())
    log(ctx, clock, date(2026, 3, 3), 45, "cocm-care-manager")
    log(ctx, clock, date(2026, 3, 10), 30, "cocm-psychiatric-review")
    p = month(ctx, "2026-03")
    assert p.result.seconds_by_program == {"COCM": 75 * 60}
    assert billable(p) == [("99492", 1)]  # 75 min in the first month: 70 needed
    log(ctx, clock, date(2026, 4, 7), 65, "cocm-care-manager")
    assert billable(month(ctx, "2026-04")) == [("99493", 1)]  # 60 in a later month
    log(ctx, clock, date(2026, 5, 5), 40, "cocm-care-manager")
    assert billable(month(ctx, "2026-05")) == [("G2214", 1)]  # 30 min, any month


def test_cocm_time_before_the_enrolment_is_held_as_not_enrolled(ctx, clock):
    patient(ctx, chronic=())
    log(ctx, clock, date(2026, 3, 3), 75, "cocm-care-manager")
    p = month(ctx, "2026-03")
    assert billable(p) == [] and held(p) == {"99492": "not enrolled in COCM this month"}


# --- The 2026 add-on in place of the standalone code ------------------------------------------


def test_g0569_is_billed_with_apcm_in_place_of_99493(ctx, clock):
    patient(ctx, "APCM", "COCM", qmb=True)
    log(ctx, clock, date(2026, 3, 3), 65, "cocm-care-manager")
    p = month(ctx, "2026-03")
    assert billable(p) == [("G0558", 1), ("G0569", 1)]
    assert held(p) == {"99493": "billed as the APCM add-on G0569 instead"}
    assert warning(p, "addon_replaces_standalone")
    data = p.to_dict()
    assert [(x["code"], x["held"]) for x in data["lines"]] == [
        ("G0558", False), ("G0569", False), ("99493", True)]


def test_the_add_on_is_held_below_the_mirrored_minutes(ctx, clock):
    patient(ctx, "APCM", "COCM", qmb=True)
    log(ctx, clock, date(2026, 3, 3), 20, "cocm-care-manager")
    p = month(ctx, "2026-03")
    assert billable(p) == [("G0558", 1)]
    assert "G0569" in held(p)
    assert "20 min of CoCM work" in (warning(p, "addon_time_unconfirmed") or "")
