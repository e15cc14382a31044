"""Today: one clinician's entries of one clinic day, and the day's total."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ccm_timer.services.timing import entries, timers
from ccm_timer.services.timing.today import day_bounds_utc, day_summary
from ccm_timer.ui.overview import open_today
from ccm_timer.ui.overview.today_window import TodayView
from tests.fixtures.clinic import log

NOV_20 = date(2026, 11, 20)


def test_day_summary_counts_only_that_clinicians_day_in_the_clinic_zone(nov, clock):
    log(nov, "T1001", 12, day=20, hour=14)  # 09:00 New York
    log(nov, None, 30, day=20, hour=15, category="quality-improvement")
    log(nov, "T1002", 20, day=20, hour=14, clinician="Dr Blake Test")  # someone else
    log(nov, "T1001", 5, day=19, hour=14)  # yesterday
    # 23:50 to 00:10 New York, ending on the 20th: only the 10 minutes after midnight count.
    start = datetime(2026, 11, 20, 4, 50, tzinfo=UTC)
    entries.add_manual(nov, patient_mrn="T1003", category_slug="rpm-treatment", start=start,
                       end=start + timedelta(minutes=20))
    summary = day_summary(nov)
    assert (summary.day, summary.clinician, summary.zone) == (
        NOV_20, "Avery Nurse", "America/New_York")
    assert [(e.entry.patient_mrn, e.seconds) for e in summary.entries] == [
        ("T1003", 600), ("T1001", 720), (None, 1800)]
    assert (summary.total_seconds, summary.patient_seconds) == (3120, 1320)
    doctor = day_summary(nov, "Dr Blake Test")
    assert [e.seconds for e in doctor.entries] == [1200]
    assert [e.seconds for e in day_summary(nov, day=date(2026, 11, 19)).entries] == [
        300, 600]  # the crossing entry's first 10 minutes


def test_a_running_timer_counts_up_to_now(nov, clock):
    timers.start(nov, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(7 * 60)
    (live,) = day_summary(nov).entries
    assert (live.live, live.seconds) == (True, 420)


def test_a_day_of_a_clock_change_is_25_hours_long():
    start, end = day_bounds_utc(date(2026, 11, 1), ZoneInfo("America/New_York"))
    assert end - start == timedelta(hours=25)


def test_today_view_lists_the_days_entries_and_the_total(qtbot, nov):
    log(nov, "T1001", 12, day=20, hour=14, note="Inhaler follow-up")
    log(nov, None, 45, day=20, hour=15, category="quality-improvement")
    log(nov, "T1002", 33, day=20, hour=16)
    log(nov, "T1002", 9, day=19, hour=16)
    window = open_today(nov, None)
    qtbot.addWidget(window)
    assert isinstance(window, TodayView)
    assert window.windowTitle() == "Today's time — CCM Timer"
    assert window.heading.text() == "Today: Avery Nurse"
    model = window.model
    assert [[model.index(r, c).data() for c in (0, 1, 2, 3)] for r in range(model.rowCount())
            ] == [["09:00", "09:12", "12", "Testpatient, Alma"],
                  ["10:00", "10:45", "45", "(program-level, no patient)"],
                  ["11:00", "11:33", "33", "Sample, José"]]
    assert window.total.text() == (
        "Total: 1 h 30 min in 3 entries (45 min for patients, 45 min program-level).")
    window.day.setDate(window.day.date().addDays(-1))
    assert window.heading.text() == "Yesterday: Avery Nurse"
    assert window.total.text() == "Total: 9 min in 1 entry."
    window.show_day(NOV_20)
    assert model.rowCount() == 3


def test_today_view_for_a_day_without_time_and_for_another_clinician(qtbot, nov):
    window = open_today(nov, "Dr Blake Test")
    qtbot.addWidget(window)
    assert window.heading.text() == "Today: Dr Blake Test"
    assert window.total.text() == "No time recorded on this day."
    log(nov, "T1001", 31, day=20, hour=13, clinician="Dr Blake Test")
    window.reload()
    assert window.total.text() == "Total: 31 min in 1 entry."


def test_today_view_explains_a_missing_clinician(qtbot, ctx):
    window = open_today(ctx, None)
    qtbot.addWidget(window)
    assert window.error.isVisibleTo(window)
    assert "clinician" in window.error.text()


def test_an_entry_opens_in_its_patient_month_and_a_correction_updates_the_total(
        qtbot, nov, signed_in, attest):
    log(nov, "T1001", 12, day=20, hour=14)
    log(nov, None, 30, day=20, hour=15, category="quality-improvement")
    window = open_today(nov, None)
    window.signer = signed_in(nov)
    qtbot.addWidget(window)
    assert window.open_patient(1) is None and "no patient" in window.error.text()
    patient = window.open_patient(0)
    assert patient.month == "2026-11" and patient.selected_entry().seconds == 720
    dialog = patient.edit_selected()
    dialog.end.setDateTime(dialog.end.dateTime().addSecs(8 * 60))
    dialog.reason.setText("Forgot to stop the timer late")
    dialog.submit()
    attest(patient)
    assert window.total.text() == "Total: 50 min in 2 entries (20 min for patients, 30 min " \
        "program-level)."


def test_presenting_again_reads_the_latest_time(qtbot, nov):
    window = open_today(nov, None)
    qtbot.addWidget(window)
    log(nov, "T1001", 5, day=20, hour=14)  # stopped from the tray meanwhile
    assert window.model.rowCount() == 0
    window.present()
    assert window.model.rowCount() == 1
