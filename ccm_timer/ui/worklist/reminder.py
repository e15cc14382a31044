"""The month-end reminder: in the month's last days (worklist.REMIND_DAYS), once a day, a
tray message counts the patients still short of their first code: "6 patients under 20
minutes, 3 days left". Counts only, never a name: a notification is seen by anyone nearby.

The day it was shown is kept in the settings folder, so a restart the same day does not
repeat it; settings.worklist_reminder turns it off. A clinical person signed in at the tray
is who it is for (a care manager's own patients when they have some). A long-interval timer
looks again; the month is read off the UI thread, as the window reads it.
"""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QSystemTrayIcon

from ccm_timer import fsio
from ccm_timer.core.access import Action
from ccm_timer.services.month.worklist import REMIND_DAYS, Worklist, reminder_text
from ccm_timer.ui.worklist.loader import WorklistLoader

log = logging.getLogger("ccm_timer.tray")
SHOWN_FILE = "worklist-reminder-shown.txt"  # the clinic date last shown, no patient data
CHECK_MS = 30 * 60 * 1000  # half an hour: the day's message comes soon after the tray starts
FIRST_CHECK_MS = 60 * 1000  # a minute after the start: never in the way of the first timer
CLICK_WINDOW_MS = 12 * 1000  # a click on the tray's message meanwhile opens the worklist
TITLE = "Worklist"


class MonthEndReminder(QObject):

    def __init__(self, flow, parent: QObject | None = None, *,
                 check_ms: int = CHECK_MS, first_ms: int = FIRST_CHECK_MS) -> None:
        super().__init__(parent)
        self.flow = flow
        self.ctx = flow.ctx
        self.last_text: str | None = None  # the last message shown (tests, the log)
        self._loader = WorklistLoader(self.ctx, self)
        self._loader.loaded.connect(self._arrived)
        self._loader.failed.connect(lambda exc: log.warning("worklist reminder: %s", exc))
        self._timer = QTimer(self, interval=check_ms, timeout=self.check)
        self._timer.start()
        QTimer.singleShot(first_ms, self, self.check)
        self._icon: QSystemTrayIcon | None = None

    @property
    def shown_path(self):
        return self.ctx.paths.settings_dir / SHOWN_FILE

    def today(self) -> date:
        return self.ctx.now().astimezone(self.ctx.zone).date()

    def shown_on(self) -> date | None:
        try:
            return date.fromisoformat(self.shown_path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def due(self) -> bool:
        """Whether today's count is still to be shown (before reading any patient)."""
        today = self.today()
        signer = self.flow.signer
        if not self.ctx.settings.worklist_reminder or self.shown_on() == today:
            return False
        if signer is None or not signer.may(Action.TIME):
            return False  # shown to the clinical person working here
        last = _last_day(today)
        return (last - today).days + 1 <= REMIND_DAYS

    def check(self) -> None:
        if self.due() and not self._loader.busy:
            self._loader.request(None)

    def _arrived(self, wl: Worklist) -> None:
        if not self.due():  # turned off, shown or signed out meanwhile
            return
        signer = self.flow.signer
        own = wl.filtered(care_manager=signer.id) if signer is not None else ()
        message = reminder_text(wl, own or None)
        if message is None:
            return  # nobody short: asked again at the next check
        fsio.write_atomic(self.shown_path, f"{wl.today.isoformat()}\n".encode())
        self.last_text = message
        self._listen_for_click()
        self.flow.notify(TITLE, message)
        log.info("worklist reminder shown")

    def _listen_for_click(self) -> None:
        """The tray's message, clicked while it shows, opens the worklist (where the tray
        tells clicks apart; the no-tray window shows no message to click)."""
        icon = getattr(getattr(self.flow.notify, "__self__", None), "icon", None)
        if not isinstance(icon, QSystemTrayIcon) or self._icon is not None:
            return
        self._icon = icon
        icon.messageClicked.connect(self.open_worklist)
        QTimer.singleShot(CLICK_WINDOW_MS, self, self._stop_listening)

    def _stop_listening(self) -> None:
        if self._icon is not None:
            self._icon.messageClicked.disconnect(self.open_worklist)
            self._icon = None

    def open_worklist(self) -> None:
        self._stop_listening()
        self.flow.show("worklist")

    def stop(self) -> None:
        self._timer.stop()
        self._stop_listening()


def _last_day(day: date) -> date:
    from ccm_timer.core.month import YearMonth

    return YearMonth(day.year, day.month).last_day


def start_reminder(flow) -> QObject:
    """Start the daily month-end count for the tray of `flow` (OfficeFlow.start_reminder)."""
    return MonthEndReminder(flow, flow.controller)
