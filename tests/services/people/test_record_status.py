"""What keeps a patient's record from billing, as the start dialog and the patient view say
it: one small read, judged by the rule file's eligibility, never the ICD-10-CM code set."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta

from ccm_timer.services.people import care_plan, conditions, patients
from ccm_timer.services.people.enrollments import EnrollmentView
from ccm_timer.services.people.record_status import (
    consent_missing,
    months_before,
    record_status,
)
from ccm_timer.store.models import Program

ALL = "cost-sharing,one-practitioner,right-to-stop"


def test_the_synthetic_clinic_as_the_start_dialog_reads_it(nov) -> None:
    alma, jose, chloe = (record_status(nov, m) for m in ("T1001", "T1002", "T1003"))
    assert (alma.programs, alma.problems, alma.chronic_conditions) == (
        ("CCM",), ("no care plan",), 2)
    assert alma.parts == {"care_plan"}
    assert jose.problems == ("no chronic condition (CCM needs 2)", "no CCM consent",
                             "no care plan")
    assert jose.parts == {"conditions", "consent", "care_plan"}
    # RPM needs a consent with how and by whom, no conditions and no care plan.
    assert (chloe.programs, chloe.problems, chloe.complete) == (("RPM",), (), True)


def test_the_problems_go_as_the_record_is_completed(nov) -> None:
    patients.set_consent(nov, "T1002", "CCM", date(2026, 11, 2), "verbal")
    assert record_status(nov, "T1002").problems[1] == (
        "CCM consent missing who obtained it and 3 disclosures")
    patients.set_consent(nov, "T1002", "CCM", date(2026, 11, 2), "verbal", by="Avery Nurse",
                         disclosures="cost-sharing,one-practitioner")
    conditions.add(nov, "T1002", "J44.9")
    conditions.add(nov, "T1002", "Z79.4")  # long-term insulin: a code, not a chronic one
    status = record_status(nov, "T1002")
    assert status.problems == ("1 chronic condition (CCM needs 2)",
                               "CCM consent missing the right-to-stop disclosure",
                               "no care plan")
    conditions.add(nov, "T1002", "E11.9")
    patients.set_consent(nov, "T1002", "CCM", date(2026, 11, 2), "verbal", disclosures=ALL)
    care_plan.add(nov, "T1002", "problem", "COPD, two flares this year", "J44.9",
                  actor="Dr Blake Test")
    assert record_status(nov, "T1002").problems == ("care plan never reviewed",)
    care_plan.review(nov, "T1002", as_name="Dr Blake Test")
    done = record_status(nov, "T1002")
    assert (done.problems, done.complete, done.reviewed_on) == ((), True, date(2026, 11, 20))


def test_a_review_older_than_twelve_months_is_stale(nov, clock) -> None:
    clock.jump(timedelta(days=-400))  # 16 October 2025
    care_plan.add(nov, "T1001", "goal", "A1c below 7.5", actor="Dr Blake Test")
    care_plan.review(nov, "T1001", as_name="Dr Blake Test")
    clock.jump(timedelta(days=400))
    assert record_status(nov, "T1001").problems == (
        "care plan not reviewed since 2025-10-16",)
    clock.jump(timedelta(days=-40))  # 11 October 2026: within the twelve months
    assert record_status(nov, "T1001").complete


def test_a_withdrawn_program_no_longer_counts(nov) -> None:
    patients.withdraw_consent(nov, "T1002", "CCM", date(2026, 11, 19), "Moved away")
    status = record_status(nov, "T1002")
    assert (status.programs, status.problems) == ((), ())


def test_consent_missing_asks_only_what_the_program_needs() -> None:
    rpm = EnrollmentView(None, Program.RPM, date(2026, 2, 1), "verbal", None, None,  # type: ignore[arg-type]
                         consent_by=None)
    assert consent_missing(rpm, ("method", "obtained_by")) == ("who obtained it",)
    assert consent_missing(rpm, ()) == ()
    none = EnrollmentView(None, Program.CCM, None, None, None, None)  # type: ignore[arg-type]
    assert consent_missing(none, ("method",)) == ("the consent date",)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(datetime(2026, 11, 20).date(), 12) == date(2025, 11, 20)


def test_it_never_reads_the_code_set() -> None:
    """The start dialog asks at every selection: the 2 s code set must stay unread."""
    code = ("import sys; import ccm_timer.services.people.record_status; "
            "import ccm_timer.ui.start_dialog; "
            "assert 'simple_icd_10_cm' not in sys.modules, 'code set imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
