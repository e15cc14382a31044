"""Eligibility through the real database: which conditions the month report counts (since
dates, removals, the clinic's override of the chronic list) and what it holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ccm_timer.core.access import Action
from ccm_timer.core.clock import ManualClock
from ccm_timer.services.month import report
from ccm_timer.services.people import conditions, patients
from ccm_timer.services.timing import entries
from tests.fixtures.clinic import NURSE, add_people, signer

START = datetime(2025, 10, 1, 14, 0, tzinfo=UTC)  # 10:00 in New York
DISCLOSURES = "cost-sharing,one-practitioner,right-to-stop"
HELD_SHORT = "fewer than 2 chronic condition(s) on file"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)  # the autumn of 2025: October and November are both there


def to(clock: ManualClock, when: datetime) -> None:
    assert when >= clock.now(), "the clock only moves forward here"
    clock.advance(when - clock.now())


def patient(ctx, mrn="T2001", program="CCM", codes=(), disclosures=DISCLOSURES) -> None:
    """The staff (once), a patient consented on 2 September 2025 and its conditions."""
    if not ctx.settings.default_clinician:
        add_people(ctx, mrns=())
    patients.add(ctx, mrn=mrn, name="Testpatient, Ada", program=program,
                 consent=date(2025, 9, 2), consent_method="verbal", consent_by=NURSE,
                 disclosures=disclosures)
    for code, since in codes:
        conditions.add(ctx, mrn, code, since)


def log(ctx, clock, day: date, minutes: int = 25, mrn="T2001", program=None) -> None:
    """Staff time at 10:00 New York on `day`; the clock moves past it if it must."""
    start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    if clock.now() < start + timedelta(minutes=minutes):
        to(clock, start + timedelta(minutes=minutes))
    entries.add_manual(ctx, patient_mrn=mrn, category_slug="phone-call", start=start,
                       end=start + timedelta(minutes=minutes), program=program)


def month(ctx, ym: str, mrn="T2001"):
    found = report.month_report(ctx, ym).patient(mrn)
    assert found is not None
    return found


def billable(p) -> list[str]:
    return [line.code for line in p.result.lines if not line.held]


def held(p) -> dict[str, str | None]:
    return {line.code: line.hold_reason for line in p.result.lines if line.held}


def warning(p, code: str) -> str | None:
    return next((w.message for w in p.result.warnings if w.code == code), None)


OLD = date(2019, 4, 1)


def test_one_chronic_and_one_acute_condition_hold_ccm(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD), ("J06.9", date(2025, 9, 28))))
    log(ctx, clock, date(2025, 10, 6))
    p = month(ctx, "2025-10")
    assert {c.code: c.chronic for c in p.record.conditions} == {"E11.9": True, "J06.9": False}
    assert billable(p) == [] and held(p) == {"99490": HELD_SHORT}
    assert warning(p, "too_few_conditions") == (
        "CCM needs 2 chronic conditions on file and 1 is recorded; 1 claim line is held "
        "until they are added to the patient record (CMS MLN909188).")
    # Doing what the warning says releases the line.
    conditions.add(ctx, "T2001", "I10", date(2015, 6, 1))
    p = month(ctx, "2025-10")
    assert billable(p) == ["99490"] and warning(p, "too_few_conditions") is None


def test_no_condition_at_all_says_none(ctx, clock):
    patient(ctx)
    log(ctx, clock, date(2025, 10, 6))
    assert "and none is recorded" in warning(month(ctx, "2025-10"), "too_few_conditions")


@pytest.mark.parametrize(("removed", "counts_in_november"), [
    (datetime(2025, 10, 20, 15, 0, tzinfo=UTC), False),
    (datetime(2025, 11, 1, 3, 59, tzinfo=UTC), False),  # 23:59 on 31 October in New York
    (datetime(2025, 11, 1, 4, 0, tzinfo=UTC), True),  # midnight, 1 November in New York
    (datetime(2025, 11, 20, 15, 0, tzinfo=UTC), True),
])
def test_a_removed_condition_counts_in_its_month_and_not_after(ctx, clock, removed,
                                                               counts_in_november):
    patient(ctx, codes=(("E11.9", OLD), ("I10", OLD)))
    log(ctx, clock, date(2025, 10, 6))
    to(clock, removed)
    conditions.remove(ctx, "T2001", "I10", "entered for the wrong patient",
                      by=signer(ctx, NURSE, Action.REMOVE_CONDITION))
    log(ctx, clock, date(2025, 11, 28))
    assert billable(month(ctx, "2025-10")) == ["99490"]  # before the removal
    november = month(ctx, "2025-11")
    assert (billable(november) == ["99490"]) is counts_in_november
    assert ("I10" in {c.code for c in november.record.conditions}) is counts_in_november
    if not counts_in_november:
        assert set(held(november).values()) == {HELD_SHORT}


def test_a_since_date_after_the_month_does_not_count_for_it(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD),))
    log(ctx, clock, date(2025, 10, 6))
    log(ctx, clock, date(2025, 11, 6))
    conditions.add(ctx, "T2001", "I10", date(2025, 11, 5))  # diagnosed in November
    assert held(month(ctx, "2025-10")) == {"99490": HELD_SHORT}
    assert billable(month(ctx, "2025-11")) == ["99490"]


def test_a_since_date_on_the_months_last_day_counts(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD),))
    log(ctx, clock, date(2025, 10, 6))
    to(clock, datetime(2025, 11, 1, 15, 0, tzinfo=UTC))
    conditions.add(ctx, "T2001", "I10", date(2025, 10, 31))
    assert billable(month(ctx, "2025-10")) == ["99490"]


def test_a_condition_recorded_after_the_month_counts_from_its_since_date(ctx, clock):
    # Billing is done after the month: the diagnosis the warning asks for, recorded on
    # 3 November with its real date, releases October's line.
    patient(ctx, codes=(("E11.9", OLD),))
    log(ctx, clock, date(2025, 10, 6))
    assert held(month(ctx, "2025-10")) == {"99490": HELD_SHORT}
    to(clock, datetime(2025, 11, 3, 15, 0, tzinfo=UTC))
    conditions.add(ctx, "T2001", "I10", date(2015, 6, 1))
    assert billable(month(ctx, "2025-10")) == ["99490"]


def test_a_condition_without_a_since_date_counts_from_when_it_was_recorded(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD),))
    log(ctx, clock, date(2025, 10, 6))
    to(clock, datetime(2025, 11, 3, 15, 0, tzinfo=UTC))
    conditions.add(ctx, "T2001", "I10")  # no date: the record is the only evidence
    log(ctx, clock, date(2025, 11, 4))
    assert held(month(ctx, "2025-10")) == {"99490": HELD_SHORT}
    assert billable(month(ctx, "2025-11")) == ["99490"]


def test_the_clinics_override_file_changes_the_outcome(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD), ("I10", OLD)))
    log(ctx, clock, date(2025, 10, 6))
    assert billable(month(ctx, "2025-10")) == ["99490"]
    override = ctx.paths.settings_dir / "chronic_conditions.toml"
    override.write_text('schema = 1\nnot_chronic = ["I10"]\n', encoding="utf-8")
    p = month(ctx, "2025-10")
    assert {c.code: c.chronic for c in p.record.conditions} == {"E11.9": True, "I10": False}
    assert held(p) == {"99490": HELD_SHORT}
    assert "1 is recorded" in warning(p, "too_few_conditions")
    # A category the clinic adds counts like a shipped one.
    override.write_text('schema = 1\nnot_chronic = ["I10"]\n[[category]]\nname = "Clinic: '
                        'recurrent upper respiratory infection"\ncodes = ["J06"]\n',
                        encoding="utf-8")
    conditions.add(ctx, "T2001", "J06.9", date(2025, 9, 1))
    assert billable(month(ctx, "2025-10")) == ["99490"]


def test_a_broken_override_file_is_one_sentence(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD), ("I10", OLD)))
    log(ctx, clock, date(2025, 10, 6))
    (ctx.paths.settings_dir / "chronic_conditions.toml").write_text(
        'not_chronic = "I10"\n', encoding="utf-8")
    from ccm_timer.errors import UserError

    with pytest.raises(UserError, match="chronic-condition list cannot be used.*`not_chronic`"):
        report.month_report(ctx, "2025-10")


@pytest.mark.parametrize(("codes", "bills"), [((), False), ((("I10", OLD),), True)])
def test_pcm_needs_one_chronic_condition(ctx, clock, codes, bills):
    patient(ctx, program="PCM", codes=codes)
    log(ctx, clock, date(2025, 10, 6), minutes=30, program="PCM")
    p = month(ctx, "2025-10")
    if bills:
        assert billable(p) == ["99426"]
    else:
        assert held(p) == {"99426": "fewer than 1 chronic condition(s) on file"}


def test_rpm_needs_no_condition(ctx, clock):
    from ccm_timer.services.month import month_flags

    patient(ctx, program="RPM")
    log(ctx, clock, date(2025, 10, 6), minutes=20, program="RPM")
    month_flags.set_flags(ctx, "T2001", "2025-10", interactive_contact=True)
    p = month(ctx, "2025-10")
    assert billable(p) == ["99457"] and p.result.warnings == ()


def test_a_consent_without_its_disclosures_holds_ccm(ctx, clock):
    patient(ctx, codes=(("E11.9", OLD), ("I10", OLD)), disclosures="cost-sharing")
    log(ctx, clock, date(2025, 10, 6))
    p = month(ctx, "2025-10")
    assert held(p) == {"99490": "the CCM consent is incomplete"}
    assert warning(p, "consent_incomplete") == (
        "The CCM consent on file does not record that only one practitioner can bill the "
        "service in a month and that the patient may stop at any time; 1 claim line is held "
        "until the consent is completed in the patient record (CMS MLN909188).")
    patients.set_consent(ctx, "T2001", "CCM", date(2025, 9, 2), "verbal", by=NURSE,
                         disclosures=DISCLOSURES)
    assert billable(month(ctx, "2025-10")) == ["99490"]


def _copy(ctx, mrn: str, **fields) -> None:
    """Another workstation's copy of the patient's CCM enrollment, as a bundle brings it."""
    from ccm_timer.store.models import Enrollment, Program

    with ctx.write() as s:
        pid = patients.find(s, mrn).id
        s.add(Enrollment(patient_id=pid, program=Program.CCM, **fields))


def test_of_two_copies_of_a_consent_the_complete_one_decides(ctx, clock) -> None:
    """Same consent date on two workstations, one copy recorded without its disclosures:
    the report reads the complete copy, whichever row comes first."""
    patient(ctx, codes=(("E11.9", None), ("I10", None)), disclosures="")  # stored first
    _copy(ctx, "T2001", consent_date=date(2025, 9, 2), start_date=date(2025, 9, 2),
          consent_method="verbal", consent_by=NURSE, disclosed_cost_sharing=True,
          disclosed_one_practitioner=True, disclosed_right_to_stop=True)
    log(ctx, clock, date(2025, 10, 6))
    assert billable(month(ctx, "2025-10")) == ["99490"]


def test_a_withdrawal_recorded_on_another_copy_ends_the_enrollment(ctx, clock) -> None:
    patient(ctx, codes=(("E11.9", None), ("I10", None)))
    _copy(ctx, "T2001", consent_date=date(2025, 9, 2), start_date=date(2025, 9, 2),
          end_date=date(2025, 10, 20), withdrawn_on=date(2025, 10, 20),
          withdrawal_reason="patient asked to stop")
    log(ctx, clock, date(2025, 10, 6))
    log(ctx, clock, date(2025, 11, 4))
    assert billable(month(ctx, "2025-10")) == ["99490"]  # withdrawn late in the month
    november = month(ctx, "2025-11")
    assert billable(november) == []
    assert "not_enrolled" in {w.code for w in november.result.warnings}
