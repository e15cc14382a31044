"""The change log of migration 0015: every write to a table a push carries is noted,
whoever makes it, so an incremental push misses nothing (issue 19)."""

from __future__ import annotations

from sqlalchemy import text

from ccm_timer.services.people import patients
from ccm_timer.services.timing import timers
from ccm_timer.store.local_tables import LOGGED


def test_every_logged_table_has_its_insert_and_update_triggers(ctx):
    with ctx.read() as session:
        names = {r[0] for r in session.exec(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'sync_change_%'"))}
    assert names == {f"sync_change_{t}_{e}" for t in LOGGED for e in ("insert", "update")}


def _log(ctx) -> list[tuple[str, str]]:
    with ctx.read() as session:
        return [tuple(r) for r in session.exec(text(
            "SELECT tbl, row_id FROM sync_change ORDER BY seq"))]


def test_a_timer_started_and_stopped_notes_its_rows(clinic):
    ctx = clinic
    before = len(_log(ctx))
    timers.start(ctx, patient_mrn="T1001", category_slug="phone-call")
    timers.stop(ctx)
    noted = _log(ctx)[before:]
    tables = {t for t, _ in noted}
    assert {"time_entry", "interval"} <= tables
    with ctx.read() as session:
        entry_ids = {r[0] for r in session.exec(text("SELECT id FROM time_entry"))}
    assert {i for t, i in noted if t == "time_entry"} <= entry_ids


def test_a_patient_added_and_changed_is_noted_twice(clinic):
    ctx = clinic
    before = len(_log(ctx))
    patients.add(ctx, mrn="T7001", name="Testcase, Log")
    patients.update(ctx, "T7001", name="Testcase, Logged")
    noted = [t for t, _ in _log(ctx)[before:]]
    assert noted.count("patient") >= 2
