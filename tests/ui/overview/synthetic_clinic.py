"""A realistic synthetic clinic for November 2026 (no real people): programs mixed, minutes
near thresholds, consent missing here and there. Used by a test and for screenshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ccm_timer.services.month import month_flags
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.timing import entries

NOW = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)  # 17:00 in New York: end of a shift
NURSE, DOCTOR, AIDE = "Avery Nurse", "Dr Blake Test", "Casey Aide"

# MRN, name, program and consent ("" = enrolled, no consent; None = not enrolled),
# then (clinician, category, seconds) pieces of work this month
PATIENTS = [
    ("T2001", "Testpatient, Alma", "CCM", "2026-01-05", [(NURSE, "phone-call", 5 * 60)]),
    ("T2002", "Sample, José", "CCM", "", [(NURSE, "care-plan", 25 * 60)]),
    ("T2003", "Example, Chloé", "RPM", "2026-02-01", [(AIDE, "rpm-treatment", 12 * 60)]),
    ("T2004", "Demo, Walter", "CCM", "2025-11-12",
     [(NURSE, "phone-call", 20 * 60), (AIDE, "med-rec", 18 * 60)]),
    ("T2005", "Mockup, Ruth", "CCM", "2026-03-03",
     [(NURSE, "coordination", 25 * 60), (NURSE, "phone-call", 22 * 60),
      (AIDE, "records-review", 15 * 60)]),
    ("T2006", "Placeholder, Henry", "CCM", "2026-04-20",
     [(NURSE, "care-plan", 40 * 60), (NURSE, "coordination", 30 * 60),
      (AIDE, "phone-call", 25 * 60)]),
    ("T2007", "Fictional, Grace", "PCM", "2026-05-02", [(NURSE, "principal-care", 28 * 60)]),
    ("T2008", "Synthetic, Omar", "BHI", "2026-06-15",
     [(NURSE, "initial-evaluation", 22 * 60)]),
    ("T2009", "Trial, Beatriz", "CCM", "2026-01-20",
     [(NURSE, "phone-call", 21 * 60), (AIDE, "rpm-treatment", 19 * 60)]),
    ("T2010", "Specimen, Lars", "CCM", "2026-10-30", []),
    ("T2011", "Dummy, Mei", "CCM", "2026-02-14", [(DOCTOR, "care-plan", 32 * 60)]),
    ("T2012", "Testcase, Ivan", "RPM", "2026-07-07", [(AIDE, "rpm-treatment", 24 * 60)]),
    ("T2013", "Proto, Fatima", "CCM", "", [(NURSE, "phone-call", 14 * 60)]),
    ("T2014", "Sandbox, Kofi", "CCM", "2026-08-08", [(NURSE, "med-rec", 10 * 60 + 40)]),
    ("T2015", "Mockingbird, Sara", "CCM", "2026-09-09",
     [(NURSE, "phone-call", 25 * 60), (DOCTOR, "care-plan", 20 * 60)]),
    ("T2016", "Exemplar, Noah", None, None, [(NURSE, "phone-call", 15 * 60)]),
]
FLAGS = {"T2003": {"interactive_contact": True}, "T2012": {"interactive_contact": True},
         "T2006": {"complex_mdm": True, "care_plan_revised": True}}
EXTRA_ENROLLMENTS = [("T2009", "RPM", "2026-01-20")]


def build(ctx, clock) -> None:
    """Fill `ctx` (an empty database) and leave the clock at NOW."""
    clock.advance(NOW - clock.now())
    clinicians.add(ctx, name=NURSE, credential="RN", role="clinical_staff", default=True)
    clinicians.add(ctx, name=DOCTOR, credential="MD", role="practitioner", npi="1234567893")
    clinicians.add(ctx, name=AIDE, credential="MA", role="clinical_staff")
    slots: dict[str, datetime] = {}  # each clinician's next free start
    for i, (mrn, name, program, consent, work) in enumerate(PATIENTS):
        patients.add(ctx, mrn=mrn, name=name, birth_date=date(1940 + i, 1 + i % 12, 3),
                     program=program,
                     consent=date.fromisoformat(consent) if consent else None)
        for who, category, seconds in work:
            start = slots.get(who, datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
            entries.add_manual(ctx, patient_mrn=mrn, category_slug=category, start=start,
                               end=start + timedelta(seconds=seconds), clinician=who,
                               program="RPM" if category == "rpm-treatment" else None)
            # the next piece an hour later; after five, the next morning
            start += timedelta(hours=1)
            if start.hour >= 20:
                start = start.replace(hour=14) + timedelta(days=1)
            slots[who] = start
    for mrn, program, consent in EXTRA_ENROLLMENTS:
        patients.set_consent(ctx, mrn, program, date.fromisoformat(consent))
    for mrn, flags in FLAGS.items():
        month_flags.set_flags(ctx, mrn, "2026-11", **flags)
    add_today(ctx)


def add_today(ctx) -> None:
    """The nurse's shift today (24 November, New York): four calls and a meeting."""
    day = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 local
    for offset, minutes, mrn, category, note in (
        (0, 12, "T2001", "phone-call", "Follow-up on new inhaler"),
        (30, 9, "T2014", "med-rec", ""),
        (90, 45, None, "quality-improvement", "Monthly QI huddle"),
        (180, 16, "T2005", "coordination", "Home health visit schedule"),
        (300, 7, "T2013", "phone-call", "Left voicemail, then reached daughter"),
    ):
        start = day + timedelta(minutes=offset)
        entries.add_manual(ctx, patient_mrn=mrn, category_slug=category, start=start,
                           end=start + timedelta(minutes=minutes), clinician=NURSE, note=note)
