"""Settings: default clinician, privacy, reminder, start at login, and (saved at once, in
their own section) the delivery targets."""

from __future__ import annotations

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

from ccm_timer.ui.style import ERROR_STYLE


class SettingsDialog(QDialog):
    saved = Signal(dict)  # keyword arguments for TimerController.save_settings

    def __init__(self, targets: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("CCM Timer settings")
        self.setMinimumWidth(560)
        self.targets = targets
        self.clinician = QComboBox()
        self.full_names = QCheckBox("Show full patient &names")
        self.full_names.setToolTip(
            "Otherwise the tray shows initials and the last MRN digits, which is safer on a "
            "screen others can see.")
        self.reminder = QSpinBox(minimum=0, maximum=600, singleStep=5, suffix=" min")
        self.reminder.setSpecialValueText("Never")
        self.login = QCheckBox("Start CCM Timer when I &log in")
        self.error = QLabel(styleSheet=ERROR_STYLE, wordWrap=True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("Default &clinician", self.clinician)
        form.addRow("Privacy", self.full_names)
        form.addRow("&Remind me after", self.reminder)
        form.addRow("", QLabel("…that a timer is still running (0: never)."))
        form.addRow("Login", self.login)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        if targets is not None:
            layout.addSpacing(8)
            layout.addWidget(targets)
        layout.addWidget(buttons)

    def prepare(self, settings, clinician_choices) -> None:
        self.clinician.clear()
        for choice in clinician_choices:
            self.clinician.addItem(f"{choice.name}, {choice.credential}", choice.id)
        at = self.clinician.findData(settings.default_clinician)
        self.clinician.setCurrentIndex(max(0, at))
        self.clinician.setEnabled(bool(clinician_choices))
        self.full_names.setChecked(not settings.mask_patients)
        self.reminder.setValue(settings.reminder_minutes)
        self.login.setChecked(settings.start_at_login)
        self.show_error(None)
        if self.targets is not None:
            self.targets.reload()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        self.saved.emit({
            "default_clinician": self.clinician.currentData(),
            "mask_patients": not self.full_names.isChecked(),
            "reminder_minutes": self.reminder.value(),
            "start_at_login": self.login.isChecked(),
        })
