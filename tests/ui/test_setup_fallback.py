"""The no-tray fallback window (issue 17): its lines are never clipped, and with nobody set
up it says, in the user's words, how to set up, and its button opens the setup."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel

from ccm_timer.ui.presenters.tray_state import TrayState
from ccm_timer.ui.presenters.tray_status import TrayStatus


def _clipped(window) -> list[str]:
    QApplication.processEvents()
    return [label.text() for label in window.findChildren(QLabel)
            if label.isVisibleTo(window) and label.height() < (
                label.heightForWidth(label.width()) if label.wordWrap()
                else label.sizeHint().height())]


def test_with_nobody_set_up_it_says_how_in_plain_words(ctx, make_tray, qtbot) -> None:
    tray = make_tray(ctx, use_tray=False)
    window = tray.surface
    qtbot.waitExposed(window)
    text = window.subject.text()
    assert "Set up" in text
    assert not any(dev in text for dev in ("ccm-timer", "`", "--"))
    assert window.primary_button.text() == "&Set up…" and window.primary_button.isEnabled()
    assert _clipped(window) == []
    tray.office.windows["setup"].close()
    window.primary_button.click()
    assert tray.office.windows["setup"].isVisible()


def test_a_long_notice_and_subject_are_shown_whole(clinic, make_tray, qtbot) -> None:
    tray = make_tray(clinic, use_tray=False)
    window = tray.surface
    qtbot.waitExposed(window)
    assert _clipped(window) == []
    window.set_status(TrayStatus(TrayState.IDLE, problem="The database could not be read "
                                 "just now; your recorded time is safe. Try again in a "
                                 "moment, or restart CCM Timer."), 0)  # after it was shown
    assert _clipped(window) == []
    window.notify("CCM Timer needs attention", "The patient data is not encrypted on this "
                  "computer, and the last backup is more than a day old; ask your "
                  "administrator to look at it today.")
    assert _clipped(window) == []
    assert window.width() <= window.screen().availableGeometry().width()
