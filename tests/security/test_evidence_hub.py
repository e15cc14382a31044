"""Each hub push records the workstation's chain head on the hub (issue 13, defect 3): a
later push from a chain that was cut short or rewritten on the workstation, even with the
head kept beside the key removed too, is refused and says so. Real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import hub
from ccm_timer.services.security import audit, chain_anchor
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _heads(hub_url: str) -> list[tuple]:
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT workstation, seq, hash FROM chain_head ORDER BY workstation"))]
    finally:
        engine.dispose()


def test_the_hub_keeps_each_chain_head_and_refuses_a_chain_cut_short(two, hub_url):
    ws1, ws2 = two
    add_minutes(ws1, NOV3, 12)
    hub.push(ws1, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    first = audit.check(ws1)
    assert _heads(hub_url)[0] == ("ws-north", first.events, first.head)

    add_minutes(ws1, NOV3.replace(hour=15), 5)
    hub.push(ws1, hub_url, HUB_PASSWORD)  # the head moves on with the chain
    pushed = audit.check(ws1)
    assert _heads(hub_url)[0] == ("ws-north", pushed.events, pushed.head)

    # With the key, behind the app's back: the newest events go, and so does the head kept
    # beside the key. Only the hub still knows how far the chain had come.
    with ws1.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq > ?", (first.events,))
    chain_anchor.forget(ws1.paths, ws1.protection)
    with pytest.raises(hub.HubError, match=f"no longer holds event {pushed.events}, which it "
                                           "pushed to the clinic hub"):
        hub.push(ws1, hub_url, HUB_PASSWORD)
    assert _heads(hub_url)[0] == ("ws-north", pushed.events, pushed.head)  # unchanged

    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert [(c.workstation, c.events, c.ok) for c in hub.verify_chains(engine)] == [
            ("ws-north", pushed.events, True), ("ws-south", audit.check(ws2).events, True)]
        with engine.begin() as conn:  # a hub whose copy of the chain was cut short too
            conn.exec_driver_sql("UPDATE chain_head SET seq = seq + 1 "
                                 "WHERE workstation = 'ws-north'")
        [north, _] = hub.verify_chains(engine)
        assert not north.ok and "its head at the last push" in north.problem
    finally:
        engine.dispose()
