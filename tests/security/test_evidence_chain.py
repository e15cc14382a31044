"""The billing evidence is chained (issue 13, defect 3): an interval stretched, an entry
deleted or planted, or the newest audit events deleted, each with the key and behind the
app's back, is named by `audit verify`, makes `doctor` fail and the tray warn, and stops
every billing export; the chain's head is kept outside the database (beside the key in the
keyring, or in a file signed with a key derived from the database key)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccm_timer.services.context import open_app
from ccm_timer.services.security import audit, chain_anchor
from ccm_timer.services.timing import entries, recovery, timers
from ccm_timer.store import hashes
from ccm_timer.store.connection import raw_connect
from tests.fixtures.cli import ok, run_cli
from tests.fixtures.clinic import T0, corrector, setup_clinic
from tests.fixtures.keyring import PASSPHRASE

FORTY = ("entry", "add", "--patient", "T1001", "--category", "phone-call",
         "--start", "2026-11-04T10:00", "--end", "2026-11-04T10:40")  # 15:00-15:40 UTC
BILLING = ("csv", "json", "fhir", "pdf")


def _key(home: Path, **kw) -> bytes:
    ctx = open_app(str(home), **kw)
    try:
        return ctx.protection.key
    finally:
        ctx.close()


def _sql(home: Path, *statements: str, **kw) -> None:
    """Statements run with the key on a connection of our own, as its holder could."""
    conn = raw_connect(home / "ccm-timer.db", _key(home, **kw))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def _forty_minutes(home: Path) -> None:
    setup_clinic(home)  # and a five-minute call on 3 November
    ok(home, *FORTY)


def _minutes(home: Path) -> float:
    report = json.loads(ok(home, "report", "--month", "2026-11", "--json"))
    [patient] = report["patients"]
    return sum(patient["minutes"].values())


def _broken(home: Path, *words: str, formats: tuple[str, ...] = ("csv",), **env: str) -> None:
    """`audit verify` and `doctor` fail naming it, and no billing file is made."""
    done = run_cli(home, "audit", "verify", **env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Audit trail BROKEN" in done.stderr and "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    doctor = run_cli(home, "doctor", "--json", **env)
    assert doctor.returncode == 1
    info = json.loads(doctor.stdout)
    assert info["audit_chain"]["ok"] is False and not info["ok"]
    assert any("audit trail is BROKEN" in w for w in info["warnings"])
    for fmt in formats:
        refused = run_cli(home, "export", "--month", "2026-11", "--format", fmt, "--draft", **env)
        assert refused.returncode == 1, (fmt, refused.stdout, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "Billing exports are refused while the audit trail is broken" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not any((home / "exports").glob("*"))  # not a file, not a partial one


def test_an_untouched_trail_is_intact_and_exports(home):
    _forty_minutes(home)
    assert "Audit trail intact" in ok(home, "audit", "verify")
    assert run_cli(home, "doctor").returncode == 0
    done = run_cli(home, "export", "--month", "2026-11", "--format", "csv", "--draft")
    assert done.returncode == 0, done.stderr


def test_a_stretched_interval_is_caught(home):
    _forty_minutes(home)
    assert _minutes(home) == 45
    _sql(home, "UPDATE interval SET end_utc = '2026-11-04T17:10:00.000000Z' "
               "WHERE start_utc = '2026-11-04T15:00:00.000000Z'")
    assert _minutes(home) == 135  # what is there is what a report reads
    _broken(home, "changed outside CCM Timer", formats=BILLING)
    done = run_cli(home, "export", "--month", "2026-11", "--format", "ehr-text", "--draft")
    assert done.returncode == 0, done.stderr  # notes are not claims: still written


def test_an_entry_deleted_behind_the_triggers_is_caught(home):
    _forty_minutes(home)
    _sql(home, "DROP TRIGGER interval_no_delete", "DROP TRIGGER time_entry_no_delete",
         "DELETE FROM interval WHERE start_utc = '2026-11-04T15:00:00.000000Z'",
         "DELETE FROM time_entry WHERE id NOT IN (SELECT entry_id FROM interval)")
    assert _minutes(home) == 5
    _broken(home, "deleted outside CCM Timer")


def test_an_entry_planted_with_sql_is_caught(home):
    _forty_minutes(home)
    planted = uuid.uuid4().hex
    columns = ", ".join(c for c in hashes.ENTRY_COLUMNS if c not in ("id", "origin_id"))
    _sql(home, f"INSERT INTO time_entry (id, origin_id, {columns}) SELECT '{planted}', "
               f"'{planted}', {columns} FROM time_entry LIMIT 1",
         f"INSERT INTO interval (id, entry_id, start_utc, end_utc) VALUES ('{uuid.uuid4().hex}',"
         f" '{planted}', '2026-11-05T15:00:00.000000Z', '2026-11-05T16:00:00.000000Z')")
    _broken(home, "written outside CCM Timer")


def test_the_newest_audit_events_deleted_are_caught_by_the_head_kept_in_the_keyring(home):
    _forty_minutes(home)
    ok(home, "backup")  # events that record no entry: only the head can miss them
    ok(home, "backup")
    _sql(home, "DROP TRIGGER audit_event_no_delete",
         "DELETE FROM audit_event WHERE seq > (SELECT max(seq) - 2 FROM audit_event)")
    _broken(home, "the newest events were deleted", "system keyring")
    # A command run afterwards does not move the head onto the shortened chain.
    ok(home, "entry", "add", "--patient", "T1001", "--category", "phone-call",
       "--start", "2026-11-06T10:00", "--end", "2026-11-06T10:05")
    _broken(home, "the newest events were deleted")


def test_with_a_passphrase_the_head_is_a_signed_file(home):
    env = {"CCM_TIMER_PASSPHRASE": PASSPHRASE}
    for args in (["clinician", "add", "--name", "Avery Nurse", "--credential", "RN", "--role",
                  "clinical_staff", "--default"],
                 ["patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma",
                  "--program", "CCM", "--consent", "2026-01-05"], list(FORTY), ["backup"]):
        assert run_cli(home, *args, **env).returncode == 0
    kept = json.loads((home / chain_anchor.HEAD_FILE).read_text())
    assert len(kept["mac"]) == 64 and (home / chain_anchor.HEAD_FILE).stat().st_mode & 0o077 == 0
    assert "Audit trail intact" in run_cli(home, "audit", "verify", **env).stdout

    _sql(home, "DROP TRIGGER audit_event_no_delete",
         "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
         passphrase=PASSPHRASE)
    _broken(home, "the newest events were deleted", chain_anchor.HEAD_FILE, **env)
    # Moving the signed head back to match the shortened chain needs the key.
    (home / chain_anchor.HEAD_FILE).write_text(json.dumps(
        {**kept, "seq": kept["seq"] - 1}))
    _broken(home, "was altered", **env)
    (home / chain_anchor.HEAD_FILE).unlink()
    _broken(home, "is missing", **env)


def test_the_tray_warns_at_start(clinic, qapp):
    from ccm_timer.ui.unlock_dialog import security_warnings

    entries.add_manual(clinic, patient_mrn="T1001", category_slug="phone-call",
                       start=T0 - timedelta(hours=2), end=T0 - timedelta(hours=1))
    assert not any("audit trail" in w for w in security_warnings(clinic))
    with clinic.engine.begin() as conn:  # the same key, behind the services' back
        conn.exec_driver_sql("UPDATE interval SET end_utc = ?", (
            "2026-11-03T15:00:00.000000Z",))
    [warning] = [w for w in security_warnings(clinic) if "audit trail" in w]
    assert "BROKEN" in warning and "billing exports are refused" in warning
    assert "ccm-timer restore" in warning


def _head_kept(ctx) -> chain_anchor.Head | None:
    return chain_anchor.read(ctx.paths, ctx.protection)


def _intact(ctx) -> None:
    report = audit.check(ctx)
    assert report.ok, report
    assert _head_kept(ctx) == chain_anchor.Head(report.events, report.head)


def test_every_way_the_app_writes_entries_keeps_the_trail_intact(clinic, clock):
    from ccm_timer.core.clock_watch import ClockWatch
    from ccm_timer.services.timing import sleep_gaps

    _intact(clinic)
    timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    clock.advance(120)
    timers.pause(clinic)
    clock.advance(60)
    timers.resume(clinic)
    clock.advance(60)
    timers.switch(clinic, patient_mrn="T1002", category_slug="phone-call")
    clock.advance(300)
    view = timers.stop(clinic, note="called back")
    _intact(clinic)
    entries.edit(clinic, str(view.id), reason="typo", note="called back twice",
                 by=corrector(clinic))
    added = entries.add_manual(clinic, patient_mrn="T1001", category_slug="phone-call",
                               start=T0 - timedelta(hours=3), end=T0 - timedelta(hours=2))
    entries.void(clinic, str(added.id), reason="entered twice", by=corrector(clinic))
    _intact(clinic)
    for choice in ("stop", "discard"):  # crash recovery
        recovery.beat(clinic)
        orphan = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call",
                              watched_by_app=True)
        clock.advance(30)
        recovery.release(clinic)
        clock.advance(timedelta(hours=1))
        recovery.resolve(clinic, str(orphan.id), choice)
    _intact(clinic)
    slept = timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
    watch = ClockWatch(clock)
    clock.advance(600)
    watch.reset()
    clock.advance(1)
    clock.jump(timedelta(hours=1))
    gap = watch.check()
    assert gap is not None
    sleep_gaps.resolve(clinic, slept.id, gap, sleep_gaps.GapChoice.EXCLUDE)
    timers.stop(clinic)
    _intact(clinic)


def test_an_imported_bundle_is_recorded_with_its_entries(two, tmp_path):
    from ccm_timer.services.delivery import bundle_format, bundle_import, targets
    from ccm_timer.sync.worker import Worker
    from tests.fixtures.delivery import add_minutes, provision_bundles, queue_exports

    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(ws1, "usb", kind="folder", url=str(drop))
    add_minutes(ws1, datetime(2026, 11, 3, 13, 0, tzinfo=UTC), 12)
    [export] = queue_exports(ws1, "usb", 1)
    assert Worker(ws1, timeout=2).run_once().delivered == 1
    bundle_import.import_bundle(ws2, drop / bundle_format.name_for(export.id))
    _intact(ws2)
    _intact(ws1)


def test_start_and_stop_never_walk_the_whole_chain(clinic, clock):
    """What a start and a stop execute does not grow with the trail: only the entry's own
    rows are hashed, and the head is checked by one lookup."""
    from sqlalchemy import event

    def statements_of_a_start_and_stop() -> list[str]:
        seen: list[str] = []

        def note(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        event.listen(clinic.engine, "before_cursor_execute", note)
        try:
            timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
            clock.advance(60)
            timers.stop(clinic)
        finally:
            event.remove(clinic.engine, "before_cursor_execute", note)
        return seen

    statements_of_a_start_and_stop()  # the month rollup then holds a row for T1001 in both
    first = statements_of_a_start_and_stop()
    for i in range(40):
        entries.add_manual(clinic, patient_mrn="T1002", category_slug="phone-call",
                           start=T0 - timedelta(hours=100 - i),
                           end=T0 - timedelta(hours=100 - i, minutes=-5))
    later = statements_of_a_start_and_stop()
    assert len(later) == len(first)
    assert not any("DISTINCT origin_id" in s or "FROM audit_event ORDER BY" in s and
                   "LIMIT" not in s for s in later)


@pytest.mark.parametrize("revision", ["0001", "0002", "0003", "0004", "0005", "0006"])
def test_an_older_database_gets_its_evidence_hashed_at_upgrade(home, revision):
    from ccm_timer.store import migrate
    from ccm_timer.store.engine import make_engine

    engine = make_engine(home / "ccm-timer.db")
    migrate.upgrade(engine, home / "unused", revision=revision)
    nurse, category, entry, event = (uuid.uuid4().hex for _ in range(4))
    at = "2026-10-05T14:00:00.000000Z"
    first = hashes.event_digest(
        seq=1, id=str(uuid.UUID(event)), at_utc=at, actor="Old Nurse", workstation="ws-old",
        action="entry.add", entity="time_entry", entity_id=str(uuid.UUID(entry)),
        before=None, after="{}", prev_hash=hashes.GENESIS, evidence=None)
    with engine.begin() as conn:
        for statement, values in [
            ("INSERT INTO clinician (id, name, credential, role, active) "
             "VALUES (?, 'Old Nurse', 'RN', 'CLINICAL_STAFF', 1)", (nurse,)),
            ("INSERT INTO category (id, slug, label, program, sort_order, active) "
             "VALUES (?, 'old-call', 'Old call', 'CCM', 0, 1)", (category,)),
            ("INSERT INTO time_entry (id, origin_id, version, clinician_id, category_id, "
             "program, note, source, state, workstation, tz_name, voided, created_at) "
             "VALUES (?, ?, 1, ?, ?, 'CCM', '', 'MANUAL', 'STOPPED', 'ws-old', "
             "'America/New_York', 0, ?)", (entry, entry, nurse, category, at)),
            ("INSERT INTO interval (id, entry_id, start_utc, end_utc) VALUES (?, ?, ?, ?)",
             (uuid.uuid4().hex, entry, at, "2026-10-05T14:40:00.000000Z")),
            ("INSERT INTO audit_event (seq, id, at_utc, actor, workstation, action, entity, "
             "entity_id, before, after, prev_hash, hash) VALUES (1, ?, ?, 'Old Nurse', "
             "'ws-old', 'entry.add', 'time_entry', ?, NULL, '{}', ?, ?)",
             (event, at, str(uuid.UUID(entry)), hashes.GENESIS, first)),
        ]:
            conn.exec_driver_sql(statement, values)
    engine.dispose()

    ctx = open_app(str(home))
    try:
        _intact(ctx)
        with ctx.read() as session:
            [upgrade] = [e for e in audit.history(session, "-") if e.action == "evidence.upgrade"]
        assert json.loads(upgrade.after) == {"summary": "evidence hashes recorded at upgrade",
                                             "entries": 1}
        assert set(json.loads(upgrade.evidence)) == {entry}
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE interval SET end_utc = '2026-10-05T16:50:00.000000Z'")
        report = audit.check(ctx)
        assert not report.ok and "changed outside CCM Timer" in report.problem
        assert report.broken_seq == upgrade.seq
    finally:
        ctx.close()


def test_a_restored_backup_is_held_to_its_own_chain(home):
    """A backup is an older chain: after `restore` it is the one kept, not "cut short"."""
    _forty_minutes(home)
    backup = ok(home, "backup").split("Backup written to ", 1)[1].split(" (", 1)[0]
    ok(home, "entry", "add", "--patient", "T1001", "--category", "phone-call",
       "--start", "2026-11-06T10:00", "--end", "2026-11-06T10:05")
    done = run_cli(home, "restore", backup)
    assert done.returncode == 0, done.stderr
    assert "Audit trail intact" in ok(home, "audit", "verify")
    assert _minutes(home) == 45
