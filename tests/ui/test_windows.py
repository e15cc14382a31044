"""The fallback window (no system tray), the tray icon's face, settings and add-by-hand."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, QTime

from ccm_timer.platform import autostart
from ccm_timer.services.timing import entries, timers
from ccm_timer.ui.icons import icon_path


def test_fallback_window_shows_state_and_the_same_actions(clinic, clock, make_tray,
                                                          qtbot) -> None:
    tray = make_tray(clinic, use_tray=False)
    window = tray.surface
    qtbot.waitExposed(window)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.headline.text() == "No timer running"
    assert window.primary_button.text() == "&Start timer…"
    assert not window.pause_button.isVisibleTo(window)
    assert window.more_button.menu() is tray.menu
    window.primary_button.click()
    assert tray.dialogs["start"].isVisible()
    tray.dialogs["start"].hide()
    tray.controller.start("T1001", "phone-call")
    clock.advance(65)
    tray.controller.tick()
    assert window.headline.text() == "Running 0:01:05"
    assert "A.T.\u00a0…001" in window.subject.text()
    assert window.windowTitle() == "Running 0:01:05 — CCM Timer"  # no patient in titles
    window.pause_button.click()
    assert timers.status(clinic).state == "paused"
    window.primary_button.click()
    assert tray.dialogs["stop"].isVisible()


def test_closing_the_fallback_window_minimizes_it(clinic, make_tray, qtbot) -> None:
    tray = make_tray(clinic, use_tray=False)
    qtbot.waitExposed(tray.surface)
    tray.surface.close()
    assert tray.surface.isVisible()
    assert not tray.quits


def test_tray_icon_follows_the_state_and_masks_the_tooltip(clinic, clock, make_tray) -> None:
    tray = make_tray(clinic, use_tray=True)
    icon = tray.surface.icon
    assert icon.contextMenu() is tray.menu
    idle_key = icon.icon().cacheKey()
    assert icon.toolTip().startswith("CCM Timer: No timer running")
    tray.controller.start("T1001", "phone-call")
    clock.advance(3)
    tray.controller.tick()
    assert icon.icon().cacheKey() != idle_key
    assert icon.toolTip().splitlines()[0] == "CCM Timer: Running 0:00:03"
    assert "Testpatient" not in icon.toolTip()
    assert icon_path("running").name == "running.svg" and icon_path("idle").exists()
    assert not icon.icon().pixmap(16, 16).isNull() and not icon.icon().pixmap(64, 64).isNull()


def test_settings_are_saved_and_start_at_login_writes_the_entry(
        clinic, make_tray, qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    tray = make_tray(clinic)
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    assert dialog.clinician.currentText() == "Avery Nurse, RN"
    assert not dialog.full_names.isChecked() and dialog.reminder.value() == 60
    dialog.clinician.setCurrentIndex(1)
    dialog.full_names.setChecked(True)
    dialog.reminder.setValue(30)
    dialog.login.setChecked(True)
    dialog.submit()
    assert not dialog.isVisible()
    settings = clinic.settings
    assert (settings.mask_patients, settings.reminder_minutes, settings.start_at_login) == (
        False, 30, True)
    assert clinic.settings.default_clinician == tray.status.clinicians[1].id
    assert autostart.is_enabled()
    assert "ccm_timer" in autostart.linux_entry_path().read_text()
    tray.show_settings()
    dialog.login.setChecked(False)
    dialog.submit()
    assert not autostart.is_enabled()


def test_settings_that_cannot_be_written_keep_the_dialog_open_with_the_reason(
        clinic, make_tray) -> None:
    tray = make_tray(clinic)
    tray.show_settings()
    dialog = tray.dialogs["settings"]
    clinic.paths.settings_file.unlink()
    clinic.paths.settings_file.mkdir()  # not a file: the settings cannot be replaced
    dialog.reminder.setValue(30)
    dialog.submit()
    assert dialog.isVisible() and dialog.error.isVisibleTo(dialog)
    assert dialog.error.text().startswith("The settings were not saved: ")
    assert dialog.error.text().endswith("Check the folder and try again.")


def test_add_time_by_hand(clinic, clock, make_tray, qtbot) -> None:
    tray = make_tray(clinic)
    tray.show_manual()
    dialog = tray.dialogs["manual"]
    assert dialog.zone_hint.text() == "Times are America/New_York time."
    qtbot.keyClicks(dialog.picker.search, "jose")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    dialog.day.setDate(QDate(2026, 11, 2))
    dialog.start.setTime(QTime(9, 0))
    dialog.end.setTime(QTime(9, 25))
    qtbot.keyClicks(dialog.note, "Care conference")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    (view,) = entries.list_entries(clinic)
    assert (view.patient_mrn, view.seconds, view.source, view.note) == (
        "T1002", 25 * 60, "manual", "Care conference")
    assert tray.dialogs["recorded"].headline.text() == "Recorded 25 min"


def test_add_time_by_hand_refuses_bad_times_in_the_dialog(clinic, make_tray) -> None:
    tray = make_tray(clinic)
    tray.show_manual()
    dialog = tray.dialogs["manual"]
    dialog.picker.search.setText("alma")
    dialog.start.setTime(QTime(10, 0))
    dialog.end.setTime(QTime(9, 0))
    dialog.submit()
    assert dialog.isVisible() and "not after the start" in dialog.error.text()
    dialog.day.setMaximumDate(QDate(2027, 1, 1))
    dialog.day.setDate(QDate(2026, 11, 1))  # New York falls back that night
    dialog.start.setTime(QTime(1, 30))
    dialog.end.setTime(QTime(3, 0))
    dialog.submit()
    assert "happens twice" in dialog.error.text()
    assert entries.list_entries(clinic) == []
