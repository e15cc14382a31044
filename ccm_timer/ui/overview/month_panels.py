"""The patient view's month panels: the figures (minutes, codes, bar, warnings) and the month
facts (flags) that complex CCM and RPM need."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from ccm_timer.core.billing import PatientMonthResult, RuleSet
from ccm_timer.services.month.month_flags import FLAG_NAMES, MonthFlagsView
from ccm_timer.ui.overview.progress_figures import program_progress
from ccm_timer.ui.overview.rows import exact, line_text
from ccm_timer.ui.overview.threshold_bar import ThresholdBar

BILLABLE_STYLE = "color: #15803d; font-weight: bold;"
HELD_STYLE = "color: #b45309; font-weight: bold;"
FLAG_LABELS = {
    "complex_mdm": "&Complex medical decision making",
    "care_plan_revised": "Care plan &established or substantially revised",
    "interactive_contact": "&Interactive contact made (audio or video)",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class FiguresPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("This month", parent)
        self.minutes = QLabel()
        self.billable = QLabel(wordWrap=True)
        self.held = QLabel(styleSheet=HELD_STYLE, wordWrap=True)
        self.bar = ThresholdBar()
        self.warnings = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        for label in (self.minutes, self.billable, self.held, self.warnings):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.minutes)
        layout.addWidget(self.billable)
        layout.addWidget(self.held)
        layout.addWidget(self.bar)
        layout.addWidget(self.warnings)
        layout.addStretch(1)

    def show_result(self, result: PatientMonthResult, rules: RuleSet) -> None:
        self.minutes.setText(minutes_text(result))
        billable = [line_text(x) for x in result.lines if not x.held]
        held = [f"{line_text(x)} ({x.hold_reason})" for x in result.lines if x.held]
        self.billable.setText(f"Billable: {', '.join(billable)}" if billable else
                              "No billable code yet this month.")
        self.billable.setStyleSheet(BILLABLE_STYLE if billable else "")
        self.held.setText(f"Held: {'; '.join(held)}")
        self.held.setVisible(bool(held))
        self.bar.set_bands(program_progress(result, rules))
        items = "".join(f"<li>{_escape(w.message)}</li>" for w in result.warnings)
        self.warnings.setText(f"<ul style='margin-left: -20px'>{items}</ul>" if items else "")
        self.warnings.setVisible(bool(items))


def minutes_text(result: PatientMonthResult) -> str:
    """The month's minutes by whose they are; another practitioner's time and time before
    consent apart, as the report counts them (neither is the billing practitioner's)."""
    roles = result.seconds_by_role
    parts = [f"Clinical staff {exact(roles.get('clinical_staff', 0))}",
             f"Practitioner {exact(roles.get('practitioner', 0))}"]
    if other := roles.get("other_practitioner", 0):
        parts.append(f"Other practitioners {exact(other)}")
    parts.append(f"Total {exact(result.total_seconds)}")
    if before := sum(result.seconds_before_consent.values()):
        parts.append(f"Before consent {exact(before)} (not counted)")
    return " · ".join(parts)


def flag_uses(rules: RuleSet) -> dict[str, list[str]]:
    """Flag -> the codes that need it (to be considered, or to be billable)."""
    uses: dict[str, list[str]] = {name: [] for name in FLAG_NAMES}
    for tracks in rules.tracks_by_program.values():
        for track in tracks:  # a flag the base code needs gates its add-on too
            for flag in (*track.requires, *track.hold_unless):
                for code in track.codes:
                    if flag in uses and code not in uses[flag]:
                        uses[flag].append(code)
    return uses


class FlagsPanel(QGroupBox):
    toggled = Signal(str, bool)  # flag name, on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Month facts (this month only)", parent)
        self.boxes: dict[str, QCheckBox] = {}
        self.uses: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        for name in FLAG_NAMES:
            box = QCheckBox(FLAG_LABELS.get(name, name.replace("_", " ")))
            box.toggled.connect(lambda on, n=name: self.toggled.emit(n, on))
            use = QLabel(styleSheet="color: palette(placeholder-text); margin-left: 22px;",
                         wordWrap=True)
            self.boxes[name], self.uses[name] = box, use
            layout.addWidget(box)
            layout.addWidget(use)
        layout.addStretch(1)

    def set_rules(self, rules: RuleSet) -> None:
        uses = flag_uses(rules)
        for name in self.boxes:
            text = rules.flag_descriptions.get(name, "")
            codes = uses.get(name) or []
            need = f" Needed for {', '.join(codes)}." if codes else ""
            self.uses[name].setText(f"{text[:1].upper()}{text[1:]}.{need}" if text else need)

    def show_flags(self, flags: MonthFlagsView) -> None:
        for name, box in self.boxes.items():
            box.blockSignals(True)  # showing stored facts is not the user setting them
            box.setChecked(bool(getattr(flags, name)))
            box.blockSignals(False)
