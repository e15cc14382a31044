"""Export file names: without patient identifiers (reliability R6.4). Writing them is
ccm_timer/fsio.py's job; the renderers stay pure."""

from __future__ import annotations

EXTENSIONS = {"csv": "csv", "json": "json", "fhir": "fhir.json", "ehr-text": "txt",
              "pdf": "pdf"}


def export_filename(month: str, fmt: str, export_id: str, draft: bool = False) -> str:
    """ccm-2026-11-<first 8 of the export id>.csv: no MRN, no name."""
    kind = "-draft" if draft else ""
    return f"ccm-{month}{kind}-{export_id.replace('-', '')[:8]}.{EXTENSIONS[fmt]}"


def filename_hint(month: str, fmt: str, draft: bool = False) -> str:
    return f"ccm-{month}{'-draft' if draft else ''}.{EXTENSIONS[fmt]}"
