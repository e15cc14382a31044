"""Tamper evidence (reliability T17): triggers refuse UPDATE and DELETE on the audit trail
and on superseded entry versions; an edit made behind the app's back, with the key, is
named by `audit verify`; a chain rewritten to hide it no longer holds the heads that exports
carried away; doctor reports all of it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from ccm_timer.services.context import open_app
from ccm_timer.services.security import audit
from ccm_timer.services.timing import entries
from ccm_timer.store.connection import raw_connect
from ccm_timer.store.models import AuditEvent
from tests.fixtures.clinic import corrector, setup_clinic


def _raw(home):
    """A connection of our own, with the key, as someone holding the key could make."""
    ctx = open_app(str(home))
    key = ctx.protection.key
    ctx.close()
    return raw_connect(home / "ccm-timer.db", key)


def _edit_first_entry(home) -> None:
    ctx = open_app(str(home))
    try:
        [view] = entries.list_entries(ctx)
        entries.edit(ctx, str(view.id), end=datetime(2026, 11, 3, 15, 3, tzinfo=UTC),
                     reason="call ended earlier", by=corrector(ctx))
    finally:
        ctx.close()


@pytest.mark.parametrize("sql, words", [
    ("UPDATE audit_event SET actor = 'someone else' WHERE seq = 2", "append-only"),
    ("DELETE FROM audit_event WHERE seq = 2", "append-only"),
    ("UPDATE time_entry SET note = 'rewritten' WHERE superseded_at IS NOT NULL",
     "superseded entry version cannot change"),
    ("DELETE FROM time_entry", "never deleted"),
    ("UPDATE interval SET end_utc = start_utc WHERE entry_id IN "
     "(SELECT id FROM time_entry WHERE superseded_at IS NOT NULL)",
     "superseded entry version cannot change"),
    ("DELETE FROM interval", "never deleted"),
])
def test_triggers_refuse_changes_to_history(home, sql, words):
    setup_clinic(home)
    _edit_first_entry(home)
    conn = _raw(home)
    try:
        with pytest.raises(Exception, match=words):
            conn.execute(sql)
    finally:
        conn.close()


def test_a_changed_audit_row_is_named_and_a_rewritten_chain_loses_its_anchor(home, cli):
    setup_clinic(home, note="first call")
    _edit_first_entry(home)
    exported = cli("export", "--month", "2026-11", "--format", "csv", "--draft")
    assert exported.returncode == 0, exported.stderr
    intact = json.loads(cli("doctor", "--json").stdout)["audit_chain"]
    assert intact["ok"] and intact["exports_checked"] == 1
    assert intact["export_anchors_missing"] == []

    conn = _raw(home)  # with the key, behind the app's back
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET after = replace(after, 'first call', 'other call') "
                 "WHERE seq = (SELECT min(seq) FROM audit_event WHERE action = 'timer.start')")
    seq = conn.execute("SELECT seq FROM audit_event WHERE after LIKE '%other call%'").fetchone()[0]
    conn.close()
    done = cli("audit", "verify")
    assert done.returncode == 1
    assert f"BROKEN at event {seq}" in done.stderr and "changed after writing" in done.stderr
    assert json.loads(cli("audit", "verify", "--json").stdout)["broken_seq"] == seq

    # Recompute every hash from there on: every link holds again, but the head kept beside
    # the key and the head the export carried to billing are both gone from it.
    ctx = open_app(str(home))
    try:
        with ctx.read() as session:
            rows = [e for e in session.exec(select(AuditEvent)) if e.seq >= seq]
        fixed, prev = [], None
        for event in sorted(rows, key=lambda e: e.seq):
            if prev is not None:
                event.prev_hash = prev
            event.hash = audit.digest(event)
            fixed.append((event.prev_hash, event.hash, event.seq))
            prev = event.hash
    finally:
        ctx.close()
    conn = _raw(home)
    conn.executemany("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?", fixed)
    conn.close()
    rewritten = cli("audit", "verify")
    assert rewritten.returncode == 1 and "the chain was rewritten" in rewritten.stderr
    doctor = json.loads(cli("doctor", "--json").stdout)
    [missing] = doctor["audit_chain"]["export_anchors_missing"]
    assert "no longer in the audit chain" in missing
    assert missing in doctor["warnings"]


def test_a_deleted_audit_row_is_named(home, cli):
    setup_clinic(home)
    conn = _raw(home)
    conn.execute("DROP TRIGGER audit_event_no_delete")
    conn.execute("DELETE FROM audit_event WHERE seq = 2")
    conn.close()
    done = cli("audit", "verify")
    assert done.returncode == 1 and "BROKEN at event 2" in done.stderr
    assert "missing" in done.stderr


def test_the_audit_trail_keeps_no_key_and_names_where_it_is_kept(home):
    setup_clinic(home)
    ctx = open_app(str(home))
    try:
        key = ctx.protection.key
        with ctx.read() as session:
            [made] = audit.history(session, ctx.protection.record.database_id)
        assert made.action == "key.create"
        assert json.loads(made.after) == {
            "kept_in": "keyring", "backend": "tests.fixtures.keyring.FolderKeyring"}
        with ctx.engine.connect() as conn:
            dump = "".join(str(r) for r in conn.exec_driver_sql("SELECT * FROM audit_event"))
        assert key.hex() not in dump and hashlib.sha256(key).hexdigest() not in dump
    finally:
        ctx.close()
