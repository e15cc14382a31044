"""Questions the app must ask before time is counted: a timer a crash left running, a sleep
or clock-jump gap, and the "still running?" reminder.

Each is a ChoiceDialog: a sentence and a few buttons, the safe answer the default (Enter).
The first two cannot be dismissed without an answer, because dismissing would either bill
unobserved time or throw it away without anyone deciding.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from ccm_timer.services.timing.sleep_gaps import GapChoice
from ccm_timer.ui.presenters import tray_text
from ccm_timer.ui.style import BIG_STYLE


class ChoiceDialog(QDialog):
    chosen = Signal(str)

    def __init__(self, title: str, parent: QWidget | None = None, *,
                 dismiss_choice: str | None = None, on_top: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        if on_top:
            self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self._dismiss = dismiss_choice
        self.headline = QLabel(wordWrap=True, styleSheet=BIG_STYLE)
        self.text = QLabel(wordWrap=True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.box = QDialogButtonBox(Qt.Orientation.Vertical)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.text)
        layout.addWidget(self.box)
        self.buttons: dict[str, QPushButton] = {}

    def set_choices(self, words: tuple[str, str], choices: list[tuple[str, str]],
                    default: str) -> None:
        """words: (headline, details); choices: (value, button label), in the order shown."""
        self.headline.setText(words[0])
        self.text.setText(words[1])
        for button in self.buttons.values():
            self.box.removeButton(button)
            button.deleteLater()
        self.buttons = {}
        for value, label in choices:
            button = self.box.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
            button.clicked.connect(lambda _=False, v=value: self._choose(v))
            self.buttons[value] = button
        self.buttons[default].setDefault(True)
        self.buttons[default].setFocus()

    def _choose(self, value: str) -> None:
        self.accept()
        self.chosen.emit(value)

    def reject(self) -> None:
        if self._dismiss is not None:  # Esc or the close box mean this answer
            self._choose(self._dismiss)
        # otherwise an answer is required: stay open


def recovery_dialog(parent: QWidget | None = None) -> ChoiceDialog:
    return ChoiceDialog("Timer left running", parent, on_top=True)


def ask_recovery(dialog: ChoiceDialog, orphan, zone, now, mask: bool) -> None:
    last = tray_text.local_moment(orphan.last_seen, zone, now)
    dialog.set_choices(
        tray_text.recovery_question(orphan, zone, now, mask),
        [("stop", f"&Stop it at {last}, when CCM Timer last saw it (recommended)"),
         ("keep", f"&Keep all the time until now ({tray_text.minutes(orphan.entry.seconds)})"),
         ("discard", "&Discard this timer")],
        default="stop",
    )


def gap_dialog(parent: QWidget | None = None) -> ChoiceDialog:
    return ChoiceDialog("Time not watched", parent, on_top=True)


def ask_gap(dialog: ChoiceDialog, question, zone, now, mask: bool) -> None:
    gap = question.gap
    start = tray_text.local_time(gap.wall_before, zone)
    if gap.kind.value == "backward":
        choices = [(GapChoice.EXCLUDE.value, "&Count the real time (recommended)"),
                   (GapChoice.KEEP.value, "&Leave the times as the clock shows them"),
                   (GapChoice.STOP.value, f"&Stop the timer at {start}")]
    else:
        choices = [(GapChoice.EXCLUDE.value, "&Leave that time out and keep timing "
                    "(recommended)"),
                   (GapChoice.KEEP.value, "&Count it: I was working"),
                   (GapChoice.STOP.value, f"&Stop the timer at {start}")]
    dialog.set_choices(tray_text.gap_question(gap, question.entry, zone, now, mask), choices,
                       default=GapChoice.EXCLUDE.value)


def reminder_dialog(parent: QWidget | None = None) -> ChoiceDialog:
    return ChoiceDialog("Timer still running", parent, dismiss_choice="keep", on_top=True)


def ask_reminder(dialog: ChoiceDialog, status, elapsed: int) -> None:
    dialog.set_choices(tray_text.reminder(status, elapsed),
                       [("keep", "&Keep going"), ("stop", "S&top…")], default="keep")
