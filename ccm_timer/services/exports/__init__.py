"""Exports: EHR notes and billing files for a month, recorded and optionally queued.

The data comes from the month report and the entry views (gather.py); the renderers in
ccm_timer/exports get it as plain data. Billing files carry only approved patient-months
unless a draft is asked for. Changes after the last export of a patient-month make the next
export an amendment that lists them (and withdraws lines the time no longer supports).

What the UI calls: `note_for_entry`, `note_for_last_entry`, `month_summary` (notes.py) and
`export_month` (record.py); month close is services/month/approvals.py.
"""

from ccm_timer.exports.formats import BILLING_FORMATS, FORMATS
from ccm_timer.services.exports.gather import Exported, build, export_marks, template_dir
from ccm_timer.services.exports.month_export import ExportResult, export_month, render
from ccm_timer.services.exports.notes import (
    ehr_text,
    month_summary,
    note_for_entry,
    note_for_last_entry,
)

__all__ = [
    "BILLING_FORMATS",
    "FORMATS",
    "ExportResult",
    "Exported",
    "build",
    "ehr_text",
    "export_marks",
    "export_month",
    "month_summary",
    "note_for_entry",
    "note_for_last_entry",
    "render",
    "template_dir",
]
