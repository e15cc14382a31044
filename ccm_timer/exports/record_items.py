"""The patient's care-management record in the export document: the conditions on file, the
care plan and its last review, and the consent per program, as plain dicts with labels;
and the diagnosis codes each claim line points to.

Pure, like document.py: the services read the month's record and pass plain rows in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

# A claim (CMS-1500 item 21, the 837P HI segment) holds at most 12 diagnosis codes.
MAX_DIAGNOSES = 12
# Programs whose claim points to the chronic conditions that qualify the patient; the
# other programs point to every condition on file.
CHRONIC_PROGRAMS = frozenset({"CCM", "PCM"})
KIND_ORDER = ("problem", "goal", "intervention")
# The three disclosures of a complete consent, by the name the command line uses, with
# the plain words a note shows.
DISCLOSURE_LABELS = {
    "cost-sharing": "cost sharing",
    "one-practitioner": "only one practitioner can bill it each month",
    "right-to-stop": "the right to stop at any time",
}
# What a consent lacks, in the words the patient view uses (enrollments.consent_missing).
_MISSING_WORDS = {
    "method": "how it was given",
    "obtained_by": "who obtained it",
    "cost_sharing": "the cost-sharing disclosure",
    "one_practitioner": "the one-practitioner disclosure",
    "right_to_stop": "the right-to-stop disclosure",
}


def _day_label(value: date | None) -> str:
    return value.strftime("%m/%d/%Y") if value else ""


def _instant(value: datetime) -> datetime:
    """A stored instant as UTC (a naive one is UTC, as the store writes them)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso_day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def conditions(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The conditions on file (`code`, `description`, `since`, `category`: the chronic
    category, None when not chronic), chronic ones first, then by code."""
    out = []
    for row in rows:
        since = _iso_day(row.get("since"))
        out.append({
            "code": row["code"],
            "description": row["description"],
            "since": since.isoformat() if since else None,
            "since_label": _day_label(since),
            "chronic": row.get("category") is not None,
            "category": row.get("category"),
        })
    return sorted(out, key=lambda c: (not c["chronic"], c["code"]))


def care_plan(items: Sequence[Mapping[str, Any]], last_review: Mapping[str, Any] | None,
              revised_in_month: bool, zone: ZoneInfo,
              labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The plan current at the month's end, problems then goals then interventions (each
    oldest first), and its last review. `labels`: a person's name -> "Name, RN"."""
    labels = labels or {}
    ordered = sorted(items, key=lambda i: (
        KIND_ORDER.index(i["kind"]) if i["kind"] in KIND_ORDER else len(KIND_ORDER),
        _instant(i["created_at"]), i["text"]))
    review = None
    if last_review is not None:
        at = _instant(last_review["at"])
        review = {"at": at.isoformat(), "at_label": _day_label(at.astimezone(zone).date()),
                  "by": last_review["by"],
                  "by_label": labels.get(last_review["by"], last_review["by"]),
                  "substantial": bool(last_review["substantial"])}
    return {
        "items": [{"kind": i["kind"], "text": i["text"],
                   "condition_code": i.get("condition_code"),
                   "created_at": _instant(i["created_at"]).isoformat(),
                   "created_label": _day_label(_instant(i["created_at"]).astimezone(zone)
                                               .date()),
                   "created_by": i["created_by"]} for i in ordered],
        "last_review": review,
        "revised_in_month": bool(revised_in_month),
    }


def consent(enrollment: Mapping[str, Any], program_name: str,
            required: Sequence[str] = (),
            labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One program's consent. `required`: the consent elements the program's rule asks for
    (the rule file's [eligibility] table), so `complete` agrees with the lines held."""
    labels = labels or {}
    day = _iso_day(enrollment.get("consent_date"))
    disclosures = [d for d in DISCLOSURE_LABELS if d in set(enrollment.get("disclosures", ()))]
    recorded = {d.replace("-", "_") for d in disclosures}
    if enrollment.get("consent_method") in ("verbal", "written"):
        recorded.add("method")
    if enrollment.get("consent_by"):
        recorded.add("obtained_by")
    missing = (["the consent date"] if day is None else
               [_MISSING_WORDS.get(e, e) for e in required if e not in recorded])
    withdrawn = _iso_day(enrollment.get("withdrawn_on"))
    by = enrollment.get("consent_by")
    return {
        "program": enrollment["program"],
        "program_name": program_name,
        "date": day.isoformat() if day else None,
        "date_label": _day_label(day) or "not on file",
        "method": enrollment.get("consent_method"),
        "obtained_by": by,
        "obtained_by_label": labels.get(by, by) if by else "",
        "disclosures": disclosures,
        "disclosure_labels": [DISCLOSURE_LABELS[d] for d in disclosures],
        "complete": not missing,
        "missing": missing,
        "withdrawn_on": withdrawn.isoformat() if withdrawn else None,
        "withdrawn_label": _day_label(withdrawn),
        "has_document": bool(enrollment.get("has_document")),
    }


def one_per_program(enrollments: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A hub holds each workstation's copy of an enrolment: keep the one the billing engine
    judges (the earliest consent on file; the first copy when none has one)."""
    best: dict[str, Mapping[str, Any]] = {}
    for e in enrollments:
        kept = best.get(e["program"])
        if kept is None or (e.get("consent_date") is not None and (
                kept.get("consent_date") is None
                or str(e["consent_date"]) < str(kept["consent_date"]))):
            best[e["program"]] = e
    return list(best.values())


def diagnoses(program: str, on_file: Sequence[Mapping[str, Any]]) -> list[str]:
    """The ICD-10-CM codes a claim line of `program` points to, in the order of `on_file`
    (chronic first): the chronic conditions for CCM and PCM, every condition otherwise."""
    chronic_only = program in CHRONIC_PROGRAMS
    return [c["code"] for c in on_file if c["chronic"] or not chronic_only][:MAX_DIAGNOSES]
