"""A deterministic synthetic clinic for export tests: fixed clock, fixed times, no real PHI.

November 2026 in New York:
- T1001 Testpatient, Alma (CCM, consent): three nurse calls and a physician care-plan
  review; billing practitioner Dr Blake Test.
- T1002 Sample, José (CCM, no consent): one care-plan entry; its 99490 is held.
- T1003 Example, Chloé (RPM, consent): two reading reviews, no interactive contact (held).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.timing import entries
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.store.models import Clinician, Patient

MONTH = "2026-11"
DAY = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
AFTER = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # month closed, 10:00 in New York


def set_billing_practitioner(ctx, mrn: str, name: str) -> None:
    """No service sets it yet (see the report): write the column as a roster import would."""
    with ctx.write() as session:
        who = session.exec(select(Clinician).where(Clinician.name == name)).one()
        row = session.exec(select(Patient).where(Patient.mrn == mrn)).one()
        row.billing_practitioner_id = who.id
        session.add(row)


def add(ctx, mrn: str, slug: str, day: int, minutes: int, note: str = "", *,
        clinician: str | None = None, program: str | None = None, hour: int = 0,
        seconds: int = 0) -> EntryView:
    start = DAY + timedelta(days=day, hours=hour)
    return entries.add_manual(ctx, patient_mrn=mrn, category_slug=slug, start=start,
                              end=start + timedelta(minutes=minutes, seconds=seconds),
                              note=note, clinician=clinician, program=program)


def build(ctx, clock: ManualClock) -> dict[str, EntryView]:
    clock.advance(AFTER - clock.now())
    clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff",
                   default=True)
    clinicians.add(ctx, name="Dr Blake Test", credential="MD", role="practitioner",
                   npi="1234567893")
    patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                 consent=date(2026, 1, 5), birth_date=date(1950, 2, 3))
    patients.add(ctx, mrn="T1002", name="Sample, José", program="CCM",
                 birth_date=date(1948, 7, 19))
    patients.add(ctx, mrn="T1003", name="Example, Chloé", program="RPM",
                 consent=date(2026, 2, 1))
    set_billing_practitioner(ctx, "T1001", "Dr Blake Test")
    made = {
        "call1": add(ctx, "T1001", "phone-call", 0, 12,
                     "Reviewed home BP log; advised to keep the evening dose."),
        "call2": add(ctx, "T1001", "phone-call", 1, 12, "Follow-up call.\nNo new symptoms."),
        "call3": add(ctx, "T1001", "med-rec", 2, 12, "Medication list reconciled."),
        "plan": add(ctx, "T1001", "care-plan", 6, 31, "Care plan revised: goals for A1c.",
                    clinician="Dr Blake Test", seconds=20),
        "jose": add(ctx, "T1002", "care-plan", 5, 25, "Care plan drafted."),
        "rpm1": add(ctx, "T1003", "phone-call", 8, 11, "Reviewed readings.", program="RPM"),
        "rpm2": add(ctx, "T1003", "phone-call", 9, 11, "Reviewed readings.", program="RPM"),
    }
    return made
