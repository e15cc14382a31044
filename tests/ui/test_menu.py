"""The tray menu, built from each state, and what its items do to the database; who is
signed in, and switching person (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from ccm_timer.errors import UserError
from ccm_timer.services.people import access
from ccm_timer.services.timing import entries, timers
from tests.fixtures.clinic import PASSWORD
from tests.fixtures.tray import open_menu, trigger

PERSON = ["Signed in: Avery Nurse, RN", "Switch p&erson", "Sign o&ut"]

NBSP = "\u00a0"
TAIL = ["-", "Add time by &hand…", "-", "Month &overview…", "Wor&klist: who needs time…",
        "To&day's time…", "Copy note for the &last entry", "-", "Pat&ients…",
        "E&xport billing files…", "Month dash&board…", "-", "Setti&ngs…", "&Quit"]


def _stopped(clinic, clock, mrn: str, slug: str, minutes: int = 5) -> None:
    timers.start(clinic, patient_mrn=mrn, category_slug=slug)
    clock.advance(minutes * 60)
    timers.stop(clinic)
    clock.advance(60)


def test_idle_without_recent_pairs(tray) -> None:
    assert open_menu(tray) == [
        "No timer running", *PERSON, "-", "&Start timer…", *TAIL]
    assert tray.menu.defaultAction().text() == "&Start timer…"


def test_idle_with_recent_pairs_one_click_starts(clinic, clock, make_tray) -> None:
    _stopped(clinic, clock, "T1002", "care-plan")
    _stopped(clinic, clock, "T1001", "phone-call")
    tray = make_tray(clinic)
    assert open_menu(tray)[5:11] == [
        "&Start timer…", "-", "Start a recent one:",
        f"&1  A.T.{NBSP}…001 · Phone call with patient or caregiver",
        f"&2  J.S.{NBSP}…002 · Care-plan review or revision",
        "-",
    ]
    trigger(tray, "&2")
    status = timers.status(clinic)
    assert status.state == "running"
    assert (status.entry.patient_mrn, status.entry.category) == ("T1002", "care-plan")


def test_running_menu_pause_and_resume(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(95)
    tray = make_tray(clinic)
    assert open_menu(tray) == [
        "Running 0:01:35", f"Phone call with patient or caregiver — A.T.{NBSP}…001",
        *PERSON, "-", "&Pause", "S&top…",
        "S&witch to another patient or activity…", *TAIL]
    assert tray.menu.defaultAction().text() == "S&top…"
    trigger(tray, "&Pause")
    assert timers.status(clinic).state == "paused"
    clock.advance(30)
    menu = open_menu(tray)
    assert menu[0] == "Paused at 0:01:35" and "&Resume" in menu and "&Pause" not in menu
    trigger(tray, "&Resume")
    assert timers.status(clinic).state == "running"


def test_running_with_recent_pairs_switches_and_hides_the_running_pair(
        clinic, clock, make_tray) -> None:
    _stopped(clinic, clock, "T1002", "care-plan")
    _stopped(clinic, clock, "T1001", "phone-call")
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(120)
    tray = make_tray(clinic)
    menu = open_menu(tray)
    recent = menu[menu.index("Switch to a recent one:") + 1:]
    assert recent[0] == f"&1  J.S.{NBSP}…002 · Care-plan review or revision"
    assert not any("…001" in line for line in recent)
    trigger(tray, "&1")
    current = entries.list_entries(clinic)
    assert [(e.patient_mrn, e.state) for e in current][-2:] == [
        ("T1001", "stopped"), ("T1002", "running")]
    assert current[-2].seconds == 120


def test_full_names_when_the_user_chose_them(clinic, clock, make_tray) -> None:
    clinic.update_settings(mask_patients=False)
    timers.start(clinic, patient_mrn="T1002", category_slug="phone-call")
    tray = make_tray(clinic)
    assert open_menu(tray)[1].endswith("Sample, José (T1002)")


def test_switching_person_is_two_clicks_and_the_password(
        clinic, clock, make_tray, qtbot) -> None:
    tray = make_tray(clinic)
    tray.menu.aboutToShow.emit()
    sub = next(a.menu() for a in tray.menu.actions() if a.menu() is not None)
    assert [a.text() for a in sub.actions()] == ["Dr Blake Test, MD…", "",
                                                 "Choose from the list…"]
    sub.actions()[0].trigger()  # the second click: the doctor's name
    dialog = tray.dialogs["signin"]
    assert dialog.isVisible() and dialog.person().name == "Dr Blake Test"
    assert dialog.password.hasFocus() or dialog.focusWidget() is dialog.password
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert open_menu(tray)[1] == "Signed in: Dr Blake Test, MD"
    tray.controller.start("T1003", "rpm-treatment")
    assert timers.status(clinic, "Dr Blake Test").state == "running"
    assert timers.status(clinic, "Avery Nurse").state == "idle"
    assert entries.list_entries(clinic)[-1].clinician == "Dr Blake Test"
    assert access.tray_person(clinic) == str(tray.controller.signer.id)  # the CLI follows


def test_nobody_signed_in_starting_asks_who_first(clinic, make_tray, qtbot) -> None:
    tray = make_tray(clinic, signed_in=None)
    qtbot.waitUntil(lambda: "signin" in tray.dialogs and tray.dialogs["signin"].isVisible())
    tray.dialogs["signin"].reject()  # asked at start; put off
    menu = open_menu(tray)
    assert menu[1:3] == ["Nobody is signed in", "Sign &in…"]
    assert tray.menu.defaultAction().text() == "Sign &in…"
    tray.show_start()
    dialog = tray.dialogs["signin"]
    assert dialog.isVisible() and tray.dialogs.get("start") is None
    assert dialog.person().name == "Avery Nurse"  # the default clinician, chosen
    with pytest.raises(UserError, match="Sign in first"):
        tray.controller.start("T1001", "phone-call")
    assert timers.status(clinic).state == "idle"
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    assert tray.dialogs["start"].isVisible()  # where the click was going


def test_sign_out_keeps_the_timer_running_and_forgets_the_person(
        clinic, clock, make_tray) -> None:
    tray = make_tray(clinic)
    tray.controller.start("T1001", "phone-call")
    trigger(tray, "Sign o&ut")
    assert timers.status(clinic).state == "running"
    assert access.tray_person(clinic) is None
    menu = open_menu(tray)
    assert menu[0].startswith("Running") and "Nobody is signed in" in menu
    tray.show_stop()
    assert tray.dialogs.get("stop") is None and tray.dialogs["signin"].isVisible()


def test_no_clinician_yet_offers_only_what_works(ctx, make_tray) -> None:
    tray = make_tray(ctx)
    assert open_menu(tray) == [
        "No clinician set up yet", "&Set up CCM Timer…", "-",
        "Setti&ngs…", "&Quit"]
    tray.show_start()
    assert tray.dialogs.get("start") is None  # explained instead, nothing to start with


def test_a_timer_changed_elsewhere_shows_at_the_next_menu(clinic, clock, make_tray) -> None:
    tray = make_tray(clinic)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    tray.controller.refresh()  # what the file watch does (tested in test_controller)
    assert open_menu(tray)[0] == "Running 0:00:00"
    clock.advance(timedelta(minutes=3))
    assert open_menu(tray)[0] == "Running 0:03:00"


def test_another_clinicians_running_timer_is_not_hidden(clinic, clock, make_tray) -> None:
    timers.start(clinic, patient_mrn="T1003", category_slug="rpm-treatment",
                 clinician="Dr Blake Test")
    tray = make_tray(clinic)
    menu = open_menu(tray)
    assert menu[:3] == ["No timer running", "Also running: Dr Blake Test",
                        "Signed in: Avery Nurse, RN"]
    sub = next(a.menu() for a in tray.menu.actions() if a.menu() is not None)
    assert sub.actions()[0].text() == "Dr Blake Test, MD (timer running)…"
    sub.actions()[0].trigger()
    tray.dialogs["signin"].password.setText(PASSWORD)
    tray.dialogs["signin"].ok.click()
    menu = open_menu(tray)
    assert menu[0] == "Running 0:00:00" and not any(m.startswith("Also") for m in menu)
