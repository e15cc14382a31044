"""Whose minutes a month's seconds are, per patient, for the billing engine (issue 15).

The month's time comes from store/month_time.py grouped by patient, clinician and program,
and is sorted here into the engine's roles (core/billing/whose_time.py):
- a clinical staff member's seconds: "clinical_staff";
- the patient's billing practitioner's own seconds: "practitioner";
- another practitioner's: named apart (OtherPractitionerTime), counted as clinical-staff
  time only as the clinic's setting other_practitioner_time says (services/settings.py):
  "incident_to" (the default) when that practitioner works incident to the billing
  practitioner (`ccm-timer clinician set --incident-to yes`), "staff" always, "never" not;
- a practitioner's seconds on a patient with no billing practitioner named: "practitioner",
  and the engine holds the codes that need the billing practitioner's own time.

Consent: per patient and program, time counts from the start of a consent day inside the
month (core/billing/consent.py); the instants are handed to month_time as `counted_from`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from ccm_timer.core.billing import EnrollmentInput
from ccm_timer.core.billing.consent import consent_days
from ccm_timer.core.billing.inputs import OtherPractitionerTime
from ccm_timer.core.month import YearMonth, day_start_utc
from ccm_timer.store.models import Role
from ccm_timer.store.month_time import Group, MonthTime

# What the report asks month_time for.
GROUPS: tuple[Group, ...] = ("patient", "clinician", "program")
_PRACTITIONER = {Role.PRACTITIONER.name, Role.PRACTITIONER.value}


@dataclass(frozen=True, slots=True)
class Clinician:
    name: str
    practitioner: bool
    incident_to: bool


@dataclass
class PatientTime:
    """One patient's month as the engine reads it (PatientMonthTotals' parts)."""

    seconds: dict[tuple[str, str | None], int] = field(default_factory=dict)
    others: list[OtherPractitionerTime] = field(default_factory=list)
    before_consent: dict[str, int] = field(default_factory=dict)

    def add(self, role: str, program: str | None, secs: int) -> None:
        self.seconds[(role, program)] = self.seconds.get((role, program), 0) + secs


def clinicians(conn: Connection) -> dict[int, Clinician]:
    """Every clinician by their id's 128-bit number (a hub holds every workstation's)."""
    return {
        _number(r[0]): Clinician(r[1], str(r[2]) in _PRACTITIONER, bool(r[3]))
        for r in conn.execute(text("SELECT id, name, role, incident_to FROM clinician"))
    }


def consent_cuts(enrollments: Mapping[int, tuple[EnrollmentInput, ...]],
                 programs: Iterable[str], month: YearMonth,
                 zone: ZoneInfo) -> dict[tuple[uuid.UUID, str], datetime]:
    """Per (patient, program) with a consent day inside the month, the instant that day
    begins in the clinic's zone: the consent day itself counts (consent is obtained before
    the service that day; the record keeps its date, not its hour)."""
    wanted = tuple(programs)
    cuts = {}
    for pid, items in enrollments.items():
        for program, day in consent_days(items, wanted, month).items():
            cuts[(uuid.UUID(int=pid), program)] = day_start_utc(day, zone)
    return cuts


def _other(who: Clinician, program: str, secs: int, rule: str) -> OtherPractitionerTime:
    if rule == "staff":
        return OtherPractitionerTime(
            who.name, program, secs, True, "the clinic counts other practitioners' minutes "
            "as clinical-staff time: setting other_practitioner_time = staff")
    if rule == "never":
        return OtherPractitionerTime(
            who.name, program, secs, False, "the clinic counts other practitioners' minutes "
            "toward no code: setting other_practitioner_time = never")
    if who.incident_to:
        return OtherPractitionerTime(
            who.name, program, secs, True,
            f"{who.name} works incident to the billing practitioner")
    return OtherPractitionerTime(
        who.name, program, secs, False,
        f"{who.name} is not recorded as working incident to the billing practitioner; "
        "`ccm-timer clinician set --incident-to yes` records it")


def sort_time(time: MonthTime, staff: Mapping[int, Clinician],
              billing: Mapping[int, Any], rule: str) -> tuple[dict[int, PatientTime], int]:
    """(per patient id number, their month for the engine; program-level seconds).
    `time`: month_time's by GROUPS with `numbers` (ids as their 128-bit numbers);
    `billing`: per patient id number, the billing practitioner's id (None: none named);
    `rule`: the setting other_practitioner_time."""
    out: dict[int, PatientTime] = defaultdict(PatientTime)
    program_level = 0
    unknown = Clinician("A clinician no longer on file", False, False)
    chosen_of = {pid: None if chosen is None else _number(chosen)
                 for pid, chosen in billing.items()}  # once per patient, not per group
    for (patient, clinician, program), secs in time.seconds.items():
        if patient is None:
            program_level += secs
            continue
        who = staff.get(clinician, unknown)
        mine = out[patient]
        chosen = chosen_of.get(patient)
        if not who.practitioner:
            mine.add("clinical_staff", program, secs)
        elif program is None or chosen is None or chosen == clinician:
            mine.add("practitioner", program, secs)
        elif secs:
            mine.others.append(_other(who, program, secs, rule))
    for (patient, _clinician, program), secs in time.before.items():
        if patient is not None and program is not None:
            spent = out[patient].before_consent
            spent[program] = spent.get(program, 0) + secs
    for mine in out.values():  # one item per practitioner and program
        merged: dict[tuple[str, str, bool], OtherPractitionerTime] = {}
        for item in mine.others:  # a hub may hold one name under two workstations' ids
            key = (item.name, item.program, item.as_staff)
            seen = merged.get(key)
            merged[key] = item if seen is None else OtherPractitionerTime(
                item.name, item.program, seen.seconds + item.seconds, item.as_staff, item.why)
        mine.others = list(merged.values())
    return dict(out), program_level


def counts_toward(practitioner: bool, is_billing: bool, as_staff: bool) -> tuple[str, ...]:
    """Which time bases (rules.TimeBasis values) one clinician's minutes on a patient may
    count toward, as sort_time counts them: the exports list an entry as a claim line's
    support only for these. `is_billing`: the patient's billing practitioner, or no billing
    practitioner named (the engine then holds the practitioner-time lines)."""
    if not practitioner:
        return ("staff",)
    if is_billing:
        return ("staff", "practitioner")
    return ("staff",) if as_staff else ()


def _number(value: Any) -> int:
    """A stored id as its 128-bit number (SQLite keeps 32 hex digits, PostgreSQL a UUID)."""
    return value.int if isinstance(value, uuid.UUID) else int(str(value).replace("-", ""), 16)
