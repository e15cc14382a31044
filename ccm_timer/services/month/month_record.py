"""The clinical record as a month saw it, for every patient at once: the conditions on file,
the care plan current at the month's end, its last review, and whether the plan was
substantially revised in the month. Read inside the report's snapshot, on a workstation
(SQLite) or the clinic hub (PostgreSQL) alike.

A condition is on file in a month when its since-date is not after the month's end (or, with
no since-date, it was recorded before the month ended: the record is then the only evidence)
and it was not removed before the month began. A diagnosis recorded after the month with its
real date counts for it: billing is done after the month, and the held line's warning asks
for exactly that.

A month's care plan counts as substantially revised (complex CCM) when a review in the month
says so, or when a problem or goal was added or ended in the month; interventions alone
carry the plan out, they do not revise it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, and_, or_, select
from sqlmodel import SQLModel

from ccm_timer.core.billing import RecordInput
from ccm_timer.core.conditions import ChronicList
from ccm_timer.core.month import YearMonth, month_bounds_utc
from ccm_timer.store.models import CarePlanKind

_REVISING = {CarePlanKind.PROBLEM, CarePlanKind.GOAL}


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


@dataclass(frozen=True, slots=True)
class ConditionRow:
    code: str
    description: str
    since: date | None
    category: str | None  # the chronic-condition category, None when not chronic

    @property
    def chronic(self) -> bool:
        return self.category is not None


@dataclass(frozen=True, slots=True)
class CarePlanRow:
    kind: str
    text: str
    condition_code: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class ReviewRow:
    at: datetime
    by: str
    substantial: bool


@dataclass(frozen=True, slots=True)
class PatientRecord:
    conditions: tuple[ConditionRow, ...] = ()
    care_plan: tuple[CarePlanRow, ...] = ()
    last_review: ReviewRow | None = None
    revised_in_month: bool = False

    def engine_input(self, zone: tzinfo, qmb: bool | None = None) -> RecordInput:
        """`qmb` is the patient's recorded QMB status (None: not recorded)."""
        return RecordInput(
            chronic_conditions=len({c.code for c in self.conditions if c.chronic}),
            conditions=len({c.code for c in self.conditions}),
            care_plan_items=len(self.care_plan),
            care_plan_reviewed=(self.last_review.at.astimezone(zone).date()
                                if self.last_review else None),
            qmb=qmb,
        )


def _key(value: Any) -> int:
    """A stored id as its 128-bit number, as the report keys patients."""
    return value.int if isinstance(value, uuid.UUID) else int(str(value).replace("-", ""), 16)


def month_records(conn: Connection, ym: YearMonth, zone: ZoneInfo, chronic: ChronicList,
                  patient_id: uuid.UUID | None = None) -> dict[int, PatientRecord]:
    """Per patient (keyed by id number), the record the month saw."""
    lo, hi = month_bounds_utc(ym, zone)
    cond, item, review = (_table("patient_condition"), _table("care_plan_item"),
                          _table("care_plan_review"))

    def only(tbl: Table) -> Any:
        return tbl.c.patient_id == patient_id if patient_id is not None else True

    conditions: dict[int, dict[str, ConditionRow]] = defaultdict(dict)
    for row in conn.execute(select(cond).where(
            only(cond), or_(cond.c.since <= ym.last_day,
                            and_(cond.c.since.is_(None), cond.c.added_at < hi)),
            or_(cond.c.removed_at.is_(None), cond.c.removed_at >= lo))
            .order_by(cond.c.code, cond.c.added_at)).mappings():
        found = conditions[_key(row["patient_id"])]
        if row["code"] not in found:  # a hub may hold one copy per workstation
            found[row["code"]] = ConditionRow(row["code"], row["description"], row["since"],
                                              chronic.category_of(row["code"]))
    plans: dict[int, list[CarePlanRow]] = defaultdict(list)
    revised: set[int] = set()
    for row in conn.execute(select(item).where(only(item), item.c.created_at < hi)
                            .order_by(item.c.created_at)).mappings():
        pid, ended = _key(row["patient_id"]), row["ended_at"]
        kind = CarePlanKind(row["kind"]) if not isinstance(row["kind"], CarePlanKind) else (
            row["kind"])
        if ended is None or ended >= hi:
            plans[pid].append(CarePlanRow(kind.value, row["text"], row["condition_code"],
                                          row["created_at"], row["created_by"]))
        touched = row["created_at"] >= lo or (ended is not None and lo <= ended < hi)
        if kind in _REVISING and touched:
            revised.add(pid)
    last: dict[int, ReviewRow] = {}
    for row in conn.execute(select(review).where(only(review), review.c.reviewed_at < hi)
                            .order_by(review.c.reviewed_at)).mappings():
        pid = _key(row["patient_id"])
        last[pid] = ReviewRow(row["reviewed_at"], row["reviewed_by"], bool(row["substantial"]))
        if row["substantial"] and row["reviewed_at"] >= lo:
            revised.add(pid)
    ids = set(conditions) | set(plans) | set(last) | revised
    return {pid: PatientRecord(tuple(conditions.get(pid, {}).values()),
                               tuple(plans.get(pid, ())), last.get(pid), pid in revised)
            for pid in ids}
