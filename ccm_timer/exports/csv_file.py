"""The billing CSV: one row per claim line, safe to open in a spreadsheet.

Quoted per RFC 4180 by the csv module; UTF-8 with a BOM so Excel reads names right; a text
cell a spreadsheet would run as a formula gets a leading single quote (OWASP CSV
injection, reliability R6.2). Numeric columns stay numbers and are never prefixed.

The first row names the columns; a reader should find them by name. A new column is added
at the end (audit_chain_head, then diagnoses), so a reader by position keeps its columns.
`diagnoses`: the claim line's ICD-10-CM codes, separated by ";" ("E11.9;I10").
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = (
    "mrn", "patient_name", "birth_date", "month", "date_of_service", "code", "description",
    "program", "units", "minutes", "rendering_clinician", "rendering_npi", "other_clinicians",
    "billing_practitioner", "billing_npi", "supervising_practitioner", "supervising_npi",
    "status", "approved_by", "approved_at", "amendment", "changes", "warnings",
    "audit_chain_head", "diagnoses",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralize(value: str) -> str:
    """'=1+1 for a cell that would otherwise run as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return neutralize(str(value))


def _name(person: dict | None) -> str:
    return person["label"] if person else ""


def _npi(person: dict | None) -> str:
    return person["npi"] if person else ""


def rows(doc: dict[str, Any]) -> list[list[Any]]:
    out = []
    for p in doc["patients"]:
        approval = p["approval"] or {}
        amendment = (f"amended after export: {len(p['changes'])} change(s)"
                     if p["amended"] else "")
        for line in p["lines"]:
            first, *others = line["rendering"] or [None]
            out.append([_cell(v) for v in (
                p["mrn"], p["name"], p["birth_date"], doc["month"], line["date_of_service"],
                line["code"], line["name"], line["program"], line["units"], line["minutes"],
                _name(first), _npi(first), "; ".join(o["label"] for o in others),
                _name(line["billing"]),
                _npi(line["billing"]), _name(line["supervising"]), _npi(line["supervising"]),
                line["status"], approval.get("by"), approval.get("at"), amendment,
                " | ".join(c["summary"] for c in p["changes"]),
                " | ".join(line["warnings"]), doc["audit_chain_head"],
                ";".join(line["diagnoses"]),
            )])
        for line in p["withdrawn_lines"]:  # sent before, no longer supported: undo it
            out.append([_cell(v) for v in (
                p["mrn"], p["name"], p["birth_date"], doc["month"], "", line["code"],
                line["name"], line["program"], 0, 0, "", "", "", "", "", "", "", "withdrawn",
                approval.get("by"), approval.get("at"), amendment,
                " | ".join(c["summary"] for c in p["changes"]), "", doc["audit_chain_head"],
                "",
            )])
    return out


def render(doc: dict[str, Any]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(doc))
    return buffer.getvalue().encode("utf-8-sig")
