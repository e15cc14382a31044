"""EHR notes: one entry's note and a patient-month summary, ready to paste into the chart,
rendered from the (overridable) templates in the sandbox."""

from __future__ import annotations

import uuid
from typing import Any

from ccm_timer.core.month import month_of
from ccm_timer.errors import UserError
from ccm_timer.exports import document, templates
from ccm_timer.services.context import AppContext
from ccm_timer.services.exports.gather import build, build_in, people_by_name, template_dir
from ccm_timer.services.exports.render_worker import render_note, render_notes
from ccm_timer.services.timing import entries


def month_summary(ctx: AppContext, month: str, mrn: str) -> str:
    """The patient-month summary note, ready to paste into the chart."""
    doc, _ = build(ctx, month, mrn)
    return render_note(templates.MONTH_SUMMARY, _summary_context(doc, doc["patients"][0]),
                       template_dir(ctx))


def _summary_context(doc: dict, patient: dict) -> dict[str, Any]:
    return {**{k: doc[k] for k in ("month", "month_label", "time_zone", "generated_label",
                                   "rules_year")}, "patient": patient}


def note_for_entry(ctx: AppContext, entry_id: str | uuid.UUID) -> str:
    """The note for one entry (its current version), ready to paste into the chart."""
    with ctx.read() as session:  # the entry and its month from one snapshot
        row = entries.find_entry(session, str(entry_id))
        view = entries.view_of(session, ctx, row.id)
        if view.start is None:
            raise UserError("That entry has no time yet; start it before copying its note.")
        if view.patient_mrn is None:
            raise UserError("That entry is program-level time with no patient; it has no "
                            "chart note.")
        month = str(month_of(view.start, ctx.zone))
        doc, _ = build_in(session, ctx, month, view.patient_mrn)
        people = people_by_name(session)
    patient = doc["patients"][0]
    entry = next((e for e in patient["entries"] if e["origin_id"] == str(view.origin_id)),
                 None)
    if entry is None:  # not in the month's log (voided); still a note of what it was
        entry = document.entry_item({**view.__dict__}, ctx.zone, people)
    context = {**_summary_context(doc, patient), "entry": entry}
    return render_note(templates.ENTRY_NOTE, context, template_dir(ctx))


def note_for_last_entry(ctx: AppContext, clinician: str | None = None) -> str:
    """The note for the clinician's (default: this workstation's) most recent entry."""
    with ctx.read() as session:
        who = ctx.settings.default_clinician if clinician is None else clinician
        from ccm_timer.services.people import clinicians

        person = clinicians.find(session, ctx, who)
    recent = [v for v in entries.list_entries(ctx, clinician=str(person.id)) if v.patient_mrn]
    if not recent:
        raise UserError(f"{person.name} has no patient entry yet; there is no note to copy.")
    return note_for_entry(ctx, recent[-1].id)


def ehr_text(ctx: AppContext, doc: dict[str, Any]) -> bytes:
    """Every patient's month summary, one after the other."""
    notes = render_notes(templates.MONTH_SUMMARY,
                         [_summary_context(doc, p) for p in doc["patients"]], template_dir(ctx))
    return ("\n" + "=" * 60 + "\n\n").join(notes).encode("utf-8")
