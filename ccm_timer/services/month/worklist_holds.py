"""Whether a worklist row's claim would be held once its time is worked, and why, in the
billing engine's own words.

A row short of its first code has no claim line yet, so the report cannot say whether time
would pay: the engine is asked again with the row's program at its next threshold (the other
programs at the time they have, for the same-month exclusions), on the enrolments, month
facts and record the report billed by. A line held there is held whatever time is added:
consent incomplete, too few chronic conditions, no billing practitioner for a code of her
own minutes, RPM's interactive contact not recorded, a program billed instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from sqlalchemy import Connection, text

from ccm_timer.core.billing import (
    EnrollmentInput,
    MonthFlags,
    NextThreshold,
    PatientMonthTotals,
    RuleSet,
    TimeBasis,
    evaluate_patient_month,
)
from ccm_timer.core.month import YearMonth
from ccm_timer.services.month.report import PatientReport

MonthFlagsById = Mapping[int, MonthFlags]  # by the patient id's 128-bit number
_ROLE = {TimeBasis.STAFF: "clinical_staff", TimeBasis.PRACTITIONER: "practitioner"}


def read_flags(conn: Connection, ym: YearMonth) -> dict[int, MonthFlags]:
    """The month facts set by hand, as the report reads them (same snapshot)."""
    return {_number(r[0]): MonthFlags(bool(r[1]), bool(r[2]), bool(r[3]))
            for r in conn.execute(text(
                "SELECT patient_id, complex_mdm, care_plan_revised, interactive_contact "
                "FROM patient_month WHERE month = :m"), {"m": str(ym)})}


def hold_reason(patient: PatientReport, enrollments: Sequence[EnrollmentInput],
                flags: MonthFlagsById, rules: RuleSet, step: NextThreshold,
                zone: tzinfo) -> str | None:
    """Why `step`'s claim would be held once reached (None: it would be billable)."""
    result = patient.result
    by_name = {t.name: t for tracks in rules.tracks_by_program.values() for t in tracks}
    seconds: dict[tuple[str, str | None], int] = {}
    for choice in result.tracks:
        track = by_name.get(choice.chosen)
        if choice.program != step.program and track is not None and choice.chosen_seconds:
            seconds[(_ROLE[track.time], choice.program)] = choice.chosen_seconds
    seconds[(_ROLE[by_name[step.track].time], step.program)] = step.threshold_seconds
    month = flags.get(patient.patient_id.int, MonthFlags())
    if patient.record.revised_in_month:  # as the report sets it (month_record.py)
        month = MonthFlags(month.complex_mdm, True, month.interactive_contact)
    what_if = evaluate_patient_month(
        PatientMonthTotals(seconds, billing_practitioner=patient.billing_practitioner_id
                           is not None),
        enrollments, month, result.month, rules, patient.record.engine_input(zone, patient.qmb))
    lines = [line for line in what_if.lines if line.program == step.program]
    if lines and all(line.held for line in lines):
        return lines[0].hold_reason
    return None


def _number(value: Any) -> int:
    return value.int if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).int
