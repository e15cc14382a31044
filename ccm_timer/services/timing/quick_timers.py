"""`start`, `stop`, `pause`, `resume` and `switch` without SQLAlchemy, for the command line
with no tray running: one raw connection, one BEGIN IMMEDIATE transaction.

It writes exactly what services/timing/timers.py writes (the rows, the audit event with its
evidence hash and chain link, the commit ledger, the chain head kept outside), with the same
pure rules (core.timer, entry_values), and returns None whenever anything is unusual: then
nothing was written and the caller takes the full path, which words every error. The month
rollup's triggers note the patients touched; the next ORM commit recounts them, and
month_time reads noted patients live meanwhile (store/month_rollup.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any  # sqlcipher3 has no stubs

import uuid6

from ccm_timer.core.enrolment import enrolled_on
from ccm_timer.core.parse import check_note
from ccm_timer.core.timer import Span, Timer, TimerError, TimerState
from ccm_timer.paths import SIGNED_IN, AppPaths
from ccm_timer.services.security import backup_days, chain_anchor, clean_close
from ccm_timer.services.settings import Settings
from ccm_timer.services.timing import quick_open, quick_status
from ccm_timer.services.timing.entry_values import (
    EntryView,
    snapshot_of,
    subject_problem,
    timer_order,
)
from ccm_timer.store import commit_ledger, hashes
from ccm_timer.store.connection import raw_connect, read_pragmas
from ccm_timer.store.instants import from_db_text, to_db_text

ACTIONS = ("start", "stop", "pause", "resume", "switch")


class _Fallback(Exception):
    """Anything unusual: roll back, and let the full path do (and word) it."""


class _Driver:
    """The `exec_driver_sql` that store/hashes.py reads with, on a raw cursor."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def exec_driver_sql(self, sql: str, params: tuple = ()) -> Any:
        return self.cur.execute(sql, params)


@dataclass
class _Txn:
    cur: Any
    paths: AppPaths
    settings: Settings
    protection: Any
    who: quick_open.Who
    kept: chain_anchor.Head | None
    head_allowed: bool | None = None  # audit._may_advance, asked at the first event
    last: chain_anchor.Head | None = None
    views: list[EntryView] = field(default_factory=list)

    def append(self, action: str, origin: str, before: dict | None, after: dict) -> None:
        """audit.append for a time entry: evidence of its rows, linked to the head."""
        found = hashes.origin_digests(_Driver(self.cur), [origin])
        evidence = hashes.evidence_text(found) if found else None
        head = self.cur.execute(chain_anchor.NEWEST).fetchone()
        if self.head_allowed is None:
            held = self.kept and self.cur.execute("SELECT hash FROM audit_event WHERE seq = ?",
                                                  (self.kept.seq,)).fetchone()
            self.head_allowed = chain_anchor.may_advance(self.kept, head is None,
                                                         held[0] if held else None)
        seq = head[0] + 1 if head else 1
        event_id = uuid6.uuid7()  # store.types.new_id
        at = to_db_text(datetime.now(UTC))
        entity_id = str(uuid.UUID(origin))
        before_text, after_text = hashes.event_json(before), hashes.event_json(after)
        prev = head[1] if head else hashes.GENESIS
        digest = hashes.event_digest(
            seq=seq, id=str(event_id), at_utc=at, actor=self.who.name,
            workstation=self.settings.workstation, action=action, entity="time_entry",
            entity_id=entity_id, before=before_text, after=after_text, prev_hash=prev,
            evidence=evidence)
        self.cur.execute(
            "INSERT INTO audit_event (seq, id, at_utc, actor, workstation, action, entity, "
            "entity_id, before, after, prev_hash, hash, evidence) "
            "VALUES (?, ?, ?, ?, ?, ?, 'time_entry', ?, ?, ?, ?, ?, ?)",
            (seq, event_id.hex, at, self.who.name, self.settings.workstation, action,
             entity_id, before_text, after_text, prev, digest, evidence))
        self.last = chain_anchor.Head(seq, digest)


_STATE = ("SELECT id, clinician_id, version, patient_id, category_id, program, state, note, "
          "voided")


def _snapshot(cur: Any, entry_id: str) -> tuple[dict, list[tuple[str, datetime, Any]]]:
    row = cur.execute(f"{_STATE} FROM time_entry WHERE id = ?", (entry_id,)).fetchone()
    spans = [(i, from_db_text(s), from_db_text(e) if e else None) for i, s, e in cur.execute(
        "SELECT id, start_utc, end_utc FROM interval WHERE entry_id = ? ORDER BY start_utc",
        (entry_id,))]
    snap = snapshot_of(
        id=uuid.UUID(row[0]), version=row[2],
        patient_id=uuid.UUID(row[3]) if row[3] else None, category_id=uuid.UUID(row[4]),
        program=row[5], clinician_id=uuid.UUID(row[1]),
        state=row[6].lower(), note=row[7], voided=bool(row[8]),
        spans=[(s, e) for _, s, e in spans])
    return snap, spans


def _store(cur: Any, entry_id: str, spans: list[tuple[str, datetime, Any]], timer: Timer,
           note: str | None = None) -> None:
    """timers._store: close the open interval or add one, then the entry's state."""
    ordered = timer_order(spans, lambda s: s[0], lambda s: s[2])
    for (span_id, _, end), span in zip(ordered, timer.spans, strict=False):
        if end != span.end:
            cur.execute("UPDATE interval SET end_utc = ? WHERE id = ?",
                        (to_db_text(span.end) if span.end else None, span_id))
    for span in timer.spans[len(ordered):]:
        cur.execute("INSERT INTO interval (id, entry_id, start_utc, end_utc) VALUES (?, ?, ?, ?)",
                    (uuid6.uuid7().hex, entry_id, to_db_text(span.start),
                     to_db_text(span.end) if span.end else None))
    if note is None:
        cur.execute("UPDATE time_entry SET state = ? WHERE id = ?",
                    (timer.state.value.upper(), entry_id))
    else:
        cur.execute("UPDATE time_entry SET state = ?, note = ? WHERE id = ?",
                    (timer.state.value.upper(), note, entry_id))


def _live(cur: Any, who: quick_open.Who) -> tuple[str, str, str] | None:
    return cur.execute(
        "SELECT id, origin_id, note FROM time_entry WHERE clinician_id = ? AND superseded_at "
        "IS NULL AND state IN ('RUNNING', 'PAUSED')", (who.id,)).fetchone()


def _transition(t: _Txn, action: str, now: datetime, note: str | None = None) -> datetime:
    """timers._transition (and the stop half of a switch); returns the stop's end."""
    live = _live(t.cur, t.who)
    if live is None:
        raise _Fallback  # the full path says none runs
    entry_id, origin, old_note = live
    before, spans = _snapshot(t.cur, entry_id)
    ordered = timer_order(spans, lambda s: s[0], lambda s: s[2])
    state = TimerState(before["state"])
    try:
        timer = getattr(Timer(state, tuple(Span(s, e) for _, s, e in ordered)), action)(now)
    except TimerError:
        raise _Fallback from None
    _store(t.cur, entry_id, spans, timer,
           f"{old_note}\n{note}".strip() if note else None)
    t.append(f"timer.{action}", origin, before, _snapshot(t.cur, entry_id)[0])
    t.views.append(_view(t, entry_id))
    end = timer.spans[-1].end if timer.spans else None
    return max(now, end) if end is not None else now


def _enrolled(cur: Any, patient_id: str, program: str, day: date) -> bool:
    """categories.programs_on: enrolled in `program` on `day`."""
    return any(
        enrolled_on(date.fromisoformat(w) if w else None, date.fromisoformat(e) if e else None,
                    day)
        for w, e in cur.execute(
            "SELECT withdrawn_on, end_date FROM enrollment WHERE patient_id = ? AND program = ?",
            (patient_id, program)))


def _start(t: _Txn, mrn: str | None, slug: str, note: str, now: datetime) -> None:
    """timers._start_in, for the category's own program (no --program)."""
    category = t.cur.execute("SELECT id, label, program, active FROM category WHERE slug = ?",
                             (slug,)).fetchone()
    if category is None or not category[3]:
        raise _Fallback
    if subject_problem(category[1], category[2] is None, mrn):
        raise _Fallback
    patient_id = None
    if mrn:
        found = t.cur.execute("SELECT id, active FROM patient WHERE mrn = ?",
                              (mrn.strip(),)).fetchone()
        if found is None or not found[1]:
            raise _Fallback  # patients.find also matches letters in either case
        patient_id = found[0]
        from zoneinfo import ZoneInfo

        day = now.astimezone(ZoneInfo(t.settings.clinic_timezone)).date()
        if not _enrolled(t.cur, patient_id, category[2], day):
            raise _Fallback  # the full path says why this time counts toward no bill
    if _live(t.cur, t.who) is not None:
        raise _Fallback
    entry_id = uuid6.uuid7().hex
    t.cur.execute(
        "INSERT INTO time_entry (id, origin_id, version, clinician_id, patient_id, category_id, "
        "program, note, source, state, workstation, tz_name, voided, created_at, created_by) "
        "VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'TIMER', 'RUNNING', ?, ?, 0, ?, ?)",
        (entry_id, entry_id, t.who.id, patient_id, category[0], category[2], note,
         t.settings.workstation, t.settings.clinic_timezone, to_db_text(now), t.who.id))
    _store(t.cur, entry_id, [], Timer().start(now))
    t.append("timer.start", entry_id, None, _snapshot(t.cur, entry_id)[0])
    t.views.append(_view(t, entry_id))


def _view(t: _Txn, entry_id: str) -> EntryView:
    row = t.cur.execute(quick_status._ENTRY + "WHERE e.id = ?", (entry_id,)).fetchone()
    return quick_status.view_of_row(row, t.who.name, t.who.role,
                                    quick_status.spans_of(t.cur, entry_id), datetime.now(UTC))


def run(action: str, paths: AppPaths, settings: Settings, protection: Any, *,
        patient: str | None = None, category: str | None = None, note: str | None = None,
        ) -> list[EntryView] | None:
    """The views the full path would return (a switch: the stopped one, if any, then the
    started one), once committed; None: nothing done, take the full path."""
    now = datetime.now(UTC)
    if not quick_open.usable(paths) or (paths.data / SIGNED_IN).exists():
        return None
    checked_at = clean_close.trusted_check(paths.database, now)
    if checked_at is None or backup_days.due(paths.backups, now):
        return None  # the full path's open checks the files, or takes today's backup
    try:
        note = check_note(note, "note") if note else note
        kept = chain_anchor.read(paths, protection)
    except (ValueError, chain_anchor.AnchorError):
        return None
    try:
        done = _commit(action, paths, settings, protection, kept, now, patient, category, note)
    except Exception:  # noqa: BLE001 - every error is worded by the full path
        return None  # rolled back: nothing was written
    if done is None:
        return None
    # Committed: from here on nothing may send the caller to the full path (a second start).
    number, t = done
    if number is not None:
        commit_ledger.record(paths.database, number)
    if t.head_allowed and t.last is not None:
        chain_anchor.write_quietly(paths, protection, t.last)
    clean_close.remember_clean_close(paths.database, checked_at)
    return t.views


def _commit(action: str, paths: AppPaths, settings: Settings, protection: Any,
            kept: chain_anchor.Head | None, now: datetime, patient: str | None,
            category: str | None, note: str | None) -> tuple[int | None, _Txn] | None:
    conn = raw_connect(paths.database, protection.key)
    try:
        read_pragmas(conn)
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        changes = conn.total_changes
        who = None
        if quick_open.schema_ok(cur, paths.database) and quick_open.nothing_to_set_up(
                cur, settings.clinic_timezone):
            who = quick_open.clinician(cur, settings, None)
        has_events = cur.execute(chain_anchor.NEWEST).fetchone() is not None
        if who is None or not who.may_time or (kept is None and has_events):
            cur.execute("ROLLBACK")  # events but no head kept outside: not ours to start one
            return None
        t = _Txn(cur, paths, settings, protection, who, kept)
        try:
            if action == "start":
                _start(t, patient, category or "", note or "", now)
            elif action == "switch":
                if _live(cur, who) is not None:
                    now = _transition(t, "stop", now)
                _start(t, patient, category or "", note or "", now)
            else:
                _transition(t, action, now, note if action == "stop" else None)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        clean_close.forget_clean_close(paths.database)
        number = commit_ledger.bump(conn, changes)
        cur.execute("COMMIT")
    finally:
        conn.close()
    return number, t
