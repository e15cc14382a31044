"""Every earlier schema version upgrades to the current one with its records intact (issue
14, point 8; ARCHITECTURE: "a table or column ... tested from every earlier revision").

For each revision 0001..0009 a database is built at that revision by Alembic, encrypted with
the data folder's own key as the app would have left it, and given the rows a clinic had
then: a clinician, a patient, a CCM enrollment with its consent (date and method, as they
were recorded before 0009), a 21-minute call with its interval, and the audit chain that
wrote them (with evidence hashes from 0007 on). The app then opens it (backing it up and
upgrading to head), and everything must be there: the rows as they were, the old consent
with its date and method and no disclosures (so the month holds its CCM line: intended,
the earlier record never said they were made), the clinical record's tables empty, the
schema exactly the models', and `audit verify` intact. And 0009 goes back down to 0008 on a
database full of the new records; 0010 (a clinician's incident-to status) down to 0009.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from ccm_timer import paths as app_paths
from ccm_timer.services import settings as settings_file
from ccm_timer.services.context import open_app
from ccm_timer.services.month import report
from ccm_timer.services.people import (
    care_plan,
    clinicians,
    conditions,
    enrollments,
    patients,
)
from ccm_timer.services.security import audit, keys
from ccm_timer.services.timing import entries
from ccm_timer.store import hashes, migrate
from ccm_timer.store.engine import make_engine
from ccm_timer.store.local_tables import local_metadata
from ccm_timer.store.types import to_db_text
from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import give_passwords, remover

EARLIER = [r for r in migrate.KNOWN_REVISIONS if r < "0017"]
RECORD = ("patient_condition", "care_plan_item", "care_plan_review", "consent_document")
WHEN = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
NURSE, PATIENT, ENROLLMENT, CATEGORY, ENTRY, SPAN = (
    uuid.UUID(int=n) for n in range(0x0193AAAA_0000_7000_8000_0000_0000_0001,
                                    0x0193AAAA_0000_7000_8000_0000_0000_0007))


def test_every_earlier_revision_is_tried():
    assert EARLIER == ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008",
                       "0009", "0010", "0011", "0012", "0013", "0014", "0015", "0016"]
    assert migrate.SCHEMA_HEAD == "0017"  # a new head: add the revision before it here


def _key(home: Path) -> bytes:
    """The data folder's key, made as the first start makes it (kept in the test keyring)."""
    paths = app_paths.resolve(str(home))
    paths.ensure()
    protection = keys.unlock(paths, settings_file.load(paths.settings_file))
    assert protection.key is not None
    return protection.key


def _columns(conn: Connection, table: str) -> set[str]:
    return {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}


def _insert(conn: Connection, table: str, row: dict) -> None:
    """The row's values for the columns the table has at this revision."""
    kept = {k: v for k, v in row.items() if k in _columns(conn, table)}
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(kept)}) VALUES "
                         f"({', '.join('?' * len(kept))})", tuple(kept.values()))


def _event(conn: Connection, action: str, entity: str, entity_id: str, after: dict,
           origin: str | None = None) -> None:
    """An audit event as the app wrote it at this revision: chained, and from 0007 on
    carrying the evidence hash of the entry it wrote."""
    head = conn.exec_driver_sql("SELECT seq, hash FROM audit_event ORDER BY seq DESC "
                                "LIMIT 1").first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, hashes.GENESIS)
    evidence = None
    if origin is not None and "evidence" in _columns(conn, "audit_event"):
        evidence = hashes.evidence_text(hashes.origin_digests(conn, [origin]))
    event_id, at = uuid.uuid4(), to_db_text(WHEN + timedelta(seconds=seq))
    after_text = json.dumps(after, sort_keys=True)
    digest = hashes.event_digest(
        seq=seq, id=str(event_id), at_utc=at, actor="Old Nurse", workstation="ws-test-1",
        action=action, entity=entity, entity_id=entity_id, before=None, after=after_text,
        prev_hash=prev, evidence=evidence)
    _insert(conn, "audit_event", {
        "seq": seq, "id": event_id.hex, "at_utc": at, "actor": "Old Nurse",
        "workstation": "ws-test-1", "action": action, "entity": entity,
        "entity_id": entity_id, "before": None, "after": after_text, "prev_hash": prev,
        "hash": digest, "evidence": evidence})


def _old_clinic(conn: Connection) -> None:
    """The rows a clinic had at this revision, and the events that wrote them."""
    _insert(conn, "clinician", {"id": NURSE.hex, "name": "Old Nurse", "credential": "RN",
                                "role": "CLINICAL_STAFF", "npi": None, "active": 1})
    _event(conn, "clinician.add", "clinician", str(NURSE), {"name": "Old Nurse"})
    _insert(conn, "patient", {"id": PATIENT.hex, "mrn": "T9001", "family_name": "Oldrow",
                              "given_name": "Ada", "birth_date": "1950-02-03",
                              "billing_practitioner_id": None, "active": 1})
    _insert(conn, "enrollment", {"id": ENROLLMENT.hex, "patient_id": PATIENT.hex,
                                 "program": "CCM", "consent_date": "2026-01-05",
                                 "consent_method": "verbal", "start_date": "2026-01-05",
                                 "end_date": None,
                                 # 0009 on: the disclosures, none recorded yet
                                 "disclosed_cost_sharing": 0, "disclosed_one_practitioner": 0,
                                 "disclosed_right_to_stop": 0})
    _event(conn, "patient.add", "patient", str(PATIENT), {"mrn": "T9001"})
    _insert(conn, "category", {"id": CATEGORY.hex, "slug": "phone-call",
                               "label": "Phone call", "program": "CCM", "sort_order": 0,
                               "active": 1})
    _insert(conn, "time_entry", {
        "id": ENTRY.hex, "origin_id": ENTRY.hex, "version": 1, "supersedes_id": None,
        "superseded_at": None, "clinician_id": NURSE.hex, "patient_id": PATIENT.hex,
        "category_id": CATEGORY.hex, "program": "CCM", "note": "call from an old version",
        "source": "MANUAL", "state": "STOPPED", "workstation": "ws-test-1",
        "tz_name": "America/New_York", "voided": 0, "void_reason": None,
        "change_reason": None, "created_at": to_db_text(WHEN), "created_by": NURSE.hex,
        "recovered_at": None})
    _insert(conn, "interval", {"id": SPAN.hex, "entry_id": ENTRY.hex,
                               "start_utc": to_db_text(WHEN),
                               "end_utc": to_db_text(WHEN + timedelta(minutes=21))})
    _event(conn, "entry.add", "time_entry", str(ENTRY), {"minutes": 21}, origin=ENTRY.hex)


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_at_each_earlier_revision_upgrades_with_its_records(home, clock, revision):
    key = _key(home)
    engine = make_engine(home / "ccm-timer.db", key)
    migrate.upgrade(engine, home / "unused", revision=revision)
    assert migrate.current_revision(engine) == revision
    with engine.begin() as conn:
        _old_clinic(conn)
    engine.dispose()

    ctx = open_app(str(home), clock=clock)  # backs up, then upgrades to head
    try:
        assert migrate.current_revision(ctx.engine) == migrate.SCHEMA_HEAD
        assert list((home / "backups").glob(f"pre-migration-{revision}-*.db"))
        with ctx.engine.connect() as conn:
            # Every table, column and index the models declare, and nothing else.
            assert compare_metadata(MigrationContext.configure(conn),
                                [SQLModel.metadata, local_metadata()]) == []
            for name in RECORD:
                assert conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() == 0, name
        view = patients.get(ctx, "T9001")
        assert (view.family_name, view.given_name, view.birth_date, view.qmb) == (
            "Oldrow", "Ada", date(1950, 2, 3), None)
        [consent] = view.enrollments
        assert (consent.program.value, consent.consent_date, consent.consent_method) == (
            "CCM", date(2026, 1, 5), "verbal")
        assert consent.disclosures == () and consent.consent_by is None
        assert not consent.has_document and consent.withdrawn_on is None
        assert consent.consent_missing == (
            "who obtained it", "the cost-sharing disclosure",
            "the one-practitioner disclosure", "the right-to-stop disclosure")
        # 0010: an existing clinician works incident to nobody until someone says so.
        [nurse] = clinicians.list_clinicians(ctx)
        assert nurse.name == "Old Nurse" and nurse.incident_to is False
        [entry] = entries.list_entries(ctx, month="2026-11")
        assert (entry.seconds, entry.note) == (21 * 60, "call from an old version")
        # The month holds its CCM line: the old consent never recorded the disclosures.
        result = report.month_report(ctx, "2026-11").patient("T9001").result
        assert [(line.code, line.held) for line in result.lines] == [("99490", True)]
        assert {"consent_incomplete", "too_few_conditions"} <= {w.code for w in
                                                                 result.warnings}
        chain = audit.check(ctx)
        assert chain.ok, chain.problem
        assert chain.events >= 3
    finally:
        ctx.close()
    if revision in ("0001", "0009"):  # the command itself, on the oldest and the newest
        done = run_cli(home, "audit", "verify")
        assert done.returncode == 0 and "Audit trail intact" in done.stdout, done.stderr


def test_0009_goes_back_to_0008_on_a_database_full_of_the_new_records(home, clock):
    ctx = open_app(str(home), clock=clock)
    try:
        key = ctx.engine.ccm_key
        clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff",
                       default=True)
        give_passwords(ctx, ("Avery Nurse",))
        patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                     consent=date(2026, 1, 5), qmb=True)
        patients.set_consent(ctx, "T1001", "CCM", date(2026, 1, 5), "written",
                             by="Avery Nurse", disclosures=list(enrollments.DISCLOSURES),
                             document=(b"%PDF-1.4 synthetic", "application/pdf"))
        conditions.add(ctx, "T1001", "E11.9", date(2019, 4, 1))
        conditions.add(ctx, "T1001", "I10")
        conditions.remove(ctx, "T1001", "I10", "recorded twice", by=remover(ctx))
        care_plan.add(ctx, "T1001", "goal", "HbA1c below 7.5% by March")
        care_plan.review(ctx, "T1001")
        entries.add_manual(ctx, patient_mrn="T1001", category_slug="phone-call", start=WHEN,
                           end=WHEN + timedelta(minutes=25))
    finally:
        ctx.close()

    engine = make_engine(home / "ccm-timer.db", key)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.execution_options(ccm_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    try:
        assert migrate.current_revision(engine) == "0008"
        with engine.connect() as conn:
            tables = set(migrate.table_names(engine))
            assert not tables & {*RECORD}
            assert _columns(conn, "enrollment") == {
                "id", "patient_id", "program", "consent_date", "consent_method",
                "start_date", "end_date"}
            assert "qmb" not in _columns(conn, "patient")
            assert conn.exec_driver_sql("SELECT mrn FROM patient").all() == [("T1001",)]
            assert conn.exec_driver_sql("SELECT consent_date, consent_method FROM "
                                        "enrollment").all() == [("2026-01-05", "written")]
            assert conn.exec_driver_sql("SELECT span_seconds FROM time_entry").all() == [
                (25 * 60,)]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            # The append-only triggers of the tables 0009 did not touch are still there.
            triggers = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            assert {"audit_event_no_update", "time_entry_no_delete",
                    "interval_span_insert", "export_frozen"} <= triggers
    finally:
        engine.dispose()

    # ...and up again at the next start, the consent as the older version left it.
    ctx = open_app(str(home), clock=clock)
    try:
        assert migrate.current_revision(ctx.engine) == migrate.SCHEMA_HEAD
        [view] = patients.list_patients(ctx)
        assert view.enrollments[0].consent_method == "written"
        assert view.enrollments[0].disclosures == ()
        assert conditions.list_for(ctx, "T1001") == []
    finally:
        ctx.close()


def test_0010_goes_back_to_0009_keeping_the_clinicians(home, clock):
    ctx = open_app(str(home), clock=clock)
    try:
        key = ctx.engine.ccm_key
        clinicians.add(ctx, name="Dr Nia Other", credential="NP", role="practitioner")
        clinicians.set_incident_to(ctx, "Dr Nia Other", True)
    finally:
        ctx.close()
    engine = make_engine(home / "ccm-timer.db", key)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.execution_options(ccm_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    try:
        assert migrate.current_revision(engine) == "0009"
        with engine.connect() as conn:
            assert "incident_to" not in _columns(conn, "clinician")
            assert conn.exec_driver_sql("SELECT name FROM clinician").all() == [
                ("Dr Nia Other",)]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()
    ctx = open_app(str(home), clock=clock)  # up again: incident to nobody, as 0010 starts
    try:
        [view] = clinicians.list_clinicians(ctx)
        assert view.incident_to is False
    finally:
        ctx.close()


def test_0011_people_from_0010_time_without_a_password_and_go_back_down(home, clock):
    """Issue 16, point 8: clinicians from before sign-in have no password and no duty; they
    time as before, cannot attest until they set a password, and 0011 goes back to 0010
    keeping them."""
    from ccm_timer.core.access import Action, Duty
    from ccm_timer.services.people import access
    from ccm_timer.services.security import credentials
    from ccm_timer.services.timing import timers

    key = _key(home)
    engine = make_engine(home / "ccm-timer.db", key)
    migrate.upgrade(engine, home / "unused", revision="0010")
    with engine.begin() as conn:
        _old_clinic(conn)
    engine.dispose()
    ctx = open_app(str(home), clock=clock)
    try:
        ctx.update_settings(default_clinician=str(NURSE))  # as the older version left it
        [nurse] = clinicians.list_clinicians(ctx)
        assert (nurse.name, nurse.duties) == ("Old Nurse", ())
        assert access.named(ctx, "Old Nurse").duties == {Duty.CLINICAL_STAFF}
        assert not credentials.has_secret(ctx, "Old Nurse")
        assert credentials.sign_in_states(ctx)[str(NURSE)].describe(ctx.zone) == (
            "no password yet")
        who = access.timer_of(ctx, None)  # timing asks for nothing
        assert who is not None and who.name == "Old Nurse"
        timers.start(ctx, patient_mrn="T9001", category_slug="phone-call",
                     clinician=str(who.id))
        assert timers.stop(ctx).clinician == "Old Nurse"
        with pytest.raises(access.Refused, match="Old Nurse has no password yet: set one at "
                           "the tray's sign-in or with `ccm-timer clinician set-password"):
            credentials.attest(ctx, "Old Nurse", "Guessed-pass-1", Action.CORRECT_ENTRY)
        credentials.set_secret(ctx, "Old Nurse", "Old-nurse-pass-1")  # the first sign-in
        assert credentials.attest(ctx, "Old Nurse", "Old-nurse-pass-1",
                                  Action.CORRECT_ENTRY).attested is Action.CORRECT_ENTRY
        access.grant(ctx, "Old Nurse", "admin", True, None)
    finally:
        ctx.close()

    engine = make_engine(home / "ccm-timer.db", key)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.execution_options(ccm_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    try:
        assert migrate.current_revision(engine) == "0010"
        with engine.connect() as conn:
            assert "credential" not in set(migrate.table_names(engine))
            assert "duties" not in _columns(conn, "clinician")
            assert conn.exec_driver_sql("SELECT name FROM clinician").all() == [("Old Nurse",)]
            assert conn.exec_driver_sql("SELECT count(*) FROM time_entry").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()
    ctx = open_app(str(home), clock=clock)  # up again: no password, no duty, as 0011 starts
    try:
        assert not credentials.has_secret(ctx, "Old Nurse")
        assert clinicians.list_clinicians(ctx)[0].duties == ()
    finally:
        ctx.close()


def test_0013_month_rollup_is_built_kept_and_goes_back_to_0012(home, clock):
    """Issue 18: 0013 adds the month rollup unbuilt (its zone is in the settings, not the
    database) and the open after it builds it; it holds the old entry, the next write keeps
    it in step, and 0013 goes back to 0012 leaving the entries and span triggers as they were."""
    from ccm_timer.store import month_rollup

    key = _key(home)
    engine = make_engine(home / "ccm-timer.db", key)
    migrate.upgrade(engine, home / "unused", revision="0012")
    with engine.begin() as conn:
        _old_clinic(conn)
    engine.dispose()
    ctx = open_app(str(home), clock=clock)
    try:
        ctx.update_settings(default_clinician=str(NURSE))
        with ctx.write() as session:
            conn = session.connection()
            # Not built by the upgrade, but by the open after it, with the old entry in it.
            assert month_rollup.zone_of(conn) == ctx.zone.key
            assert not month_rollup.ensure(conn, ctx.zone, ctx.now())  # built: left alone
        entries.add_manual(ctx, patient_mrn="T9001", category_slug="phone-call",
                           start=WHEN + timedelta(hours=1),
                           end=WHEN + timedelta(hours=1, minutes=4))
        with ctx.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT month, seconds FROM month_rollup").all() == [
                ("2026-11", 25 * 60)]
            assert conn.exec_driver_sql("SELECT count(*) FROM month_rollup_dirty").scalar() == 0
        result = report.month_report(ctx, "2026-11").patient("T9001")
        assert result.result.lines[0].code == "99490"
    finally:
        ctx.close()

    engine = make_engine(home / "ccm-timer.db", key)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    with engine.execution_options(ccm_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    try:
        with engine.connect() as conn:
            assert not {"month_rollup", "month_rollup_state", "month_rollup_dirty"} & set(
                migrate.table_names(engine))
            triggers = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            assert not {t for t in triggers if t.startswith("month_rollup")}
            assert "interval_span_insert" in triggers
            assert conn.exec_driver_sql("SELECT sum(span_seconds) FROM time_entry").scalar() == (
                25 * 60)
    finally:
        engine.dispose()
