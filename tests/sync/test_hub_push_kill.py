"""kill -9 in the middle of an incremental push, then push again: the hub has every row
once and the cursor ends where the local record is (issue 19, point 1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import hub, targets
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, open_workstation

CHILD = Path(__file__).with_name("hub_push_child.py")
ROOT = Path(__file__).resolve().parents[2]
NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _count(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


@pytest.mark.parametrize("point", ["merged", "committed"])
def test_a_push_killed_then_done_again_leaves_every_row_once(tmp_path, clock, hub_url, point):
    clock.advance(timedelta(days=1))  # all of 3 November past
    ws = open_workstation(tmp_path / "ws", "ws-north", clock)
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        target = targets.add(ws, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
        add_minutes(ws, NOV3, 12)
        hub.push_target(ws, target)
        add_minutes(ws, NOV3.replace(hour=15), 9)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("CCM_TIMER_HOME", None)
        home = tmp_path / "ws" / "ws-north"  # open_workstation's
        proc = subprocess.run([sys.executable, str(CHILD), str(home), point],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
        # Killed before the commit: the hub has nothing of it; after: the entry is there.
        assert _count(engine, "SELECT count(*) FROM time_entry") == (
            1 if point == "merged" else 2)
        report = hub.push_target(ws, target, force=True)
        assert not report.full
        assert report.changed.get("time_entry", 0) == (1 if point == "merged" else 0)
        assert _count(engine, "SELECT count(*) FROM time_entry") == 2
        assert _count(engine, "SELECT count(*) FROM interval") == 2
        assert _count(engine, "SELECT count(*) FROM audit_event") == _count(
            ws.engine, "SELECT count(*) FROM audit_event")
        assert hub.push_target(ws, target, force=True).changed == {}
        assert [c.ok for c in hub.verify_chains(engine)] == [True]
    finally:
        engine.dispose()
        ws.close()
