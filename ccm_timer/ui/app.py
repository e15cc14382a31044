"""TrayApp: wires the controller to the tray (or the fallback window), the menu, the
dialogs, the overview windows and the delivery worker. Dialogs are built on first use, so
the icon shows as early as possible, and all are shown without blocking (the clocks keep
ticking while a question is open)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QMessageBox

from ccm_timer.errors import UserError
from ccm_timer.services.people.access import Refused
from ccm_timer.services.people.patient_search import PatientIndex
from ccm_timer.services.timing import categories
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.dialog_host import DialogHost
from ccm_timer.ui.menu import MenuParts, build_menu
from ccm_timer.ui.office_flow import OfficeFlow
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.presenters.tray_status import TrayStatus
from ccm_timer.ui.question_flow import QuestionFlow
from ccm_timer.ui.record_flow import RecordFlow
from ccm_timer.ui.signin_flow import AFTER_LOCK, AT_START, SignInFlow
from ccm_timer.ui.sync_start import SyncLine, SyncStart
from ccm_timer.ui.window_flow import WindowFlow

log = logging.getLogger("ccm_timer.tray")
REMINDER_START_MS = 60_000


class TrayApp(QObject):
    def __init__(self, controller: TimerController, *, use_tray: bool,
                 data_dir: str | None = None, early_icon: Any = None,
                 quit_app: Callable[[], None] = lambda: QApplication.exit(0)) -> None:
        super().__init__()
        self.controller = controller
        # exit(), not quit(): Qt 6 cancels quit() when a window refuses to close, and the
        # fallback window and the required questions do refuse.
        self._quit_app = quit_app
        self.ctx = controller.ctx
        self.data_dir = data_dir
        self.menu = early_icon.menu if early_icon is not None else QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        if early_icon is not None:
            self.surface: Any = early_icon  # shown while the database was opening
        elif use_tray:
            from ccm_timer.ui.tray_icon import TrayIconView

            self.surface = TrayIconView(self.menu)
        else:
            from ccm_timer.ui.fallback_window import FallbackWindow

            self.surface = FallbackWindow(self.menu)
            self.surface.primary.connect(self._primary)
            self.surface.pause.connect(self.toggle_pause)
        self.host = DialogHost()
        self.dialogs = self.host.dialogs
        self.messages = self.host.messages
        self._last_category: str | None = None
        controller.state_changed.connect(self._on_state)
        self._menu_parts: MenuParts | None = None
        self.pending: list[QTimer] = []  # begin()'s later starts, stopped at shutdown
        controller.ticked.connect(self._on_tick)
        # Each flow gets the controller, the dialogs and the callbacks it needs, never the
        # app: the flows know nothing of each other, and this class composes them.
        notify = self.surface.notify
        self.signin = SignInFlow(controller, self.host)
        self.windows = WindowFlow(controller, self.host, notify=notify)
        controller.signer_changed.connect(self.windows.follow_signer)
        self.office = OfficeFlow(controller, self.host, notify=notify,
                                 start_timer=self.start_for, show_patient=self.windows.show_patient)
        controller.signer_changed.connect(self.office.follow_signer)
        self.questions = QuestionFlow(controller, self.host, notify=notify, stop=self.show_stop)
        controller.gap_detected.connect(self.questions.ask_gap)
        controller.reminder_due.connect(self.questions.remind)
        self.records = RecordFlow(controller, self.host, choices=self.choices,
                                  copy_note=self.windows.copy_entry_note)
        self.sync_start = SyncStart(self.ctx, self, controller.state_changed)  # once needed
        self.sync = self.sync_start.runner
        # Bound methods, never lambdas: a lambda would run on the worker's thread.
        self.sync.attempted.connect(self._on_delivery)
        self.sync.settled.connect(self._sync_settled)

    @property
    def status(self) -> TrayStatus:
        return self.controller.status

    def begin(self, *, ask_signin: bool = True) -> None:
        """Show the surface, then ask about crash leftovers before the first heartbeat, then
        who is working (`ask_signin=False`: the caller asks once its own start-up dialogs
        are done). A clinic with nobody set up gets its setup window instead of a sign-in
        nobody could give; it signs the first administrator in, which ends the setup state."""
        self.surface.show()
        self.controller.watch()
        if self.controller.load_orphans():
            self.show_recovery()
        else:
            self.controller.start_heartbeat()
        if self.status.state == "setup":  # load_orphans read it
            self.office.show("setup")
        elif ask_signin:  # who is working: asked once the icon shows, never delaying it
            QTimer.singleShot(0, self.signin.ask_at_start)
        self.later(SyncStart.AFTER_MS, self.sync_start.begin)
        # The month-end count is once a day: its code loads well after the tray is up.
        self.later(REMINDER_START_MS, self.office.start_reminder)

    def later(self, ms: int, slot: Callable[[], None]) -> None:
        """`slot` once after `ms`, unless the tray shuts down first (a bare singleShot
        would still fire into a closed database)."""
        timer = QTimer(self, singleShot=True, interval=ms)
        timer.timeout.connect(slot)
        timer.start()
        self.pending.append(timer)

    def attach_lock(self, lock) -> None:
        """The privacy lock: the menu and tooltip show no patient data while it is on, and
        coming back needs the signed-in person's password (or a switch)."""
        lock.locked.connect(lambda: self.controller.set_locked(True))
        lock.unlocked.connect(lambda: self.controller.set_locked(False))
        self.signin.attach_lock(lock)

    def rebuild_menu(self) -> None:
        usual = self.status.state != "setup" and not self.status.pending_recovery
        sync = self.sync_start.line() if usual else None  # only where the menu shows it
        self._menu_parts = build_menu(self.menu, self.status, self.controller.elapsed(), self,
                                      sync)

    def _on_tick(self, elapsed: int) -> None:
        self.surface.set_elapsed(elapsed)
        if self._menu_parts is not None and self.menu.isVisible():
            self._menu_parts.header.headline.setText(tray_text.headline(self.status, elapsed))

    def _on_state(self, status: TrayStatus) -> None:
        self.surface.set_status(status, self.controller.elapsed())
        gap = self.dialogs.get("gap")
        if gap is not None and gap.isVisible() and self.controller.pending_gap is None:
            gap.hide()  # settled by a stop or switch

    # -- helpers -----------------------------------------------------------------------

    def error(self, text: str) -> QMessageBox:
        return self.host.error(text)

    def blocked(self) -> bool:
        """Actions wait while a crash leftover is undecided, or no clinician exists."""
        if self.status.pending_recovery:
            self.show_recovery()
            return True
        if self.status.state == "setup":
            self.error(tray_text.setup_hint())
            return True
        return False

    def needs_signin(self, then) -> bool:
        """Nobody signed in (asked now, `then` follows), or an office-role person (told why
        they do not time): True when the timer action must wait."""
        if self.signin.needed(then):
            return True
        from ccm_timer.ui.presenters.signin import time_refusal

        refusal = time_refusal(self.controller.signer)
        if refusal:
            self.error(refusal)
            return True
        return False

    def choices(self) -> tuple[PatientIndex, list] | None:
        """What a start or an entry by hand chooses from; None when the action must wait
        (the user has been told why)."""
        if self.blocked():
            return None
        try:
            return PatientIndex.load(self.ctx), categories.list_categories(self.ctx)
        except UserError as exc:
            self.error(error_text(exc))
            return None

    # -- starting --------------------------------------------------------------------

    def show_start(self) -> None:
        if self.needs_signin(self.show_start) or (found := self.choices()) is None:
            return
        dialog = self.host.dialog("start", self._make_start)
        dialog.prepare(self.status, self.controller.elapsed(), *found, self._last_category)
        self.host.present(dialog)

    show_switch = show_start  # the dialog switches while a timer runs

    def _make_start(self) -> QDialog:
        from ccm_timer.services.people.record_status import record_status
        from ccm_timer.ui.start_dialog import StartDialog

        dialog = StartDialog(record_status=lambda mrn: record_status(self.ctx, mrn))
        dialog.submitted.connect(self._submit_start)
        self.controller.ticked.connect(lambda elapsed: dialog.tick(elapsed, self.status))
        dialog.pause_requested.connect(lambda: (self.toggle_pause(), dialog.accept()))
        dialog.stop_requested.connect(lambda: (dialog.accept(), self.show_stop()))
        dialog.record_requested.connect(self.windows.show_patient)
        return dialog

    def _submit_start(self, mrn: str | None, slug: str, note: str) -> None:
        dialog = self.dialogs["start"]
        try:
            self.controller.start(mrn, slug, note)
        except UserError as exc:
            dialog.show_error(error_text(exc))
            return
        self._last_category = slug
        dialog.accept()

    def start_recent(self, pair) -> None:
        if self.needs_signin(lambda: self.start_recent(pair)) or self.blocked():
            return
        try:
            self.controller.start(pair.patient_mrn, pair.category)
        except UserError as exc:
            self.error(error_text(exc))

    def toggle_pause(self) -> None:
        if self.needs_signin(self.toggle_pause):
            return
        try:
            self.controller.toggle_pause()
        except UserError as exc:
            self.error(error_text(exc))

    def _primary(self) -> None:
        if self.status.pending_recovery:
            self.show_recovery()
        elif self.status.live:
            self.show_stop()
        else:
            self.show_start()

    # -- stopping and adding by hand (record_flow.py) ------------------------------

    def show_stop(self) -> None:
        if not self.needs_signin(self.show_stop):
            self.records.show_stop()

    def show_manual(self) -> None:
        if not self.needs_signin(self.show_manual):
            self.records.show_manual()

    # -- windows, notes and deliveries ---------------------------------------------

    # Patient data is shown to, and its reads audited as, the person signed in.

    def show_overview(self) -> None:
        if not self.signin.needed(self.show_overview):
            self.windows.show_overview()

    def show_office(self, name: str) -> None:
        """A month-end window (office_flow.WINDOWS): setup, patients, worklist, export…
        Each but the setup shows patient data, so someone signs in first."""
        if name != "setup" and self.signin.needed(lambda: self.show_office(name)):
            return
        self.office.show(name)

    def start_for(self, mrn: str, program: str | None = None) -> None:
        """The Start dialog with the patient already chosen, and `program`'s first activity
        (the worklist's one click times the row's program)."""
        self.show_start()
        dialog = self.dialogs.get("start")
        if dialog is not None and dialog.isVisible():
            dialog.choose_patient(mrn, program)

    def show_today(self) -> None:
        if not self.signin.needed(self.show_today):
            self.windows.show_today()

    def copy_last_note(self) -> None:
        if not self.signin.needed(self.copy_last_note):
            self.windows.copy_last_note()

    def sync_now(self) -> None:
        self.sync_start.sync_now()

    def _on_delivery(self, _attempt) -> None:
        parts = self._menu_parts
        if parts is not None and parts.sync is not None and self.menu.isVisible():
            line = self.sync.line()
            if line is not None:
                parts.sync.set_line(line)

    def _sync_settled(self, line: SyncLine) -> None:
        title, _, text = line.sentence.partition(": ")
        self.surface.notify(title, text)

    # -- settings and clinician ----------------------------------------------------

    def show_settings(self) -> None:
        dialog = self.host.dialog("settings", self._make_settings)
        dialog.prepare(self.ctx.settings, self.status.clinicians)
        self.host.present(dialog)

    def _make_settings(self) -> QDialog:
        from ccm_timer.ui.settings_dialog import SettingsDialog
        from ccm_timer.ui.targets_panel import TargetsPanel

        # The panel asks who is signed in each time: an administrator changes settings.
        dialog = SettingsDialog(TargetsPanel(self.ctx, signer=lambda: self.controller.signer))
        dialog.saved.connect(self._save_settings)
        return dialog

    def _save_settings(self, values: dict) -> None:
        dialog = self.dialogs["settings"]
        try:
            self.controller.save_settings(**values, data_dir=self.data_dir)
        except Refused as exc:  # not theirs to change: the sentence says who may
            dialog.show_error(error_text(exc))
            return
        except (UserError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else error_text(exc)
            dialog.show_error(f"The settings were not saved: {reason.rstrip('.')}. Check the "
                              "folder and try again.")
            return
        dialog.accept()

    # -- who works here (signin_flow.py) ---------------------------------------------

    def show_signin(self) -> None:
        self.signin.show_signin(AFTER_LOCK if self.controller.locked else AT_START)

    def switch_person(self, person_id: str | None = None) -> None:
        self.signin.switch(person_id)

    def sign_out(self) -> None:
        self.signin.sign_out()

    def show_people(self) -> None:
        self.signin.show_people()

    def show_audit(self) -> None:
        self.signin.show_audit()

    def show_recovery(self) -> None:
        self.questions.show_recovery()

    # -- the second launch and quitting ----------------------------------------------

    def handle_message(self, message: str | dict) -> dict | None:
        """A second `ccm-timer` launch handed over: open what a keyboard shortcut needs; or
        a command line's request (a dict, cli/tray_channel.py): do it and return the answer.
        Neither is logged: a request may carry an MRN or a note."""
        if isinstance(message, dict):
            from ccm_timer.ui import cli_channel  # on the first request, not at start

            return cli_channel.answer(self.controller, message)
        log.info("handed over: %s", "activate" if message == "activate" else "unknown")
        if message == "activate":
            self.show_signin() if self.controller.locked else self.show_start()
        return None

    def quit(self) -> None:
        if not self.status.live or self.status.pending_recovery:
            # An undecided crash leftover stays undecided: it is asked about next start.
            self.finish(stop=False)
            return
        box = QMessageBox(QMessageBox.Icon.Question, tray_text.APP_NAME,
                          f"A timer is {self.status.state}: {tray_text.subject(self.status)}. "
                          "Stop it, or leave it running? If you leave it running, CCM Timer "
                          "asks what to record when it starts again.")
        stop = box.addButton("&Stop it and quit", QMessageBox.ButtonRole.AcceptRole)
        leave = box.addButton("&Leave it running and quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(stop)
        box.buttonClicked.connect(
            lambda b: self.finish(stop=True) if b is stop else (
                self.finish(stop=False) if b is leave else None))
        self.quit_box = box
        self.host.present(box)

    def finish(self, *, stop: bool) -> None:
        if stop:
            try:
                self.controller.stop()
            except UserError as exc:
                self.error(error_text(exc))
                return
        self.shutdown()
        self.surface.hide()
        self._quit_app()

    def shutdown(self) -> None:
        """Stop the clocks and the delivery thread (also on a session logout), and close
        every window while Qt and Python are both whole: the overview's and Today's (their
        month is computed on a thread) as well as the office's."""
        for timer in self.pending:
            timer.stop()
        self.sync.stop()
        self.office.close()
        self.windows.close()
        self.controller.shutdown()
