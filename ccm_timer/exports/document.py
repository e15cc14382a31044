"""The export document: one patient-month (or a whole month) as plain dicts, lists, strings
and numbers, built once and given to every renderer and note template.

Pure: the services gather rows and pass them in; nothing here reads a database or a clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ccm_timer.core.collation import name_key
from ccm_timer.core.month import YearMonth, month_bounds_utc
from ccm_timer.exports import record_items

PROGRAM_NAMES = {
    "CCM": "Chronic Care Management",
    "PCM": "Principal Care Management",
    "BHI": "Behavioral Health Integration",
    "RPM": "Remote Physiologic Monitoring treatment management",
    "CPO_HOME_HEALTH": "Care Plan Oversight (home health)",
    "CPO_HOSPICE": "Care Plan Oversight (hospice)",
    "APCM": "Advanced Primary Care Management",
    "COCM": "Psychiatric Collaborative Care Management",
}
ROLE_NAMES = {"clinical_staff": "clinical staff", "practitioner": "practitioner"}
# Stable ids: the same patient-month and code always get the same line id, so a receiver
# that stores by id (a FHIR server's PUT) overwrites instead of duplicating.
ID_NAMESPACE = uuid.UUID("5b0c3a52-2f0e-4d1c-9a55-6c6d54696d65")


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(p) for p in parts)))


def minutes_text(seconds: int) -> str:
    """12 min, or 12 min 30 s: never rounded up (a partial minute is not a minute)."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def date_label(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def person(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A clinician as every renderer shows them: name, credential, role, NPI."""
    if not row:
        return None
    credential = row.get("credential") or ""
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "credential": credential,
        "role": row.get("role") or "",
        "role_label": ROLE_NAMES.get(row.get("role") or "", row.get("role") or ""),
        "npi": row.get("npi") or "",
        "label": f"{row['name']}, {credential}" if credential else row["name"],
    }


def _local(instant: datetime | None, zone: ZoneInfo) -> datetime | None:
    return instant.astimezone(zone) if instant is not None else None


def entry_item(row: Mapping[str, Any], zone: ZoneInfo, people: Mapping[str, Any]) -> dict:
    """One time entry (current version) for the activity log. `row` has the entry view's
    fields plus `month_seconds` (the part inside the month) and the change marks."""
    start, end = _local(row["start"], zone), _local(row["end"], zone)
    who = person(people.get(row["clinician"])) or person(
        {"id": "", "name": row["clinician"], "role": row["clinician_role"]})
    seconds = int(row.get("month_seconds", row["seconds"]))
    return {
        "id": str(row["id"]),
        "origin_id": str(row["origin_id"]),
        "version": row["version"],
        "supersedes": str(row["supersedes_id"]) if row.get("supersedes_id") else None,
        "change_reason": row.get("change_reason"),
        "date": start.date().isoformat() if start else None,
        "date_label": date_label(start.date()) if start else "",
        "weekday": start.strftime("%a") if start else "",
        "start": start.strftime("%H:%M") if start else "",
        "end": end.strftime("%H:%M") if end else "",
        "zone_abbr": start.tzname() if start else "",
        "start_utc": row["start"].isoformat() if row["start"] else None,
        "end_utc": row["end"].isoformat() if row["end"] else None,
        "running": row["state"] != "stopped",
        "seconds": seconds,
        "minutes": seconds // 60,
        "minutes_text": minutes_text(seconds),
        "entry_seconds": int(row["seconds"]),
        # Issue 15: the seconds counted (from the program's consent day on) and the time
        # bases ("staff", "practitioner") they may count toward; none: shown, not counted.
        **({"counted_seconds": int(row["counted_seconds"]), "counts": list(row["counts"])}
           if "counts" in row else {}),
        "clinician": who,
        "category": row["category"],
        "activity": row["category_label"],
        "program": row["program"],
        "program_name": PROGRAM_NAMES.get(row["program"] or "", row["program"] or ""),
        "note": (row.get("note") or "").strip(),
        "source": row["source"],
        "amended_after_export": bool(row.get("amended_after_export")),
        "changed_after_approval": bool(row.get("changed_after_approval")),
    }


def _counted(entry: Mapping[str, Any]) -> int:
    """The entry's seconds the month counted (none before its program's consent day)."""
    return int(entry.get("counted_seconds", entry["seconds"]))


def _supports(line: Mapping[str, Any], entry: Mapping[str, Any], basis: str,
              work_program: str | None = None) -> bool:
    """Whether an entry is time behind a line: its program's (or, for a code billed on
    another program's month of work such as APCM's G0568-G0570, that program's)."""
    if entry["program"] not in (line["program"], work_program):
        return False
    counts = entry.get("counts")
    if counts is not None:  # whose time it is, as the month report counted it (issue 15)
        return basis in counts and _counted(entry) > 0
    return basis != "practitioner" or entry["clinician"]["role"] == "practitioner"


def _threshold_day(line: Mapping[str, Any], support: Sequence[Mapping[str, Any]],
                   codes: Mapping[str, Any]) -> str | None:
    """The day the supporting time reached the line's last unit (CMS leaves the date of
    service to the MAC; some use the day the threshold was met)."""
    rule = codes.get(line["code"], {})
    base = codes.get(rule.get("addon_to") or "", {})
    if rule.get("threshold_minutes"):
        target = rule["threshold_minutes"] * 60
    elif base.get("threshold_minutes") and rule.get("increment_minutes"):
        target = (base["threshold_minutes"] + line["units"] * rule["increment_minutes"]) * 60
    else:
        return None
    total = 0
    for entry in sorted(support, key=lambda e: e["start_utc"] or ""):
        total += _counted(entry)
        if total >= target:
            return entry["date"]
    return None


def claim_line(line: Mapping[str, Any], *, patient_id: str, month: str,
               entries: Sequence[Mapping[str, Any]], codes: Mapping[str, Any],
               warnings: Sequence[Mapping[str, Any]], billing: dict | None,
               draft: bool, dos_rule: str, last_day: date,
               diagnoses: Sequence[str] = ()) -> dict[str, Any]:
    rule = codes.get(line["code"], {})
    basis = rule.get("time") or "staff"
    support = [e for e in entries if _supports(line, e, basis, rule.get("work_program"))]
    by_person: dict[str, list] = {}
    for entry in support:
        slot = by_person.setdefault(entry["clinician"]["name"], [entry["clinician"], 0])
        slot[1] += _counted(entry)
    rendering = [p for p, _ in sorted(by_person.values(),
                                      key=lambda s: (-s[1], name_key(s[0]["name"])))]
    has_staff = any(p["role"] == "clinical_staff" for p in rendering)
    day = _threshold_day(line, support, codes) if dos_rule == "threshold" else None
    return {
        "id": stable_id("claim-line", patient_id, month, line["code"]),
        "code": line["code"],
        "name": rule.get("name") or line["code"],
        "program": line["program"],
        "track": line["track"],
        "basis": basis,
        "units": line["units"],
        "seconds": line["seconds"],
        "minutes": line["seconds"] // 60,
        "held": line["held"],
        "hold_reason": line.get("hold_reason"),
        "draft": draft,
        "status": "draft" if draft else "approved",
        "date_of_service": day or last_day.isoformat(),
        # Everyone whose time supports the line, most time first; the first is the line's
        # rendering clinician in the CSV, the others are listed beside them.
        "rendering": rendering,
        "rendering_label": "; ".join(p["label"] for p in rendering),
        "billing": billing,
        # Clinical staff work under the billing practitioner's general supervision.
        "supervising": billing if has_staff else None,
        "warnings": [w["message"] for w in warnings
                     if w.get("program") in (None, line["program"])],
        "entry_ids": [e["id"] for e in support],
        # The ICD-10-CM codes the claim points to (record_items.diagnoses), for the office.
        "diagnoses": list(diagnoses),
    }


def patient_month(*, patient: Mapping[str, Any], result: Mapping[str, Any],
                  entries: Sequence[Mapping[str, Any]], enrollments: Sequence[Mapping],
                  codes: Mapping[str, Any], billing: dict | None,
                  approval: Mapping[str, Any] | None, changes: Sequence[Mapping],
                  draft: bool, month: YearMonth, withdrawn: Sequence[str] = (),
                  dos_rule: str = "month_end", conditions: Sequence[Mapping] = (),
                  care_plan: Mapping[str, Any] | None = None, qmb: bool | None = None,
                  consent_rules: Mapping[str, Sequence[str]] | None = None,
                  labels: Mapping[str, str] | None = None) -> dict:
    """One patient's month: totals, the lines the time supports, held lines, the log, and
    the record the month saw (record_items.py: `conditions` and `care_plan` as built there).
    `withdrawn`: codes the last export sent that the time no longer supports;
    `consent_rules`: per program, the consent elements its rule asks for; `labels`: a
    person's name -> "Name, RN"."""
    pid = str(patient["id"])
    on_file = list(conditions)
    lines = [claim_line(line, patient_id=pid, month=str(month), entries=entries,
                        codes=codes, warnings=result["warnings"], billing=billing,
                        draft=draft, dos_rule=dos_rule, last_day=month.last_day,
                        diagnoses=record_items.diagnoses(line["program"], on_file))
             for line in result["lines"]]
    staff = result["seconds"]["by_role"].get("clinical_staff", 0)
    pract = result["seconds"]["by_role"].get("practitioner", 0)
    shown = [e for e in enrollments
             if e["program"] in result["seconds"]["by_program"] or _active(e, month)]
    programs = [
        {"program": e["program"], "program_name": PROGRAM_NAMES.get(e["program"], e["program"]),
         "consent_date": e["consent_date"], "consent_method": e["consent_method"],
         "consent_label": date_label(date.fromisoformat(e["consent_date"]))
         if e["consent_date"] else "not on file"}
        for e in shown
    ]
    rules = consent_rules or {}
    consents = [record_items.consent(e, PROGRAM_NAMES.get(e["program"], e["program"]),
                                     rules.get(e["program"], ()), labels)
                for e in record_items.one_per_program(shown)]
    birth = patient.get("birth_date")
    return {
        "id": pid,
        "mrn": patient["mrn"],
        "name": f"{patient['family_name']}, {patient['given_name']}",
        "family_name": patient["family_name"],
        "given_name": patient["given_name"],
        "birth_date": birth,
        "birth_date_label": date_label(date.fromisoformat(birth)) if birth else "",
        "programs": programs,
        "qmb": qmb,
        "conditions": on_file,
        "care_plan": dict(care_plan) if care_plan else record_items.care_plan(
            (), None, False, ZoneInfo("UTC")),
        "consents": consents,
        "billing_practitioner": billing,
        "approval": dict(approval) if approval else None,
        "amended": bool(changes or withdrawn),
        "changes": list(changes),
        "withdrawn_lines": [{"id": stable_id("claim-line", pid, str(month), code),
                             "code": code, "name": codes.get(code, {}).get("name", code),
                             "program": codes.get(code, {}).get("program", "")}
                            for code in withdrawn],
        "minutes": {"clinical_staff": staff // 60, "practitioner": pract // 60,
                    "total": (staff + pract) // 60},
        "minutes_text": {"clinical_staff": minutes_text(staff),
                         "practitioner": minutes_text(pract),
                         "total": minutes_text(staff + pract)},
        "minutes_by_program": {k: v // 60 for k, v in result["seconds"]["by_program"].items()},
        "lines": [line for line in lines if not line["held"]],
        "held_lines": [line for line in lines if line["held"]],
        "next": [n for n in result["next"] if n.get("chosen")],
        "warnings": [w["message"] for w in result["warnings"]],
        "entries": list(entries),
    }


def _active(enrollment: Mapping[str, Any], month: YearMonth) -> bool:
    start, end = enrollment.get("start_date"), enrollment.get("end_date")
    return (start is None or start <= month.last_day.isoformat()) and (
        end is None or end >= month.first_day.isoformat())


def month_document(*, month: YearMonth, zone: ZoneInfo, generated_at: datetime,
                   generated_by: str, scope: str, draft: bool, patients: Sequence[dict],
                   left_out: Sequence[dict] = (), amends: Sequence[dict] = (),
                   program_level_seconds: int = 0, rules_year: int | None = None,
                   dos_rule: str = "month_end") -> dict[str, Any]:
    lo, hi = month_bounds_utc(month, zone)
    lines = [line for p in patients for line in p["lines"]]
    return {
        "month": str(month),
        "month_label": month.first_day.strftime("%B %Y"),
        "time_zone": zone.key,
        "rules_year": rules_year,
        "generated_at": generated_at.astimezone(zone).isoformat(timespec="seconds"),
        "generated_label": generated_at.astimezone(zone).strftime("%m/%d/%Y %H:%M %Z"),
        "generated_by": generated_by,
        "scope": scope,
        "draft": draft,
        "amendment": any(p["amended"] for p in patients),
        "amends": list(amends),
        "date_of_service_rule": dos_rule,
        # The calendar month in the clinic's zone; the end is its last second (inclusive).
        "period": {"start": lo.astimezone(zone).isoformat(),
                   "end": (hi - timedelta(seconds=1)).astimezone(zone).isoformat(),
                   "first_day": month.first_day.isoformat(),
                   "last_day": month.last_day.isoformat()},
        "patients": list(patients),
        "left_out": list(left_out),
        "totals": {
            "patients": len(patients),
            "lines": len(lines),
            "units": sum(line["units"] for line in lines),
            "minutes": sum(p["minutes"]["total"] for p in patients),
            "clinical_staff_minutes": sum(p["minutes"]["clinical_staff"] for p in patients),
            "practitioner_minutes": sum(p["minutes"]["practitioner"] for p in patients),
            "held_lines": sum(len(p["held_lines"]) for p in patients),
        },
        "program_level_minutes": program_level_seconds // 60,
    }
