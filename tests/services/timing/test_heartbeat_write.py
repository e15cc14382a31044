"""The heartbeat is one upsert: no read of the row first (the tray writes it every 30 s
for as long as it runs), and a session that had read the row sees the new beat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from ccm_timer.services.timing import recovery
from ccm_timer.store.models import Heartbeat


def _statements(ctx, body) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()).upper())

    event.listen(ctx.engine, "before_cursor_execute", record)
    try:
        body()
    finally:
        event.remove(ctx.engine, "before_cursor_execute", record)
    return seen


def test_first_beat_inserts_later_beats_update_without_reading(ctx, clock):
    first = _statements(ctx, lambda: recovery.beat(ctx, pid=4242))
    clock.advance(timedelta(seconds=30))
    later = _statements(ctx, lambda: recovery.beat(ctx, pid=4242))
    for seen in (first, later):
        # (the month rollup's check before every commit reads its own two tables)
        ours = [s for s in seen if "HEARTBEAT" in s]
        assert len(ours) == 1 and ours[0].startswith("INSERT INTO HEARTBEAT"), ours
    with ctx.read() as session:
        row = session.get(Heartbeat, ctx.workstation)
        assert (row.pid, row.last_seen_utc) == (4242, ctx.now())
        assert row.boot_id == recovery.liveness.boot_id()


def test_a_row_read_earlier_in_the_session_shows_the_new_beat(ctx, clock):
    recovery.beat(ctx, pid=1)
    clock.advance(timedelta(seconds=30))
    with ctx.write() as session:
        old = session.get(Heartbeat, ctx.workstation)
        assert old.pid == 1
        recovery.mark_alive(session, ctx, pid=2)
        assert (old.pid, old.last_seen_utc) == (2, ctx.now())
