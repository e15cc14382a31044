"""The export window's words and defaults, without Qt (tested without a screen): the month
offered first, the formats as people call them, a file name with no patient in it, the
progress of each stage, and the history's rows in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ccm_timer.core.access import Action
from ccm_timer.core.month import month_of
from ccm_timer.exports.filenames import EXTENSIONS
from ccm_timer.exports.formats import BILLING_FORMATS, FORMATS, ExportFormat
from ccm_timer.services.people.access import Signer

CLOSING_DAYS = 7  # in a month's first week the billing office is closing the one before

FORMAT_NAMES: dict[str, str] = {
    ExportFormat.EHR_TEXT: "EHR text notes (to paste into the chart)",
    ExportFormat.CSV: "CSV (spreadsheet, billing system)",
    ExportFormat.JSON: "JSON",
    ExportFormat.FHIR: "FHIR R4",
    ExportFormat.PDF: "PDF report",
}
SHORT_NAMES: dict[str, str] = {ExportFormat.EHR_TEXT: "EHR text", ExportFormat.CSV: "CSV",
                               ExportFormat.JSON: "JSON", ExportFormat.FHIR: "FHIR R4",
                               ExportFormat.PDF: "PDF"}
assert set(FORMAT_NAMES) == set(FORMATS)  # exactly what `ccm-timer export` offers

ALL, ONE, APPROVED = "all", "one", "approved"
SCOPES = ((ALL, "All patients"), (ONE, "One patient"), (APPROVED, "Only approved patients"))


def default_month(now: datetime, zone: ZoneInfo) -> str:
    """Last month in the first days of a month (its close), else this month."""
    ym = month_of(now, zone)
    return str(ym.previous() if now.astimezone(zone).day <= CLOSING_DAYS else ym)


def default_file_name(month: str, fmt: str, draft: bool) -> str:
    """ccm-2026-11.csv, ccm-2026-11-draft.pdf: never a patient's name or MRN."""
    return f"ccm-{month}{'-draft' if draft else ''}.{EXTENSIONS[fmt]}"


def is_billing_file(fmt: str, draft: bool) -> bool:
    """A billing file that is not a draft: the exporter's password at that moment."""
    return fmt in BILLING_FORMATS and not draft


def refusal(signer: Signer | None, fmt: str, draft: bool) -> str | None:
    """Why the signed-in person may not make this export, or None when they may."""
    if signer is None:
        return "Sign in at the tray first (Sign in… in its menu): exports name patients."
    if is_billing_file(fmt, draft) and not signer.may(Action.EXPORT):
        return (f"{signer.name} cannot export billing files: only the billing office or a "
                "practitioner does. You may still make a draft (every line marked draft) "
                "or EHR text notes.")
    return None


def retry_refusal(signer: Signer | None) -> str | None:
    if signer is None or not signer.may(Action.EXPORT):
        return "Only the billing office or a practitioner sends failed deliveries again."
    return None


# Stage -> (label, where its part of the bar starts and ends, in percent).
STAGES: dict[str, tuple[str, int, int]] = {
    "checking": ("Checking the month", 0, 100),
    "reading": ("Reading the month", 0, 10),
    "gathering": ("Gathering patient", 10, 70),
    "rendering": ("Making the file", 70, 95),
    "recording": ("Recording the export", 95, 100),
}


@dataclass(frozen=True)
class Step:
    text: str
    percent: int | None  # None: no end known yet (a busy bar)


def step(stage: str, done: int, total: int) -> Step:
    label, lo, hi = STAGES.get(stage, (stage, 0, 100))
    if total <= 0:
        return Step(f"{label}…", None if stage != "recording" else lo)
    return Step(f"{label} {done + 1} of {total}…", lo + (hi - lo) * done // total)


def when_text(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%b} {local.day}, {local:%Y} {local:%H:%M}"


def scope_text(scope: str, approved_only: bool) -> str:
    if scope != "all":
        return f"patient {scope}"
    return "approved patients" if approved_only else "all patients"


def kind_text(fmt: str, draft: bool | None) -> str:
    name = SHORT_NAMES.get(fmt, fmt)
    if fmt not in BILLING_FORMATS:
        return name
    return f"{name} draft" if draft else f"{name} billing file"


def delivery_text(deliveries, zone: ZoneInfo) -> tuple[str, bool]:
    """(what happened to each delivery, whether one failed for good)."""
    if not deliveries:
        return "saved to a file, not queued", False
    parts, failed = [], False
    for d in deliveries:
        state = str(d.state)
        if state == "delivered":
            at = f" {when_text(d.delivered_at, zone)}" if d.delivered_at else ""
            parts.append(f"delivered to {d.target}{at}")
        elif state == "failed":
            failed = True
            parts.append(f"not delivered to {d.target}: {d.last_error or 'refused'}")
        elif d.last_error:
            parts.append(f"waiting for {d.target} (tried {d.attempts}×: {d.last_error})")
        else:
            parts.append(f"waiting for {d.target}")
    return "; ".join(parts), failed
