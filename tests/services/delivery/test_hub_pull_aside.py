"""A large pull (a workstation joining a clinic takes its year) sets the month rollup aside
and builds it once after, as a large entry import does: the report then counts what was
taken, and the rollup agrees with a full count of the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ccm_timer.services.delivery import hub, hub_pull, targets
from ccm_timer.services.month import report
from ccm_timer.services.timing import entry_import_rollup
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes
from tests.fixtures.rollup_state import rollup_state

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


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
    assert rollup_state(south) == ("America/New_York", 0, (3 * 12 + 10) * 60)
    found = report.month_report(south, "2026-11").patient("T1001")
    assert sum(found.result.seconds_by_role.values()) == (3 * 12 + 10) * 60
