"""One overview row per patient, from the month report: plain data and short texts.

Qt-free, so what a billing clerk reads (codes, holds, warnings) is tested without a screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ccm_timer.core.billing import ClaimLine, RuleSet
from ccm_timer.core.billing import warnings as warn
from ccm_timer.core.collation import name_key as collation_key
from ccm_timer.services.month.approvals import ApprovalState
from ccm_timer.services.month.report import MonthReport, PatientReport
from ccm_timer.ui.overview.progress_figures import ProgramProgress, program_progress

CONSENT_WARNINGS = (warn.NO_CONSENT, warn.NOT_ENROLLED)
# Short labels for the attention column; the tooltip carries the full sentences. Warnings
# that only inform (both roles' time, oversight time) are left to the patient view.
_SHORT = {
    warn.NO_CONSENT: "No {program} consent",
    warn.NOT_ENROLLED: "Not enrolled in {program}",
    warn.CONSENT_DURING_MONTH: "{program} time before consent",
    warn.OTHER_PRACTITIONER: "Another practitioner's time",
    warn.NO_BILLING_PRACTITIONER: "No billing practitioner",
    warn.OVER_CAP: "{program} over the cap",
    warn.OVERLAP: "Overlapping entries",
    warn.LONG_ENTRY: "Entry over 4 hours",
    warn.EXCLUDED_SAME_MONTH: "{program} excluded this month",
    warn.FLAG_MISSING: "{program} needs a month flag",
    warn.FLAG_REQUIRED: "A month flag would pay more",
    warn.UNKNOWN_PROGRAM: "{program} has no codes",
}


def minutes(seconds: int) -> str:
    """Whole minutes reached, as billing counts them (19:59 is 19)."""
    return str(seconds // 60)


def exact(seconds: int) -> str:
    """"19 min 59 s"; "0 min" rather than "0 s" for no time at all."""
    return warn.duration(seconds) if seconds else "0 min"


def hours(seconds: int) -> str:
    """A day's total the way people say it: "1 h 29 min" (whole minutes reached)."""
    h, m = divmod(seconds // 60, 60)
    return f"{h} h {m} min" if h else f"{m} min"


def line_text(line: ClaimLine) -> str:
    return line.code if line.units == 1 else f"{line.code} ×{line.units}"


APPROVED, REOPENED, NOT_APPROVED, NOTHING = (
    "Approved", "Reopened after changes", "Not approved", "—")
_APPROVAL_ORDER = {REOPENED: 0, NOT_APPROVED: 1, APPROVED: 2, NOTHING: 3}  # what needs doing
CHANGES_SHOWN = 6


def approval_text(state: ApprovalState | None, has_time: bool) -> str:
    if state is not None and state.reopened:
        return REOPENED  # even without time now: the approved lines were withdrawn
    if not has_time:
        return NOTHING
    return APPROVED if state is not None and state.approved else NOT_APPROVED


def _approved_when(state: ApprovalState, zone: ZoneInfo) -> str:
    assert state.approved_at is not None
    when = state.approved_at.astimezone(zone).strftime("%m/%d/%Y %H:%M")
    return f"by {state.approved_by} on {when}"


def approval_changes(state: ApprovalState | None) -> list[str]:
    """What changed since the approval, at most a handful and how many more."""
    if state is None:
        return []
    changes = [c.summary for c in state.changes[:CHANGES_SHOWN]]
    more = len(state.changes) - CHANGES_SHOWN
    return changes + ([f"and {more} more"] if more > 0 else [])


def approval_sentence(state: ApprovalState | None, has_time: bool, zone: ZoneInfo) -> str:
    """What follows the state in the patient view: "Approved — by … on …"."""
    text = approval_text(state, has_time)
    if text == NOTHING:
        return "no care-management time this month."
    if state is None or state.approved_at is None:
        return "the billing practitioner approves the month before it is billed."
    if text == REOPENED:
        return f"approved {_approved_when(state, zone)}, then changed; approve it again."
    return f"{_approved_when(state, zone)}."


def approval_tooltip(state: ApprovalState | None, has_time: bool, zone: ZoneInfo) -> str:
    text = approval_text(state, has_time)
    if text == NOTHING:
        return "No care-management time this month: nothing to approve."
    if state is None or state.approved_at is None:
        return "Not approved yet: the billing practitioner approves the month before billing."
    said = f"Approved {_approved_when(state, zone)}."
    if not state.reopened:
        return said
    return f"{said} Changed since, so it needs approving again:\n" + "\n".join(
        f"• {c}" for c in approval_changes(state))


@dataclass(frozen=True)
class OverviewRow:
    report: PatientReport
    progress: tuple[ProgramProgress, ...]
    approval_state: ApprovalState | None = None
    approval_tip: str = ""

    @property
    def mrn(self) -> str:
        return self.report.mrn

    @property
    def name(self) -> str:
        return self.report.display_name

    @property
    def name_key(self) -> tuple:
        """As people read names ("Ñúñez" before "Testpatient"): core/collation.py."""
        return collation_key(self.report.family_name), collation_key(self.report.given_name)

    @property
    def staff_seconds(self) -> int:
        return self.report.result.seconds_by_role.get("clinical_staff", 0)

    @property
    def practitioner_seconds(self) -> int:
        """The billing practitioner's own time (another practitioner's is shown apart)."""
        return self.report.result.seconds_by_role.get("practitioner", 0)

    @property
    def other_practitioner_seconds(self) -> int:
        return self.report.result.seconds_by_role.get("other_practitioner", 0)

    @property
    def total_seconds(self) -> int:
        return self.report.result.total_seconds

    @property
    def programs(self) -> str:
        names = [p.program for p in self.progress]
        names += [p for p in self.report.result.seconds_by_program if p not in names]
        return ", ".join(names)

    @property
    def billable_text(self) -> str:
        return ", ".join(line_text(x) for x in self.report.result.lines if not x.held)

    @property
    def held_text(self) -> str:
        return ", ".join(line_text(x) for x in self.report.result.lines if x.held)

    @property
    def codes_text(self) -> str:
        billable, held = self.billable_text, self.held_text
        if held:
            return f"{billable}  (held: {held})" if billable else f"held: {held}"
        return billable or "—"

    @property
    def codes_tooltip(self) -> str:
        lines = self.report.result.lines
        if not lines:
            return "No code earned yet this month."
        return "\n".join(
            f"{line_text(x)}: {'held, ' + (x.hold_reason or '') if x.held else 'billable'}"
            for x in lines)

    @property
    def billable_cents(self) -> int:
        """Sorts the codes column by what is billable (estimated), not by the text."""
        return round(sum(x.payment_usd for x in self.report.result.lines if not x.held) * 100)

    @property
    def nearest(self) -> ProgramProgress | None:
        ahead = [p for p in self.progress if p.seconds_needed is not None]
        return min(ahead, key=lambda p: p.seconds_needed or 0, default=None)

    @property
    def nearest_seconds(self) -> int | None:
        best = self.nearest
        return None if best is None else best.seconds_needed

    @property
    def near_threshold(self) -> bool:
        return any(p.near for p in self.progress)

    @property
    def missing_consent(self) -> bool:
        return any(w.code in CONSENT_WARNINGS for w in self.report.result.warnings)

    @property
    def attention(self) -> tuple[str, ...]:
        found: list[str] = []
        for w in self.report.result.warnings:
            label = _SHORT.get(w.code)
            if label and (text := label.format(program=w.program or "")) not in found:
                found.append(text)
        return tuple(found)

    @property
    def attention_tooltip(self) -> str:
        return "\n".join(w.message for w in self.report.result.warnings if w.code in _SHORT)

    @property
    def has_time(self) -> bool:
        return bool(self.report.result.total_seconds or self.report.result.lines)

    @property
    def approval(self) -> str:
        return approval_text(self.approval_state, self.has_time)

    @property
    def approval_order(self) -> int:
        return _APPROVAL_ORDER[self.approval]


def overview_rows(report: MonthReport, rules: RuleSet,
                  approvals: Mapping[str, ApprovalState] | None = None,
                  zone: ZoneInfo | None = None) -> list[OverviewRow]:
    """One row per patient; `approvals` maps MRN to its approval state."""
    found = approvals or {}
    rows = []
    for p in report.patients:
        state = found.get(p.mrn)
        has_time = bool(p.result.total_seconds or p.result.lines)
        tip = approval_tooltip(state, has_time, zone or ZoneInfo("UTC"))
        rows.append(OverviewRow(p, program_progress(p.result, rules), state, tip))
    return rows


@dataclass(frozen=True)
class MonthCounts:
    patients: int
    billable: int  # with at least one billable line
    near: int
    missing_consent: int

    @property
    def text(self) -> str:
        return (f"{self.patients} patients · {self.billable} with billable codes · "
                f"{self.near} within 5 minutes of a threshold · "
                f"{self.missing_consent} missing consent")


def month_counts(rows: list[OverviewRow]) -> MonthCounts:
    return MonthCounts(
        len(rows),
        sum(1 for r in rows if r.billable_text),
        sum(1 for r in rows if r.near_threshold),
        sum(1 for r in rows if r.missing_consent),
    )
