"""The report, the tray's month total, the export's activity log and the hub's figures are
one count (store/month_time.py): with a timer running and an entry over the month's first
midnight, they give the same seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccm_timer.services import exports
from ccm_timer.services.delivery import hub
from ccm_timer.services.month import report
from ccm_timer.services.timing import entries, timers, totals

OCT31_2330 = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 23:30 EDT; November begins at 04:00


def test_every_caller_counts_the_same_month_seconds(clinic, clock):
    entries.add_manual(clinic, patient_mrn="T1001", category_slug="phone-call",
                       start=OCT31_2330, end=OCT31_2330 + timedelta(minutes=50))  # 20 in Nov
    entries.add_manual(clinic, patient_mrn="T1001", category_slug="med-rec",
                       start=clock.now() - timedelta(hours=2),
                       end=clock.now() - timedelta(hours=1, minutes=53), clinician="Dr Blake Test")
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=12, seconds=40))
    expected = (20 + 7 + 12) * 60 + 40
    patient = report.month_report(clinic, "2026-11").patient("T1001")
    assert patient.result.total_seconds == expected
    assert totals.patient_month_seconds(clinic, "T1001") == expected
    doc, _ = exports.build(clinic, "2026-11", "T1001")
    assert sorted(e["seconds"] for e in doc["patients"][0]["entries"]) == [
        7 * 60, 12 * 60 + 40, 20 * 60]
    by_role = hub.month_seconds(clinic.engine, "2026-11", clinic.zone, clock.now())["T1001"]
    assert by_role == {("clinical_staff", "CCM"): (20 + 12) * 60 + 40,
                       ("practitioner", "CCM"): 7 * 60}
