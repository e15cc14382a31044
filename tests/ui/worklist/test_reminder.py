"""The month-end reminder (ui/worklist/reminder.py): counts only, once a day in the month's
last days, remembered across a restart, off when the user turned it off."""

from __future__ import annotations

from datetime import date, timedelta

from ccm_timer.ui.worklist import reminder as month_end


def started(tray):
    tray.office.start_reminder()
    return tray.office.reminder


def shown(qtbot, tray, wanted: str) -> None:
    qtbot.waitUntil(lambda: tray.surface.notice.text() == f"Worklist: {wanted}",
                    timeout=15_000)


def test_counts_once_a_day_near_month_end(qtbot, busy_clinic, clock, make_tray):
    clock.advance(timedelta(days=4))  # 28 November: 3 days left
    tray = make_tray(busy_clinic)
    reminder = started(tray)
    reminder.check()
    shown(qtbot, tray, "3 patients under 20 minutes and 1 under 30, 3 days left")
    assert reminder.shown_path.read_text().strip() == "2026-11-28"
    # The tray started again the same day: not repeated.
    again = month_end.MonthEndReminder(tray.office)
    assert not again.due()
    clock.advance(timedelta(days=1))  # the next day: due again
    assert again.due()


def test_not_before_the_last_days_nor_when_off_nor_signed_out(qtbot, busy_clinic, clock,
                                                             make_tray):
    tray = make_tray(busy_clinic)
    reminder = started(tray)
    assert not reminder.due()  # 24 November: 7 days left
    clock.advance(timedelta(days=4))
    assert reminder.due()
    busy_clinic.update_settings(worklist_reminder=False)
    assert not reminder.due()
    busy_clinic.update_settings(worklist_reminder=True)
    tray.signin.sign_out()
    assert tray.office.signer is None and not reminder.due()


def test_a_care_manager_hears_of_their_own_patients(qtbot, busy_clinic, clock, make_tray,
                                                   care_manager):
    from tests.fixtures.clinic import NURSE

    care_manager(busy_clinic, "T2001", NURSE)
    clock.advance(timedelta(days=4))
    tray = make_tray(busy_clinic)
    reminder = started(tray)
    reminder.check()
    shown(qtbot, tray, "1 patient under 20 minutes, 3 days left")
    assert reminder.last_text == "1 patient under 20 minutes, 3 days left"


def test_clicking_the_message_opens_the_worklist(qtbot, busy_clinic, clock, make_tray):
    clock.advance(timedelta(days=6))  # 30 November: the last day
    tray = make_tray(busy_clinic, use_tray=True)
    reminder = started(tray)
    reminder.check()
    qtbot.waitUntil(lambda: reminder.last_text is not None, timeout=15_000)
    assert reminder.last_text.endswith(", 1 day left")
    assert month_end.date.fromisoformat(reminder.shown_path.read_text().strip()) == date(
        2026, 11, 30)
    tray.surface.icon.messageClicked.emit()
    assert tray.office.windows["worklist"].isVisible()
