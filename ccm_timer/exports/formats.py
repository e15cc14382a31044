"""The export formats: what `ccm-timer export --format` takes and an export records.

Its own small module, so the command line's parser can list them without loading a renderer.
"""

from __future__ import annotations

from enum import StrEnum


class ExportFormat(StrEnum):
    EHR_TEXT = "ehr-text"  # notes to paste into the chart; not a billing file
    CSV = "csv"
    JSON = "json"
    FHIR = "fhir"
    PDF = "pdf"


FORMATS: tuple[ExportFormat, ...] = tuple(ExportFormat)
BILLING_FORMATS: tuple[ExportFormat, ...] = tuple(
    f for f in ExportFormat if f is not ExportFormat.EHR_TEXT)
