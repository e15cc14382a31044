"""Who works at the tray: the sign-in at start (after the icon shows), switching person,
signing out, the privacy lock's way back, and the administrator's People dialog and audit
window. The controller holds the Signer; this flow only asks for it.

An action that needs someone signed in (a start, a stop, a window of patient data) passes
itself as `then`: it runs once the sign-in succeeds, so a nurse who clicks Start first is
asked who she is and lands in the Start dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QWidget

from ccm_timer.core.access import Duty
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import credentials
from ccm_timer.ui.controller import TimerController
from ccm_timer.ui.dialog_host import DialogHost
from ccm_timer.ui.presenters import signin

AT_START = "Who is working at this computer? Choose your name and type your password."
SWITCH = "Switch person: choose your name and type your password. A timer that is " \
         "running keeps running for the person who started it."
AFTER_LOCK = "Patient data is hidden. Type your password to come back, or choose another " \
             "name to switch person."
RETRY_MS = 500
NEEDED = "Sign in first: the tray times, and shows patient data to, the person signed in."


class SignInFlow:
    def __init__(self, controller: TimerController, host: DialogHost) -> None:
        self.controller = controller
        self.ctx = controller.ctx
        self.host = host
        self._then: Callable[[], None] | None = None
        self.lock = None  # the PrivacyLock, once attached
        self.people_dialog: QDialog | None = None
        self.audit_window: QWidget | None = None

    @property
    def signer(self) -> Signer | None:
        return self.controller.signer

    # -- signing in ----------------------------------------------------------------------

    def ask_at_start(self) -> None:
        if self.controller.status.pending_recovery:  # one question at a time: that first
            QTimer.singleShot(RETRY_MS, self.ask_at_start)
            return
        if self.signer is None and self.controller.status.state != "setup":
            self.show_signin(AT_START)

    def show_signin(self, intro: str = AT_START, chosen: str | None = None,
                    then: Callable[[], None] | None = None) -> QDialog:
        dialog = self.host.dialog("signin", self._make)
        self._then = then
        default = self.signer.id if self.signer else self.controller.status.clinician_id
        dialog.prepare(intro, chosen or (str(default) if default else None))
        self.host.present(dialog)
        return dialog

    def needed(self, then: Callable[[], None]) -> bool:
        """True (and the sign-in asked for, `then` to follow) when nobody is signed in."""
        if self.signer is not None:
            return False
        self.show_signin(NEEDED, then=then)
        return True

    def switch(self, person_id: str | None = None) -> QDialog:
        return self.show_signin(SWITCH, chosen=person_id)

    def _make(self) -> QDialog:
        from ccm_timer.ui.signin_dialog import SignInDialog

        dialog = SignInDialog(self.ctx)
        dialog.signed_in.connect(self._signed_in)
        dialog.rejected.connect(lambda: setattr(self, "_then", None))
        return dialog

    def _signed_in(self, signer: Signer) -> None:
        self.controller.sign_in(signer)
        if self.lock is not None and self.lock.is_locked:
            self.lock.unlock()  # their password was just given
        then, self._then = self._then, None
        if then is not None:
            then()

    def sign_out(self) -> None:
        self.controller.sign_out()
        if self.people_dialog is not None:
            self.people_dialog.hide()
        if self.audit_window is not None:
            self.audit_window.hide()

    # -- the privacy lock ------------------------------------------------------------------

    def attach_lock(self, lock) -> None:
        self.lock = lock
        lock.switch_requested.connect(lambda: self.show_signin(AFTER_LOCK))

    def lock_name(self) -> str | None:
        return self.signer.name if self.signer else None

    def lock_verify(self, secret: str) -> str | None:
        """Why `secret` does not unlock (a sentence), or None: the signed-in person's
        password does."""
        if self.signer is None:
            return "Nobody is signed in; use Sign in."
        _, problem = signin.safe(credentials.verify, self.ctx, str(self.signer.id), secret)
        return problem

    # -- administrators ------------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        return self.signer is not None and Duty.ADMIN in self.signer.duties

    def show_people(self) -> QDialog | None:
        if not self.is_admin:
            return None
        from ccm_timer.ui.people_dialog import PeopleDialog

        if self.people_dialog is None:
            self.people_dialog = PeopleDialog(self.ctx, lambda: self.signer)
        self.people_dialog.reload()
        self.host.present(self.people_dialog)
        return self.people_dialog

    def show_audit(self) -> QWidget | None:
        if not self.is_admin:
            return None
        from ccm_timer.ui.audit_window import AuditWindow

        if self.audit_window is None:
            self.audit_window = AuditWindow(self.ctx, parent=None, viewer=lambda: self.signer)
        self.audit_window.show()
        self.audit_window.raise_()
        return self.audit_window
