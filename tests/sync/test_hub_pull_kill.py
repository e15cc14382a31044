"""A pull killed at any point (SIGKILL in a real process) leaves the workstation as it was,
and the next pull takes everything: the hub is only read, and the local merge, its change
log clean-up, the live timers, the audit event and the cursor are one SQLite transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import hub, hub_pull, targets
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

CHILD = Path(__file__).with_name("pull_child.py")
ROOT = Path(__file__).resolve().parents[2]
NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _state(ctx) -> tuple:
    with ctx.read() as session:
        conn = session.connection()
        return tuple(conn.execute(text(q)).all() for q in (
            "SELECT count(*) FROM time_entry", "SELECT count(*) FROM interval",
            "SELECT max(seq), count(*) FROM sync_change", "SELECT max(seq) FROM audit_event",
            "SELECT pulled_seq, pulled_at FROM hub_cursor", "SELECT count(*) FROM hub_live_timer"))


@pytest.mark.parametrize("step", ["read rows", "merged"])
def test_a_pull_killed_mid_way_leaves_the_workstation_as_it_was(two, hub_url, step):
    north, south = two
    for ws in (north, south):
        targets.add(ws, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    add_minutes(north, NOV3, 12)
    for ws in (north, south):
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    before = _state(south)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CCM_TIMER_HOME", None)
    done = subprocess.run([sys.executable, str(CHILD), str(south.paths.data), HUB_PASSWORD,
                           step], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == -9, done.stderr
    assert done.stdout.strip() == f"killed at {step}"
    assert _state(south) == before
    assert hub_pull.pull(south, targets.get(south, "hub")).entries == 1
