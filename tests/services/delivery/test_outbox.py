"""The outbox service: transactional enqueue, frozen exports, the tray's sentence."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import outbox, outbox_status
from ccm_timer.services.exports import history as export_records
from ccm_timer.services.security import audit
from ccm_timer.store.models import Export, OutboxItem, OutboxState
from ccm_timer.sync.worker import Worker
from tests.fixtures.delivery import add_https, queue_exports


def _counts(ctx) -> tuple[int, int]:
    with ctx.read() as session:
        return (len(list(session.exec(select(Export)))),
                len(list(session.exec(select(OutboxItem)))))


def test_export_and_outbox_item_commit_together_or_not_at_all(ctx, server):
    add_https(ctx, server.url)
    with pytest.raises(RuntimeError), ctx.write() as session:
        export = export_records.record_export(
            session, ctx, month="2026-11", scope="all", fmt="json", content=b"{}",
            actor="Avery Nurse", filename_hint="ccm-2026-11.json")
        outbox.enqueue(session, ctx, export, "billing")
        raise RuntimeError("the renderer crashed after queuing")
    assert _counts(ctx) == (0, 0)
    [export] = queue_exports(ctx, "billing", 1)
    assert _counts(ctx) == (1, 1)
    with ctx.write() as session:  # queuing again for the same target is a no-op
        again = outbox.enqueue(session, ctx, session.get(Export, export.id), "billing")
    assert _counts(ctx) == (1, 1)
    with ctx.read() as session:
        item = session.exec(select(OutboxItem)).one()
        assert again.id == item.id
        assert item.state is OutboxState.PENDING
        report = audit.verify(session)
        actions = [e.action for e in audit.history(session, export.id)]
    assert report.ok
    assert actions == ["export.record", "export.queue"]


def test_unknown_target_refuses_the_whole_transaction(ctx):
    with pytest.raises(UserError, match="no delivery target 'nowhere'"), ctx.write() as s:
        export = export_records.record_export(
            s, ctx, month="2026-11", scope="all", fmt="csv", content=b"a,b\n",
            actor="x", filename_hint="ccm.csv")
        outbox.enqueue(s, ctx, export, "nowhere")
    assert _counts(ctx) == (0, 0)


def test_exports_are_frozen_and_names_carry_no_mrn(ctx, server):
    add_https(ctx, server.url)
    [export] = queue_exports(ctx, "billing", 1)
    with ctx.read() as session:
        stored = session.get(Export, export.id)
    assert stored.sha256 == hashlib.sha256(stored.content).hexdigest()
    with pytest.raises((OperationalError, IntegrityError), match="never changes"):
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE export SET content = x'00'"))
    with pytest.raises(UserError, match="MRN"), ctx.write() as session:
        export_records.record_export(
            session, ctx, month="2026-11", scope="T1001", fmt="json", content=b"{}",
            actor="x", filename_hint="ccm-T1001-2026-11.json")
    with pytest.raises(UserError, match="not a real month"), ctx.write() as session:
        export_records.record_export(
            session, ctx, month="2026-13", scope="all", fmt="json", content=b"{}",
            actor="x", filename_hint="ccm.json")


def test_summary_says_what_waits_and_why(ctx, clock):
    assert outbox_status.summary(ctx) == "No exports waiting"
    # A target on a port nothing listens on: the normal offline case.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    add_https(ctx, f"http://127.0.0.1:{dead}/exports")
    queue_exports(ctx, "billing", 3)
    assert outbox_status.summary(ctx) == "3 exports waiting, not tried yet"
    report = Worker(ctx, timeout=2).run_once()
    assert [a.kind for a in report.attempts] == ["retry"]  # one knock per pass, not three
    assert outbox_status.summary(ctx) == "3 exports waiting, last try 10:00: no connection"
    clock.advance(timedelta(days=2))
    assert outbox_status.summary(ctx).endswith("; the oldest has waited 2 days")


def test_summary_names_refused_exports(ctx, server):
    add_https(ctx, server.url)
    queue_exports(ctx, "billing", 2)
    server.faults.extend([422])
    report = Worker(ctx, timeout=2).run_once()
    assert sorted(a.kind for a in report.attempts) == ["delivered", "failed"]
    failed = [a for a in report.attempts if a.kind == "failed"][0]
    assert "refused the export (422" in failed.message
    assert outbox_status.summary(ctx) == (
        "1 export refused and not retried: see `ccm-timer sync --list`")
    [row] = [r for r in outbox_status.list_items(ctx) if r.state == "failed"]
    assert "injected" in row.last_error
    assert outbox.retry_failed(ctx) == 1
    assert Worker(ctx, timeout=2).run_once().delivered == 1
    assert outbox_status.summary(ctx) == "All exports delivered, the last at 10:00"
    assert len(server.stored) == 2
    body = json.loads(server.stored[str(failed.export_id)])
    assert body["synthetic"] is True
