"""The month-end windows of the tray: first-start setup, patients, clinicians, the worklist,
billing exports and the month dashboard, each a separate package loaded when first opened
(so none of it weighs on the tray's start), built once and raised again on later opens.

Each package exposes `open_…(flow) -> QWidget` and gets this flow, never the app: the
context, the signed-in person, the dialog host, the tray's passing message and a way to
start a timer for a patient.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from PySide6.QtWidgets import QWidget

from ccm_timer.services.context import AppContext
from ccm_timer.services.people.access import Signer
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.dialog_host import DialogHost

# window name -> (module, function): the one table of what the month-end menu opens.
WINDOWS: dict[str, tuple[str, str]] = {
    "setup": ("ccm_timer.ui.setup", "open_setup"),
    "patients": ("ccm_timer.ui.records", "open_patients"),
    "clinicians": ("ccm_timer.ui.records", "open_clinicians"),
    "worklist": ("ccm_timer.ui.worklist", "open_worklist"),
    "export": ("ccm_timer.ui.export", "open_export"),
    "dashboard": ("ccm_timer.ui.dashboard", "open_dashboard"),
}


class OfficeFlow:
    def __init__(self, controller: TimerController, host: DialogHost, *,
                 notify: Callable[[str, str], None],
                 start_timer: Callable[..., None],
                 show_patient: Callable[[str], QWidget]) -> None:
        self.controller = controller
        self.host = host
        self.notify = notify  # (title, text): never patient data (seen by anyone nearby)
        # (mrn, program=None): the Start dialog, the patient chosen and, given a program,
        # that program's first activity (a worklist row's, not the clinic's first).
        self.start_timer = start_timer
        self.show_patient = show_patient  # (mrn): that patient's month window
        self.windows: dict[str, QWidget] = {}
        self.reminder: Any = None  # the worklist's Reminder, once started

    @property
    def ctx(self) -> AppContext:
        return self.controller.ctx

    @property
    def signer(self) -> Signer | None:
        return self.controller.signer

    def show(self, name: str) -> QWidget:
        """Open (or raise) the window called `name` in WINDOWS."""
        window = self.windows.get(name)
        if window is None:
            module, function = WINDOWS[name]
            window = getattr(import_module(module), function)(self)
            self.windows[name] = window
            window.destroyed.connect(lambda _=None, n=name: self.windows.pop(n, None))
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def start_reminder(self) -> None:
        """The near-month-end count of patients still needing time (the worklist's own
        schedule; off when the user turned it off)."""
        from ccm_timer.ui.worklist.reminder import start_reminder

        self.reminder = start_reminder(self)

    def follow_signer(self, signer: Signer | None) -> None:
        """Patient data is shown to a person: with nobody signed in the windows close, and
        otherwise each window that cares acts as the new person (`set_signer`)."""
        for name, window in list(self.windows.items()):
            if signer is None and name != "setup":
                window.close()
                window.deleteLater()
                self.windows.pop(name, None)
            elif hasattr(window, "set_signer"):
                window.set_signer(signer)

    def close(self) -> None:
        if self.reminder is not None:
            self.reminder.stop()
            self.reminder = None
        for window in list(self.windows.values()):
            window.close()
            window.deleteLater()
        self.windows.clear()
