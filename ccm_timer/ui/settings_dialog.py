"""Settings: default clinician, privacy, reminder, the month-end worklist message, start at
login, and (saved at once, in their own section) the delivery targets.

Once the clinic has an administrator, only one signed in changes them; anyone else sees
them read-only with one quiet line saying so. Start at login (this computer's login item)
stays open to whoever is signed in."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ccm_timer.services.settings_changes import READ_ONLY
from ccm_timer.ui.style import ERROR_STYLE
from ccm_timer.ui.targets_panel import HINT_STYLE


class SettingsDialog(QDialog):
    saved = Signal(dict)  # keyword arguments for TimerController.save_settings

    def __init__(self, targets: QWidget | None = None, parent: QWidget | None = None, *,
                 editable: Callable[[], bool] | None = None) -> None:
        """`editable`: whether the person signed in may change the clinic's settings now
        (asked at each prepare); by default the targets panel's answer."""
        super().__init__(parent)
        self.setWindowTitle("CCM Timer settings")
        self.setMinimumWidth(560)
        self.targets = targets
        self._editable = editable or getattr(targets, "editable", lambda: True)
        self._shown = None  # the settings as prepared: what a read-only dialog saves
        self.editable = True
        self.clinician = QComboBox()
        self.full_names = QCheckBox("Show full patient &names")
        self.full_names.setToolTip(
            "Otherwise the tray shows initials and the last MRN digits, which is safer on a "
            "screen others can see.")
        self.reminder = QSpinBox(minimum=0, maximum=600, singleStep=5, suffix=" min")
        self.reminder.setSpecialValueText("Never")
        self.worklist = QCheckBox("Near month &end, tell me each day how many patients are "
                                  "still short of time")
        self.worklist.setToolTip(
            "In the month's last five days, one message a day counts them (no names); "
            "the worklist shows who they are.")
        self.login = QCheckBox("Start CCM Timer when I &log in")
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        self.read_only = QLabel(READ_ONLY, wordWrap=True, styleSheet=HINT_STYLE)
        self.read_only.hide()
        form = QFormLayout()
        form.addRow("Default &clinician", self.clinician)
        form.addRow("Privacy", self.full_names)
        form.addRow("&Remind me after", self.reminder)
        form.addRow("", QLabel("…that a timer is still running (0: never)."))
        form.addRow("Worklist", self.worklist)
        form.addRow("Login", self.login)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only)
        layout.addLayout(form)
        layout.addWidget(self.error)
        if targets is not None:
            layout.addSpacing(8)
            layout.addWidget(targets)
        layout.addWidget(buttons)

    def prepare(self, settings, clinician_choices) -> None:
        self._shown = settings
        self.editable = editable = self._editable()
        self.clinician.clear()
        for choice in clinician_choices:
            self.clinician.addItem(f"{choice.name}, {choice.credential}", choice.id)
        at = self.clinician.findData(settings.default_clinician)
        self.clinician.setCurrentIndex(max(0, at))
        self.clinician.setEnabled(bool(clinician_choices) and editable)
        self.full_names.setChecked(not settings.mask_patients)
        self.reminder.setValue(settings.reminder_minutes)
        self.full_names.setEnabled(editable)
        self.reminder.setEnabled(editable)
        self.worklist.setChecked(settings.worklist_reminder)
        self.worklist.setEnabled(editable)
        self.login.setChecked(settings.start_at_login)
        self.read_only.setVisible(not editable)
        self.show_error(None)
        if self.targets is not None:
            self.targets.reload()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        shown = self._shown
        if shown is not None and not self.editable:  # read-only: only the login item
            self.saved.emit({"default_clinician": shown.default_clinician or None,
                             "mask_patients": shown.mask_patients,
                             "reminder_minutes": shown.reminder_minutes,
                             "start_at_login": self.login.isChecked()})
            return
        values = {
            "default_clinician": self.clinician.currentData(),
            "mask_patients": not self.full_names.isChecked(),
            "reminder_minutes": self.reminder.value(),
            "start_at_login": self.login.isChecked(),
        }
        # Given only when changed: the save path takes it as one more clinic setting.
        if shown is None or self.worklist.isChecked() != shown.worklist_reminder:
            values["worklist_reminder"] = self.worklist.isChecked()
        self.saved.emit(values)
