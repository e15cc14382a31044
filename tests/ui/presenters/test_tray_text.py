"""The words the tray shows a nurse."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from ccm_timer.core.clock_watch import ClockWatch
from ccm_timer.services.security import credentials
from ccm_timer.services.timing import categories, recovery, timers, totals
from ccm_timer.ui.presenters import tray_status, tray_text
from ccm_timer.ui.presenters.tray_status import TrayStatus
from tests.fixtures.clinic import NURSE, PASSWORD

NBSP = "\u00a0"


def test_clock_and_minutes_formats() -> None:
    assert tray_text.clock(0) == "0:00:00"
    assert tray_text.clock(3 * 3600 + 7 * 60 + 5) == "3:07:05"
    assert tray_text.minutes(45) == "45 s"
    assert tray_text.minutes(20 * 60 - 1) == "19 min"  # billing never rounds up
    assert tray_text.minutes(65 * 60) == "1 h 05 min"


def test_tooltip_masks_the_patient_unless_full_names_are_chosen(clinic, clock) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(75)
    snap = tray_status.snapshot(clinic)
    assert tray_text.tooltip(snap, 75).splitlines()[-1] == "Nobody is signed in"
    snap = replace(snap, signer=credentials.verify(clinic, NURSE, PASSWORD))
    tip = tray_text.tooltip(snap, 75)
    assert tip.splitlines() == [
        "CCM Timer: Running 0:01:15",
        f"Phone call with patient or caregiver — A.T.{NBSP}…001",
        "Signed in: Avery Nurse",
    ]
    locked = tray_text.tooltip(replace(snap, locked=True), 75)  # the privacy lock is on
    assert locked.splitlines() == ["CCM Timer: Running 0:01:15", "Signed in: Avery Nurse"]
    assert "Testpatient" not in tip and "T1001" not in tip
    clinic.update_settings(mask_patients=False)
    tip = tray_text.tooltip(tray_status.snapshot(clinic), 75)
    assert "Testpatient, Alma (T1001)" in tip


def test_headlines_for_each_state() -> None:
    assert tray_text.headline(TrayStatus("setup"), 0) == "No clinician set up yet"
    assert tray_text.headline(TrayStatus("idle"), 0) == "No timer running"
    assert tray_text.headline(TrayStatus("paused"), 61) == "Paused at 0:01:01"
    assert tray_text.headline(TrayStatus("idle", problem="x"), 0) == "Cannot read the timers"
    tip = tray_text.tooltip(TrayStatus("running", pending_recovery=1), 0)
    assert tip.splitlines() == ["CCM Timer: Timer left running: decide",
                                "Nobody is signed in",
                                "Open the menu to decide what to record."]


def test_recorded_confirmation(clinic, clock) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(12 * 60 + 59)
    headline, details = tray_text.recorded(totals.recorded(clinic, timers.stop(clinic)), True)
    assert headline == "Recorded 12 min"
    assert details.splitlines() == [
        "Phone call with patient or caregiver",
        f"Patient: A.T.{NBSP}…001",
        "This month for this patient (all staff): 12 min",
    ]


def test_activity_names_its_program(clinic) -> None:
    by_slug = {c.slug: c for c in categories.list_categories(clinic)}
    assert tray_text.activity(by_slug["initial-evaluation"]).endswith("· BHI")
    assert tray_text.activity(by_slug["cpo-hospice"]).endswith("· CPO")
    assert tray_text.activity(by_slug["program-monitoring"]).endswith("· no patient")


def test_recovery_and_gap_questions_say_what_happened(clinic, clock) -> None:
    zone = ZoneInfo("America/New_York")
    view = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    recovery.beat(clinic, pid=0)  # the app quit, leaving it running
    clock.advance(600)
    (orphan,) = recovery.pending(clinic)
    headline, text = tray_text.recovery_question(orphan, zone, clock.now(), True)
    assert headline == "A timer was left running"
    assert "Started at 10:00. CCM Timer last saw it at 10:00" in text
    assert "the app was closed while the timer ran" in text and "Testpatient" not in text
    watch = ClockWatch(clock)
    watch.reset()
    clock.advance(1)
    clock.jump(timedelta(minutes=90))
    headline, text = tray_text.gap_question(watch.check(), view, zone, clock.now(), True)
    assert headline == "The computer slept or its clock jumped"
    assert "From 10:10 to 11:40 (1 h 30 min) this timer was not watched" in text
