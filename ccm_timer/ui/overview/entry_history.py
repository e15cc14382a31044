"""An entry's versions as a person reads them: when, who, what changed and why.

Qt-free. The versions come from services.entries.history; who made each version comes from
the audit trail (the event whose snapshot is that version), read through services.audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ccm_timer.services.context import AppContext
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.services.timing.entry_values import EntryView
from ccm_timer.ui.overview.month_names import local_clock
from ccm_timer.ui.overview.rows import exact

_CREATED = {"timer": "Timed", "manual": "Added by hand", "import": "Imported"}


@dataclass(frozen=True)
class VersionRow:
    version: int
    at: datetime
    who: str
    what: str
    why: str
    current: bool


def _span(view: EntryView, zone) -> str:
    day = view.start.astimezone(zone).strftime("%d %b") if view.start else ""
    return f"{day} {local_clock(view.start, zone)}–{local_clock(view.end, zone)}"


def changes(old: EntryView, new: EntryView, zone) -> str:
    """What differs between two versions, in words."""
    said: list[str] = []
    if new.voided and not old.voided:
        return "Voided; its minutes no longer count"
    if (old.start, old.end) != (new.start, new.end) or old.seconds != new.seconds:
        said.append(f"time {_span(old, zone)} ({exact(old.seconds)}) → {_span(new, zone)} "
                    f"({exact(new.seconds)})")
    if old.category != new.category:
        said.append(f"activity {old.category_label} → {new.category_label}")
    if old.program != new.program:
        said.append(f"program {old.program or 'none'} → {new.program or 'none'}")
    if old.clinician != new.clinician:
        said.append(f"clinician {old.clinician} → {new.clinician}")
    if old.patient_mrn != new.patient_mrn:
        said.append(f"patient {old.patient_mrn or 'none'} → {new.patient_mrn or 'none'}")
    if old.note != new.note:
        said.append(f"note “{old.note}” → “{new.note}”")
    text = "; ".join(said) or "no visible change"
    return text[:1].upper() + text[1:]


def version_rows(ctx: AppContext, entry_id: str) -> list[VersionRow]:
    """Oldest first."""
    versions = entries.history(ctx, entry_id)
    if not versions:
        return []
    authors = audit.authors(ctx, versions[0].origin_id)
    zone = ctx.zone
    rows = []
    for i, view in enumerate(versions):
        if i == 0:
            what = (f"{_CREATED.get(view.source, 'Recorded')}: {_span(view, zone)} "
                    f"({exact(view.seconds)})")
            why = ""
        else:
            what = changes(versions[i - 1], view, zone)
            why = view.void_reason if view.voided and not versions[i - 1].voided else (
                view.change_reason or "")
        rows.append(VersionRow(view.version, view.created_at, authors.get(str(view.id), "—"),
                               what, why or "", not view.superseded))
    return rows
