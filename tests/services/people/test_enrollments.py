from datetime import date

from ccm_timer.services.people import enrollments, patients
from ccm_timer.store.models import Program


def test_recording_consent_keeps_an_ended_enrollment_ended(clinic):
    with clinic.write() as s:
        row = patients.find(s, "T1002")
        enrollments.enroll(s, clinic, row, Program.CCM, consent_date=None,
                           end_date=date(2026, 6, 30))
    view = patients.set_consent(clinic, "T1002", "CCM", date(2026, 1, 10), "verbal")
    [ccm] = view.enrollments
    assert (ccm.consent_date, ccm.consent_method, ccm.end_date) == (
        date(2026, 1, 10), "verbal", date(2026, 6, 30))
    with clinic.write() as s:
        enrollments.enroll(s, clinic, patients.find(s, "T1002"), Program.CCM,
                           consent_date=date(2026, 1, 10), end_date=None)  # reopened
    assert patients.get(clinic, "T1002").enrollments[0].end_date is None
