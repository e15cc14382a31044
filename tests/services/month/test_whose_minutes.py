"""The month report from a real database (issue 15): the billing practitioner's own minutes,
another practitioner's shown apart and counted by the clinic's setting, and no second
before a consent day inside the month.

Sources: NGS Medicare, Care Management (99491/99437 count "time only the billing
practitioner spends"); CMS CCM FAQ Q1 (the billing practitioner's own time may count toward
99490); Noridian JE, CCM Q&A (consent "is obtained once prior to furnishing"). Whether
another practitioner's time counts as clinical-staff time is the clinic's setting
other_practitioner_time (services/settings.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.month import report
from ccm_timer.services.people import clinicians, conditions, patients
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import CONSENT, NURSE, PHYSICIAN, set_billing_practitioner

NY = ZoneInfo("America/New_York")
DR_B = "Dr Nia Other"
AFTER = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)  # November closed


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A New York wall-clock time in 2026, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def log(ctx, start: datetime, minutes: float, who: str, mrn: str = "T1001"):
    return entries.add_manual(ctx, patient_mrn=mrn, category_slug="phone-call", start=start,
                              end=start + timedelta(seconds=round(minutes * 60)),
                              clinician=who)


@pytest.fixture
def practice(clinic, clock):
    """The clinic after November: Dr Blake Test bills for T1001; Dr Nia Other, an NP, is
    another practitioner (not incident to anyone yet)."""
    clock.advance(AFTER - clock.now())
    clinicians.add(clinic, name=DR_B, credential="NP", role="practitioner")
    set_billing_practitioner(clinic, "T1001", PHYSICIAN)
    return clinic


def patient(ctx, mrn: str = "T1001"):
    return report.month_report(ctx, "2026-11").patient(mrn)


def billed(p) -> list[tuple[str, int]]:
    return [(x.code, x.units) for x in p.result.billable_lines]


def said(p, code: str) -> str:
    [message] = [w.message for w in p.result.warnings if w.code == code]
    return message


def test_dr_b_s_minutes_are_shown_apart_and_never_dr_a_s(practice):
    log(practice, local(3, 9), 50, PHYSICIAN)
    log(practice, local(4, 9), 45, DR_B)
    p = patient(practice)
    # Dr A's 50 minutes alone: no 99437 (pooled, the 95 minutes made 99491 + 99437 x2).
    assert "99437" not in {x.code for x in p.result.lines}
    assert sum(x.seconds for x in p.result.lines) <= 50 * 60
    assert dict(p.result.seconds_by_role) == {"clinical_staff": 0, "practitioner": 3000,
                                              "other_practitioner": 2700}
    assert said(p, "other_practitioner").startswith(
        "Dr Nia Other's 45 min of CCM time are not the billing practitioner's own time; "
        "they are not counted toward 99491/99437, nor toward 99490/99439 or 99487/99489 as "
        "clinical-staff time (Dr Nia Other is not recorded as working incident to the "
        "billing practitioner;")
    data = p.to_dict()
    assert data["minutes"] == {"clinical_staff": 0, "practitioner": 50,
                               "other_practitioner": 45}
    assert data["other_practitioners"] == [{"name": DR_B, "program": "CCM", "seconds": 2700,
                                            "minutes": 45, "counted_as_staff": False}]


def test_incident_to_counts_dr_b_as_staff_time_under_the_default_setting(practice):
    log(practice, local(3, 9), 50, PHYSICIAN)
    log(practice, local(4, 9), 45, DR_B)
    clinicians.set_incident_to(practice, DR_B, True)
    p = patient(practice)
    # 95 staff-track minutes: 99490 + 99439 x2 (CPT caps 99439 at two); no 99437 still.
    assert billed(p) == [("99490", 1), ("99439", 2)]
    assert "they count as clinical-staff time toward 99490/99439" in said(
        p, "other_practitioner")
    assert p.to_dict()["other_practitioners"][0]["counted_as_staff"] is True
    # The clinic that never counts another practitioner's time: Dr A's 50 alone again.
    practice.update_settings(other_practitioner_time="never")
    p = patient(practice)
    assert sum(x.seconds for x in p.result.lines) <= 50 * 60
    assert "other_practitioner_time = never" in said(p, "other_practitioner")
    # ...and one that always does, incident to or not.
    clinicians.set_incident_to(practice, DR_B, False)
    practice.update_settings(other_practitioner_time="staff")
    assert billed(patient(practice)) == [("99490", 1), ("99439", 2)]


def test_dr_b_alone_35_minutes_earns_no_99491(practice):
    log(practice, local(4, 9), 35, DR_B)
    p = patient(practice)
    assert p.result.lines == ()
    assert "not the billing practitioner's own time" in said(p, "other_practitioner")


def test_no_billing_practitioner_named_holds_99491_and_says_how_to_name_one(practice):
    log(practice, local(4, 9), 35, PHYSICIAN, mrn="T1002")
    patients.set_consent(practice, "T1002", "CCM", date(2026, 1, 5), "verbal", by=NURSE,
                         disclosures=CONSENT["disclosures"])
    for code in ("E11.9", "I10"):
        conditions.add(practice, "T1002", code, date(2019, 4, 1))
    p = patient(practice, "T1002")
    assert [(x.code, x.held, x.hold_reason) for x in p.result.lines] == [
        ("99491", True, "no billing practitioner is named for the patient")]
    assert "`ccm-timer patient practitioner --mrn MRN --practitioner NAME`" in said(
        p, "no_billing_practitioner")
    patients.set_billing_practitioner(practice, "T1002", PHYSICIAN)
    assert billed(patient(practice, "T1002")) == [("99491", 1)]


def test_incident_to_is_recorded_audited_and_for_practitioners_only(practice):
    view = clinicians.set_incident_to(practice, DR_B, True)
    assert view.incident_to and view.to_dict()["incident_to"] is True
    clinicians.set_incident_to(practice, DR_B, True)  # unchanged: no second event
    with practice.engine.connect() as conn:
        events = conn.execute(text(
            "SELECT before, after FROM audit_event WHERE action = 'clinician.incident_to'"
        )).all()
    assert len(events) == 1 and "true" in events[0][1]
    with pytest.raises(UserError, match="clinical staff"):
        clinicians.set_incident_to(practice, NURSE, True)
    assert audit.check(practice).ok


# --- consent inside the month -------------------------------------------------------------


@pytest.fixture
def consented_15th(practice):
    """T1002, two chronic conditions, a complete CCM consent dated 15 November."""
    for code in ("E11.9", "I10"):
        conditions.add(practice, "T1002", code, date(2019, 4, 1))
    patients.set_consent(practice, "T1002", "CCM", date(2026, 11, 15), "verbal", by=NURSE,
                         disclosures=CONSENT["disclosures"])
    return practice


def test_no_second_before_the_consent_day_counts(consented_15th):
    # The case: 15 minutes on the 5th, 10 on the 20th; pooled, 25 made 99490.
    log(consented_15th, local(5, 10), 15, NURSE, mrn="T1002")
    log(consented_15th, local(20, 10), 10, NURSE, mrn="T1002")
    p = patient(consented_15th, "T1002")
    assert p.result.lines == ()
    assert dict(p.result.seconds_before_consent) == {"CCM": 15 * 60}
    assert p.result.seconds_by_role["clinical_staff"] == 10 * 60
    assert said(p, "consent_during_month").startswith(
        "The CCM consent is dated 2026-11-15: the 15 min logged for CCM before that day is "
        "shown apart and not counted")
    assert p.to_dict()["minutes_before_consent"] == {"CCM": 15}


def test_the_consent_day_counts_from_its_local_midnight(consented_15th):
    # An entry from 23:50 on the 14th to 00:20 on the 15th (New York): 10 minutes before,
    # 20 counted; the whole consent day counts (consent comes before the service that day).
    log(consented_15th, local(14, 23, 50), 30, NURSE, mrn="T1002")
    log(consented_15th, local(15, 8), 5, NURSE, mrn="T1002")
    p = patient(consented_15th, "T1002")
    assert dict(p.result.seconds_before_consent) == {"CCM": 10 * 60}
    assert p.result.seconds_by_program == {"CCM": 25 * 60}
    assert billed(p) == [("99490", 1)]


def test_a_consent_dated_after_the_month_is_said_so(practice):
    for code in ("E11.9", "I10"):
        conditions.add(practice, "T1002", code, date(2019, 4, 1))
    patients.set_consent(practice, "T1002", "CCM", date(2026, 12, 3), "verbal", by=NURSE,
                         disclosures=CONSENT["disclosures"])
    log(practice, local(10, 10), 25, NURSE, mrn="T1002")
    p = patient(practice, "T1002")
    assert [(x.code, x.hold_reason) for x in p.result.lines] == [
        ("99490", "CCM consent dated after this month")]
    assert "not_enrolled" not in {w.code for w in p.result.warnings}
    assert said(p, "no_consent").startswith("CCM consent dated after this month (2026-12-03)")
