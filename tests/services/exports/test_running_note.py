"""A timer still running is counted up to now, in the note's total and in its own line
(issue 12: the line once counted it to the end of the month)."""

from __future__ import annotations

from datetime import timedelta

from ccm_timer.services.exports import notes
from ccm_timer.services.timing import timers


def test_running_timer_counts_to_now_in_the_month_summary(clinic, clock):
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")  # 10:00 New York
    clock.advance(timedelta(minutes=12))
    note = notes.month_summary(clinic, "2026-11", "T1001")
    assert "Total time this month: 12 min (clinical staff 12 min," in note
    [line] = [x for x in note.splitlines() if "-running" in x]
    assert line.endswith("10:00-running, 12 min, Avery Nurse, RN: Phone call with patient or "
                         "caregiver")


def test_running_timer_note_for_its_entry(clinic, clock):
    entry = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(timedelta(minutes=12))
    note = notes.note_for_entry(clinic, entry.id)
    assert "10:00-still running EST (12 min)" in note
