"""Export file names: without patient identifiers (reliability R6.4). Writing them is
ccm_timer/fsio.py's job; the renderers stay pure."""

from __future__ import annotations

from ccm_timer.exports.formats import ExportFormat

EXTENSIONS: dict[str, str] = {  # looked up by a format's name as an export row keeps it
    ExportFormat.CSV: "csv", ExportFormat.JSON: "json", ExportFormat.FHIR: "fhir.json",
    ExportFormat.EHR_TEXT: "txt", ExportFormat.PDF: "pdf",
}


def export_filename(month: str, fmt: str, export_id: str, draft: bool = False) -> str:
    """ccm-2026-11-<first 8 of the export id>.csv: no MRN, no name."""
    kind = "-draft" if draft else ""
    return f"ccm-{month}{kind}-{export_id.replace('-', '')[:8]}.{EXTENSIONS[fmt]}"


def filename_hint(month: str, fmt: str, draft: bool = False) -> str:
    return f"ccm-{month}{'-draft' if draft else ''}.{EXTENSIONS[fmt]}"
