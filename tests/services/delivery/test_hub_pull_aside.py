"""A large pull (a workstation joining a clinic takes its year) sets the month rollup aside
and builds it once after, as a large entry import does: the report then counts what was
taken, and the rollup agrees with a full count of the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import hub, hub_pull, targets
from ccm_timer.services.month import report
from ccm_timer.services.timing import entry_import_rollup
from ccm_timer.store import month_rollup
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _rollup(ctx) -> tuple[str | None, int, int]:
    """(the zone it is built in, patient-months differing from a full count, seconds)."""
    with ctx.read() as session:
        conn = session.connection()
        zone = month_rollup.zone_of(conn)
        wrong = month_rollup.differences(conn, ctx.zone) if zone else -1
        seconds = conn.execute(text("SELECT coalesce(sum(seconds), 0) FROM month_rollup"))
        return zone, wrong, int(seconds.scalar_one())


@pytest.mark.parametrize("aside_from", [2, entry_import_rollup.ASIDE_ROWS])
def test_a_pull_large_or_small_leaves_the_rollup_built_and_counting_what_it_took(
        two, hub_url, monkeypatch, aside_from):
    monkeypatch.setattr(entry_import_rollup, "ASIDE_ROWS", aside_from)
    north, south = two
    for ws in (north, south):
        targets.add(ws, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    for day in range(3):  # three entries and their intervals: six rows, a "large" pull
        add_minutes(north, NOV3 - timedelta(days=day), 12)
    add_minutes(south, NOV3.replace(hour=15), 10)
    for ws in (north, south):
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    pulled = hub_pull.pull(south, targets.get(south, "hub"))
    assert (pulled.entries, pulled.conflicts) == (3, [])
    assert _rollup(south) == ("America/New_York", 0, (3 * 12 + 10) * 60)
    found = report.month_report(south, "2026-11").patient("T1001")
    assert sum(found.result.seconds_by_role.values()) == (3 * 12 + 10) * 60
