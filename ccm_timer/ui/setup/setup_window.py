"""The first start of a clinic, without a terminal (issue 17): its name and time zone, its
first administrator (signed in at the tray at once), its people, a roster, and where billing
files go. Each page's Next saves that page through the services, which check it; the last
two pages may be skipped, and both stay reachable later (patients window, Settings).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimeZone
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ccm_timer.core.access import Duty
from ccm_timer.errors import UserError
from ccm_timer.services import clinic_setup
from ccm_timer.ui import window_fit
from ccm_timer.ui.presenters.gui_words import error_text
from ccm_timer.ui.setup.person_form import HINT_STYLE, PersonForm
from ccm_timer.ui.setup.roster_dialog import RosterImportDialog
from ccm_timer.ui.style import ERROR_STYLE


def _error_label() -> QLabel:
    label = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
    label.hide()
    return label


def _say(label: QLabel, text: str | None) -> None:
    label.setText(text or "")
    label.setVisible(bool(text))


def computer_zone() -> str:
    """This computer's IANA zone as Qt reads it (Windows included), if the list has it."""
    return clinic_setup.listed(bytes(QTimeZone.systemTimeZoneId().data()).decode(
        "ascii", "replace"))


class ClinicPage(QWizardPage):
    def __init__(self, window: SetupWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setTitle("Your clinic")
        self.setSubTitle("Its name is printed on billing files. Its time zone decides where "
                         "each billing month begins and ends.")
        ctx = window.flow.ctx
        self.name = QLineEdit(ctx.settings.clinic_name, placeholderText="Riverside Family "
                              "Practice")
        self.zone = QComboBox(editable=True)
        self.zone.addItems(clinic_setup.zones())
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        finder = QCompleter(clinic_setup.zones(), self.zone)
        finder.setFilterMode(Qt.MatchFlag.MatchContains)  # "chicago" finds America/Chicago
        finder.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.zone.setCompleter(finder)
        chosen = clinic_setup.listed(ctx.settings.clinic_timezone) if ctx.zone_chosen else (
            computer_zone() or clinic_setup.listed(ctx.settings.clinic_timezone))
        self.zone.setCurrentText(chosen)
        self.hint = QLabel("Chosen from this computer's clock; type part of a city to find "
                           "another.", wordWrap=True, styleSheet=HINT_STYLE)
        self.error = _error_label()
        form = QFormLayout(self)
        form.addRow(QLabel("Clinic &name", buddy=self.name), self.name)
        form.addRow(QLabel("&Time zone", buddy=self.zone), self.zone)
        form.addRow("", self.hint)
        form.addRow(self.error)

    def validatePage(self) -> bool:
        try:
            clinic_setup.save_clinic(self.window_.flow.ctx, self.window_.admin,
                                     name=self.name.text(), zone=self.zone.currentText().strip())
        except UserError as exc:
            _say(self.error, error_text(exc))
            return False
        _say(self.error, None)
        return True


class AdminPage(QWizardPage):
    def __init__(self, window: SetupWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setTitle("The first administrator")
        self.setSubTitle("The person who adds colleagues and changes the clinic's settings. "
                         "They are signed in when you choose Next.")
        self.form = PersonForm(clinic_setup.policy(window.flow.ctx), password_optional=False)
        self.done_text = QLabel(wordWrap=True)
        self.error = _error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.done_text)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        admin = self.window_.admin
        self.form.setVisible(admin is None)
        self.done_text.setVisible(admin is not None)
        if admin is not None:
            self.done_text.setText(f"{admin.name} is the administrator and is signed in.")
        self.form.name.setFocus()

    def validatePage(self) -> bool:
        if self.window_.admin is not None:
            return True
        try:
            signer = clinic_setup.create_admin(self.window_.flow.ctx, self.form.person())
        except UserError as exc:
            _say(self.error, error_text(exc))
            return False
        _say(self.error, None)
        self.window_.flow.controller.sign_in(signer)  # the tray leaves its setup state
        self.window_.admin = signer
        return True


class PeoplePage(QWizardPage):
    def __init__(self, window: SetupWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setTitle("Clinicians and staff")
        self.setSubTitle("Everyone who times care-management work, approves it or bills it. "
                         "Add them now or later (Clinicians and staff, in the tray's menu).")
        self.form = PersonForm(clinic_setup.policy(window.flow.ctx), password_optional=True)
        self.add = QPushButton("A&dd this person")
        self.add.clicked.connect(self.add_person)
        self.listed = QListWidget()
        self.listed.setAccessibleName("People added")
        self.said = QLabel(wordWrap=True)
        self.error = _error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.add, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        layout.addWidget(self.said)
        layout.addWidget(QLabel("Added so far:"))
        layout.addWidget(self.listed, 1)

    def initializePage(self) -> None:
        self.reload()
        self.form.name.setFocus()

    def reload(self) -> None:
        self.listed.clear()
        for line in clinic_setup.people(self.window_.flow.ctx):
            self.listed.addItem(f"{line.name} — {line.what}")

    def add_person(self) -> bool:
        person = self.form.person()
        try:
            clinic_setup.add_person(self.window_.flow.ctx, self.window_.admin, person)
        except UserError as exc:
            _say(self.error, error_text(exc))
            self.said.clear()
            return False
        _say(self.error, None)
        self.said.setText(f"Added {person.name}.")
        self.form.clear()
        self.reload()
        return True


class RosterPage(QWizardPage):
    def __init__(self, window: SetupWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setTitle("Patients (you may skip this)")
        self.setSubTitle("Import the patients from a roster file: you see every row first, "
                         "and nothing is written until you confirm. Patients can also be "
                         "added one by one later, in the Patients window.")
        self.open = QPushButton("&Import a roster file…")
        self.open.clicked.connect(self.show_import)
        self.said = QLabel("No roster imported yet.", wordWrap=True)
        self.dialog: RosterImportDialog | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.open, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.said)
        layout.addStretch(1)

    def show_import(self) -> RosterImportDialog:
        if self.dialog is None:
            self.dialog = RosterImportDialog(self.window_.flow.ctx,
                                             signer=lambda: self.window_.admin, parent=self)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.imported.connect(
                lambda n: self.said.setText(f"Imported {n} patient(s)."))
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


class DeliveryPage(QWizardPage):
    def __init__(self, window: SetupWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setTitle("Where billing files go (you may skip this)")
        self.setSubTitle("A shared folder, the billing office's server, a FHIR server or the "
                         "clinic hub. Without one, billing files are saved on this computer.")
        from ccm_timer.ui.targets_panel import TargetsPanel

        self.panel = TargetsPanel(window.flow.ctx, signer=lambda: self.window_.admin)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.panel.reload()


class SetupWindow(QWizard):
    def __init__(self, flow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        signer = flow.signer
        self.admin = signer if signer is not None and Duty.ADMIN in signer.duties else None
        self.setWindowTitle("Set up CCM Timer")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Finish")
        self.pages = [ClinicPage(self), AdminPage(self), PeoplePage(self), RosterPage(self),
                      DeliveryPage(self)]
        for page in self.pages:
            self.addPage(page)
        self.finished.connect(self._finished)
        self.sizes = window_fit.prepare(self, flow.ctx.paths.settings_dir, "setup",
                                        QSize(760, 640))

    def set_signer(self, signer) -> None:
        """Follows the tray's sign-in: the administrator who set up, or whoever switched."""
        self.admin = signer if signer is not None and Duty.ADMIN in signer.duties else None

    def _finished(self, result: int) -> None:
        if result == QWizard.DialogCode.Accepted:
            self.flow.notify("CCM Timer is set up", "Start a timer from the tray icon's menu.")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sizes.save(self)
        super().closeEvent(event)
