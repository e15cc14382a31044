"""Time entries: read views, manual entries, edits and voids.

An edit or void never overwrites: it writes a new version (new id, same origin_id,
version + 1, supersedes_id = the old id) and stamps the old row superseded. The database
triggers then refuse any change to the old row (migration 0002).
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import or_, text
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from ccm_timer.core.month import month_bounds_utc, parse_month
from ccm_timer.core.timer import TimerState
from ccm_timer.errors import NotFound, UserError, sentence
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import clinicians, patients
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import audit
from ccm_timer.services.timing import categories, entry_checks
from ccm_timer.services.timing.entry_values import (
    EntryRow,
    EntryView,
    build_view,
    snapshot_of,
    subject_problem,
)
from ccm_timer.store.models import (
    Category,
    Clinician,
    EntrySource,
    EntryState,
    Interval,
    Patient,
    Program,
    TimeEntry,
)
from ccm_timer.store.types import new_id


def intervals_of(session: Session, entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Interval]]:
    found: dict[uuid.UUID, list[Interval]] = {i: [] for i in entry_ids}
    for start in range(0, len(entry_ids), 500):  # stay under SQLite's variable limit
        chunk = entry_ids[start : start + 500]
        rows = session.exec(select(Interval).where(col(Interval.entry_id).in_(chunk))
                            .order_by(col(Interval.start_utc)))
        for row in rows:
            found[row.entry_id].append(row)
    return found


def _views(session: Session, ctx: AppContext, rows: list[tuple]) -> list[EntryView]:
    spans = intervals_of(session, [r[0].id for r in rows])
    now = ctx.now()
    return [
        build_view(
            EntryRow(
                id=entry.id, origin_id=entry.origin_id, version=entry.version,
                patient_mrn=patient.mrn if patient else None,
                patient_family=patient.family_name if patient else None,
                patient_given=patient.given_name if patient else None,
                category=category.slug, category_label=category.label,
                program=entry.program.value if entry.program else None,
                clinician=clinician.name, clinician_role=clinician.role.value,
                source=entry.source.value, state=TimerState(entry.state), note=entry.note,
                voided=entry.voided, void_reason=entry.void_reason,
                change_reason=entry.change_reason, workstation=entry.workstation,
                supersedes_id=entry.supersedes_id, superseded=entry.superseded_at is not None,
                created_at=entry.created_at,
            ),
            [(i.start_utc, i.end_utc) for i in spans[entry.id]],
            now,
        )
        for entry, patient, category, clinician in rows
    ]


def _joined() -> Select[TimeEntry, Patient, Category, Clinician]:  # Patient None: outer join
    return (
        select(TimeEntry, Patient, Category, Clinician)
        .join(Category, col(Category.id) == TimeEntry.category_id)
        .join(Clinician, col(Clinician.id) == TimeEntry.clinician_id)
        .outerjoin(Patient, col(Patient.id) == TimeEntry.patient_id)
    )


def view_of(session: Session, ctx: AppContext, entry_id: uuid.UUID) -> EntryView:
    rows = list(session.exec(_joined().where(TimeEntry.id == entry_id)))
    return _views(session, ctx, rows)[0]


def list_entries(
    ctx: AppContext,
    *,
    month: str | None = None,
    patient_mrn: str | None = None,
    clinician: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_voided: bool = False,
    session: Session | None = None,
) -> list[EntryView]:
    """Current versions, oldest first; a month is the clinic's calendar month. With
    `session`, read inside its transaction (an export reads its month in one snapshot)."""
    if month:
        try:
            since, until = month_bounds_utc(parse_month(month), ctx.zone)
        except ValueError as exc:
            raise UserError(sentence(exc)) from None
    with nullcontext(session) if session is not None else ctx.read() as reading:
        query = _joined().where(col(TimeEntry.superseded_at).is_(None))
        if not include_voided:
            query = query.where(col(TimeEntry.voided).is_(False))
        if patient_mrn:
            query = query.where(TimeEntry.patient_id == patients.find(reading, patient_mrn).id)
        if clinician:
            query = query.where(
                TimeEntry.clinician_id == clinicians.find(reading, ctx, clinician).id
            )
        if since is not None and until is not None:
            touching = (
                select(Interval.entry_id)
                .where(col(Interval.start_utc) < until)
                .where(or_(col(Interval.end_utc).is_(None), col(Interval.end_utc) > since))
            )
            query = query.where(col(TimeEntry.id).in_(touching))
        rows = list(reading.exec(query))
        views = _views(reading, ctx, rows)
    return sorted(views, key=lambda v: (v.start or v.created_at, str(v.id)))


def find_entry(session: Session, ref: str) -> TimeEntry:
    """The current version of an entry, by its id, an earlier version's id, or an id prefix
    of at least 8 characters (what `entry list` shows)."""
    ref = ref.strip().lower()
    row = None
    try:
        row = session.get(TimeEntry, uuid.UUID(ref))
    except ValueError:
        hexed = ref.replace("-", "")
        if len(hexed) >= 8 and all(c in "0123456789abcdef" for c in hexed):
            # Ids are stored as 32 hex digits; a prefix search uses the primary-key index.
            matches = list(
                session.exec(
                    select(TimeEntry).where(text("time_entry.id LIKE :p")).params(p=hexed + "%")
                ).all()[:2]
            )
            if len(matches) > 1:
                raise UserError(
                    f"The id {ref!r} matches several entries; give more of it."
                ) from None
            row = matches[0] if matches else None
    if row is None:
        raise NotFound(f"There is no entry {ref!r}; see `ccm-timer entry list`.")
    if row.superseded_at is not None:  # follow to the current version of the same entry
        row = session.exec(
            select(TimeEntry).where(
                TimeEntry.origin_id == row.origin_id, col(TimeEntry.superseded_at).is_(None)
            )
        ).one()
    return row


def _program_for(category: Category, program: str | None) -> Program | None:
    if category.program is None:
        if program:
            raise UserError(f"{category.label} is program-level time and takes no program.")
        return None
    if program:
        try:
            return Program(program.upper())
        except ValueError:
            raise UserError(f"The program {program!r} is unknown.") from None
    return category.program


def resolve_subject(
    session: Session, category_slug: str, patient_mrn: str | None, program: str | None
) -> tuple[Category, Patient | None, Program | None]:
    """The category, patient and program an entry is for, with the rules between them."""
    category = categories.get(session, category_slug)
    problem = subject_problem(category.label, category.program is None, patient_mrn)
    if problem:
        raise UserError(problem)
    if category.program is None:
        return category, None, None
    assert patient_mrn  # subject_problem: a per-patient category has one
    return category, patients.find(session, patient_mrn), _program_for(category, program)


def snapshot(entry: TimeEntry, spans: list[Interval]) -> dict:
    """What the audit trail records of an entry version."""
    return snapshot_of(
        id=entry.id, version=entry.version, patient_id=entry.patient_id,
        category_id=entry.category_id, program=entry.program.value if entry.program else None,
        clinician_id=entry.clinician_id, state=entry.state.value, note=entry.note,
        voided=entry.voided, spans=[(i.start_utc, i.end_utc) for i in spans],
    )


def add_manual(
    ctx: AppContext,
    *,
    patient_mrn: str | None,
    category_slug: str,
    start: datetime,
    end: datetime,
    clinician: str | None = None,
    note: str = "",
    program: str | None = None,
    long_ok: bool = False,
) -> EntryView:
    """`long_ok`: the person confirmed an entry over 12 hours (else LongEntry)."""
    if end <= start:
        raise UserError("The end is not after the start; check the times.")
    now = ctx.now()
    if end > now:
        raise UserError("The end is in the future; time can be added only once it is spent.")
    entry_checks.times(start, end)
    note = entry_checks.text(note)
    with ctx.write() as session:
        who = clinicians.find(session, ctx, clinician)
        category, patient, the_program = resolve_subject(
            session, category_slug, patient_mrn, program
        )
        entry_checks.overlap(session, who.id, start, end, now)
        entry_checks.confirmed(start, end, long_ok)
        entry_id = new_id()
        entry = TimeEntry(
            id=entry_id, origin_id=entry_id, clinician_id=who.id,
            patient_id=patient.id if patient else None, category_id=category.id,
            program=the_program, note=note,
            source=EntrySource.MANUAL, state=EntryState.STOPPED, workstation=ctx.workstation,
            tz_name=ctx.settings.clinic_timezone, created_at=now, created_by=who.id,
        )
        span = Interval(entry_id=entry.id, start_utc=start, end_utc=end)
        session.add(entry)
        session.flush()
        session.add(span)
        session.flush()
        audit.append(
            session, ctx=ctx, actor=who.name, action="entry.add", entity="time_entry",
            entity_id=entry.id, after=snapshot(entry, [span]),
        )
        return view_of(session, ctx, entry.id)


def _new_version(session: Session, ctx: AppContext, old: TimeEntry, reason: str, actor: Clinician,
                 action: str, **changes: Any) -> TimeEntry:
    """Write the next version of `old` with `changes`, stamp `old` superseded, and audit
    both versions under `action`."""
    old_spans = intervals_of(session, [old.id])[old.id]
    now = ctx.now()
    fields = {
        k: getattr(old, k)
        for k in ("origin_id", "clinician_id", "patient_id", "category_id", "program", "note",
                  "source", "state", "workstation", "tz_name", "voided", "void_reason")
    }
    fields.update({k: v for k, v in changes.items() if k != "spans"})
    new = TimeEntry(
        **fields, version=old.version + 1, supersedes_id=old.id, change_reason=reason,
        created_at=now, created_by=actor.id,
    )
    old.superseded_at = now
    session.add(old)
    session.flush()
    session.add(new)
    session.flush()
    pairs = changes.get("spans") or [(s.start_utc, s.end_utc) for s in old_spans]
    new_spans = [Interval(entry_id=new.id, start_utc=s, end_utc=e) for s, e in pairs]
    session.add_all(new_spans)
    session.flush()
    audit.append(
        session, ctx=ctx, actor=actor.name, action=action, entity="time_entry",
        entity_id=new.origin_id, before=snapshot(old, old_spans),
        after={**snapshot(new, new_spans), "reason": reason},
    )
    return new


def edit(
    ctx: AppContext,
    ref: str,
    *,
    reason: str,
    patient_mrn: str | None = None,
    category_slug: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    note: str | None = None,
    clinician: str | None = None,
    by: Signer,
    program: str | None = None,
    long_ok: bool = False,
) -> EntryView:
    """Correct an entry as `by`, attested for it (entry_checks.corrector)."""
    reason = entry_checks.reason(reason)
    note = None if note is None else entry_checks.text(note)
    now = ctx.now()
    with ctx.write() as session:
        old = find_entry(session, ref)
        entry_checks.refuse_foreign(ctx, old)
        if old.voided:
            raise UserError("That entry is voided; add a new entry instead.")
        if old.state is not EntryState.STOPPED:
            raise UserError("That timer is still running; stop it before editing it.")
        who = entry_checks.corrector(session, ctx, by, old)
        old_spans = intervals_of(session, [old.id])[old.id]
        changes: dict = {}
        if patient_mrn is not None or category_slug is not None or program is not None:
            category = session.get_one(Category, old.category_id)
            old_patient = session.get(Patient, old.patient_id) if old.patient_id else None
            slug = category_slug or category.slug
            mrn = patient_mrn if patient_mrn is not None else (
                old_patient.mrn if old_patient else None
            )
            new_cat = categories.get(session, slug)
            if new_cat.program is None:
                mrn = patient_mrn or None
            cat, patient, the_program = resolve_subject(
                session, slug, mrn, program or (
                    old.program.value if old.program and category_slug is None else None
                )
            )
            changes.update(
                category_id=cat.id, patient_id=patient.id if patient else None,
                program=the_program,
            )
        if clinician is not None:
            changes["clinician_id"] = clinicians.find(session, ctx, clinician).id
        if note is not None:
            changes["note"] = note
        if start is not None or end is not None:
            new_start = start or old_spans[0].start_utc
            new_end = end or max(s.end_utc for s in old_spans if s.end_utc)  # stopped: all set
            if new_end <= new_start:
                raise UserError("The end is not after the start; check the times.")
            if new_end > now:
                raise UserError("The end is in the future; check the times.")
            entry_checks.times(new_start, new_end)
            changes["spans"] = [(new_start, new_end)]
        if not changes:
            raise UserError("Nothing to change: give a new --start, --end, --note, "
                            "--patient, --category or --clinician.")
        spans = changes.get("spans") or [(s.start_utc, s.end_utc) for s in old_spans]
        for s, e in spans:
            entry_checks.overlap(session, changes.get("clinician_id", old.clinician_id), s, e,
                                 now, ignore_origin=old.origin_id)
        entry_checks.in_scope(session, by, changes.get("clinician_id", old.clinician_id),
                              changes.get("patient_id", old.patient_id), moved=True)
        if "spans" in changes:
            entry_checks.confirmed(new_start, new_end, long_ok)
        new = _new_version(session, ctx, old, reason, who, "entry.edit", **changes)
        return view_of(session, ctx, new.id)


def void(ctx: AppContext, ref: str, *, reason: str, by: Signer) -> EntryView:
    """Void an entry as `by`, attested for it (entry_checks.corrector)."""
    reason = entry_checks.reason(reason)
    with ctx.write() as session:
        old = find_entry(session, ref)
        entry_checks.refuse_foreign(ctx, old)
        new = void_in(session, ctx, old, reason, entry_checks.corrector(session, ctx, by, old))
        return view_of(session, ctx, new.id)


def void_in(session: Session, ctx: AppContext, old: TimeEntry, reason: str,
            who: Clinician) -> TimeEntry:
    """Void inside the caller's transaction (crash recovery records its decision with it)."""
    if old.voided:
        raise UserError("That entry is already voided.")
    changes: dict = {"voided": True, "void_reason": reason}
    if old.state is not EntryState.STOPPED:
        # Voiding a live timer ends it: the void must not leave a clock running.
        now = ctx.now()
        spans = intervals_of(session, [old.id])[old.id]
        changes["state"] = EntryState.STOPPED
        changes["spans"] = [(s.start_utc, s.end_utc or max(now, s.start_utc)) for s in spans]
    return _new_version(session, ctx, old, reason, who, "entry.void", **changes)


def history(ctx: AppContext, ref: str) -> list[EntryView]:
    """Every version of an entry, oldest first."""
    with ctx.read() as session:
        current = find_entry(session, ref)
        rows = list(session.exec(_joined().where(TimeEntry.origin_id == current.origin_id)))
        return sorted(_views(session, ctx, rows), key=lambda v: v.version)
