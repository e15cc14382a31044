"""The month rollup (store/month_rollup.py) while a large entry import writes: set aside, then
counted once.

Kept row by row, the rollup costs an import its drain at every batch: each batch's patients
and months recounted (the same patient-months again and again as the batches go by) and a
note per entry parsed, several times the cost of the inserts. So an import of ASIDE_ROWS or
more takes the rollup's state row away in its first batch (the triggers note nothing while
it is absent, a drain has nothing to do, and the report counts from the entries: slower for
a minute, never wrong), and builds it again at its end, success or not. The build counts in
a read snapshot, outside the write lock, and swaps the rows in under it when no entry or
interval changed since (the change log's sequence says so); else it counts under the lock.
An import killed part-way leaves the rollup absent: the next open builds it (open_app).
"""

from __future__ import annotations

from sqlalchemy import Connection

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext, build_month_rollup
from ccm_timer.store import month_overlaps, month_rollup

ASIDE_ROWS = 20_000  # fewer rows: their drains cost less than one build at a million entries
TRIES = 3  # snapshot counts spoiled by someone's write before the count under the lock


def set_aside(ctx: AppContext, rows: int) -> bool:
    """Whether the import sets the rollup aside: a large one on a built rollup."""
    if rows < ASIDE_ROWS or ctx.read_only is not None:
        return False
    with ctx.read() as session:
        return month_rollup.zone_of(session.connection()) is not None


def keep_aside(conn: Connection) -> None:
    """In each batch's transaction, before its inserts: absent, whoever built it meanwhile
    (a tray opened during the import)."""
    conn.exec_driver_sql("DELETE FROM month_rollup_state")


def _changes(conn: Connection) -> int:
    """The change log's last sequence: every insert or update of an entry or an interval
    takes one (store/local_tables.py), and it never goes back."""
    found = conn.exec_driver_sql(
        "SELECT seq FROM sqlite_sequence WHERE name = 'sync_change'").scalar()
    return int(found or 0)


def restore(ctx: AppContext) -> None:
    """Build the rollup (and its overlaps, store/month_overlaps.py) again in the clinic's
    zone, the lock held only to write them."""
    try:
        zone = ctx.zone
    except UserError:  # a zone the settings misname: the next open says so, and builds
        return
    for _ in range(TRIES):
        with ctx.read() as session:  # one read transaction: a snapshot
            conn = session.connection()
            if month_rollup.zone_of(conn) is not None:
                return  # never set aside (the import failed first), or built meanwhile
            seen = _changes(conn)
            rows = month_rollup.count_all(conn, zone)
            overlaps = month_overlaps.count_all(conn, zone)
        with ctx.write() as session:
            conn = session.connection()
            if month_rollup.zone_of(conn) is not None:
                return  # built meanwhile, after the import's last batch
            if _changes(conn) == seen:
                month_rollup.rebuild(conn, zone, ctx.now(), rows, overlaps)
                return
    build_month_rollup(ctx)  # a busy clinic: count under the lock
