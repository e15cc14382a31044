"""The billing JSON: the CSV's claim lines, each with the entries (and their versions) whose
time supports it and the ICD-10-CM codes it points to (`diagnoses`), plus per patient the
held lines, warnings, changes since the last export, and the record the claims rest on: the
conditions, the consent per program and the care plan's last review.

A new key is added without a new VERSION; VERSION changes when a key is removed or changes
its meaning."""

from __future__ import annotations

import json
from typing import Any

SCHEMA = "ccm-timer/billing-month"
VERSION = 1
_ENTRY_KEYS = ("id", "origin_id", "version", "supersedes", "change_reason", "date", "start",
               "end", "start_utc", "end_utc", "seconds", "activity", "category", "program",
               "note", "source", "running", "amended_after_export")


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: entry[k] for k in _ENTRY_KEYS}
    out["clinician"] = entry["clinician"]
    return out


def _line(patient: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    by_id = {e["id"]: e for e in patient["entries"]}
    return {
        "id": line["id"],
        "patient": {k: patient[k] for k in ("mrn", "name", "birth_date")},
        **{k: line[k] for k in ("date_of_service", "code", "name", "program", "track",
                                "basis", "units", "minutes", "seconds", "status", "draft",
                                "rendering", "billing", "supervising", "warnings",
                                "diagnoses")},
        "amended_after_export": patient["amended"],
        "entries": [_entry(by_id[i]) for i in line["entry_ids"]],
    }


def _record(patient: dict[str, Any]) -> dict[str, Any]:
    """What the claims rest on; the care plan's review and revision, not its text (the
    billing office needs the one, the chart holds the other)."""
    plan = patient["care_plan"]
    return {"qmb": patient["qmb"], "conditions": patient["conditions"],
            "consents": patient["consents"], "care_plan_review": plan["last_review"],
            "care_plan_revised_in_month": plan["revised_in_month"]}


def render(doc: dict[str, Any]) -> bytes:
    data = {
        "schema": SCHEMA,
        "version": VERSION,
        **{k: doc[k] for k in ("month", "time_zone", "rules_year", "generated_at",
                               "generated_by", "scope", "draft", "amendment", "amends",
                               "date_of_service_rule", "period", "totals",
                               "audit_chain_head")},
        "lines": [_line(p, line) for p in doc["patients"] for line in p["lines"]],
        "patients": [
            {**{k: p[k] for k in ("mrn", "name", "birth_date", "programs", "approval",
                                  "minutes", "minutes_by_program", "warnings", "changes",
                                  "withdrawn_lines")},
             "held_lines": [{k: h[k] for k in ("code", "name", "program", "units", "minutes",
                                               "hold_reason", "diagnoses")}
                            for h in p["held_lines"]],
             **_record(p)}
            for p in doc["patients"]
        ],
        "left_out": [{"mrn": x["mrn"], "reason": x["reason"]} for x in doc["left_out"]],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
