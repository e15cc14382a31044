"""A workstation holding another workstation's entries from a bundle pushes under its own
hub role (revision 0004's row-level security refuses rows naming another workstation): its
own rows go in, the bundle's wait here, and the push says how many and from where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.delivery import hub, hub_pull, hub_push, outbox_status, targets
from ccm_timer.store import change_rows
from ccm_timer.sync.worker import Worker
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes, provision_bundles, queue_exports
from tests.fixtures.hub_logins import drop_roles, login, owner

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
HELD = ("3 entries recorded on ws-south came here in a bundle: they reach the clinic hub "
        "when ws-south pushes, or when an administrator imports that bundle into the hub")


@pytest.fixture
def relayed(two, hub_url, tmp_path):
    """ws-north and ws-south with their own roles; ws-south's bundle of 3 entries imported
    on ws-north, which has 12 minutes of its own."""
    north, south = two
    provision_bundles(north, south)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(south, "usb", kind="folder", url=str(drop))
    for hour in (14, 15, 16):
        add_minutes(south, NOV3.replace(hour=hour), 5)
    [export] = queue_exports(south, "usb", 1)
    assert Worker(south, timeout=5).run_once().delivered == 1
    path = drop / bundle.name_for(export.id)
    logins = {"ws-north": login(north, hub_url)}  # after the delivery: south pushed nothing
    south.update_settings(clinic_id=north.settings.clinic_id)  # one clinic
    logins["ws-south"] = login(south, hub_url)
    assert bundles.import_bundle(north, path).entries == 3
    add_minutes(north, NOV3, 12)
    yield north, south, logins, path
    drop_roles(hub_url, "ws-north", "ws-south")


def _hub_minutes(hub_url: str) -> dict[str, int]:
    engine = owner(hub_url)
    try:
        with engine.connect() as conn:
            return {ws: int(s) // 60 for ws, s in conn.execute(text(
                "SELECT workstation, sum(span_seconds) FROM time_entry "
                "WHERE superseded_at IS NULL GROUP BY workstation"))}
    finally:
        engine.dispose()


def test_the_push_sends_its_own_rows_and_says_the_bundle_s_wait_here(relayed, hub_url):
    north, _south, logins, _path = relayed
    first = hub.push_target(north, logins["ws-north"], force=True)  # no cursor: every row
    assert first is not None and first.full
    assert first.held == {"ws-south": 3}
    assert first.held_sentence().startswith(HELD)
    assert _hub_minutes(hub_url) == {"ws-north": 12}
    add_minutes(north, NOV3 + timedelta(hours=5), 4)
    again = hub.push_target(north, logins["ws-north"], force=True)  # from the cursor
    assert again is not None and not again.full
    assert again.held == {"ws-south": 3} and again.held_sentence().startswith(HELD)
    assert _hub_minutes(hub_url) == {"ws-north": 16}
    with north.read() as session:  # not lost: still here, and waiting for the hub
        conn = session.connection()
        assert conn.execute(text(
            "SELECT count(*) FROM time_entry WHERE workstation = 'ws-south'")).scalar() == 3
        assert change_rows.held_here(conn, "ws-north") == {"ws-south": 3}
    # The tray's delivery line says so too, without a command (the GUI's words).
    line = outbox_status.summary(north)
    assert "3 entries recorded on ws-south came here in a bundle" in line
    assert "ccm-timer" not in line
    assert hub_push.held_sentence({"ws-south": 1, "ws-west": 2}) == (
        "1 entry recorded on ws-south and 2 entries recorded on ws-west came here in "
        "bundles: they reach the clinic hub when ws-south and ws-west push, or when an "
        "administrator imports those bundles into the hub.")


def test_the_owner_imports_the_bundle_into_the_hub_and_the_next_push_holds_nothing(
        relayed, hub_url):
    north, _south, logins, path = relayed
    hub.push_target(north, logins["ws-north"], force=True)
    imported = bundles.import_bundle(north, path, hub_url=hub_url, password=HUB_PASSWORD)
    assert imported.into == "the clinic hub" and imported.changed.get("time_entry") == 3
    assert _hub_minutes(hub_url) == {"ws-north": 12, "ws-south": 15}
    after = hub.push_target(north, logins["ws-north"], force=True)
    assert after is not None and after.held == {}
    with north.read() as session:
        assert change_rows.held_here(session.connection(), "ws-north") == {}
    assert after.held_sentence() == ""
    full = hub.push(north, logins["ws-north"].url, targets.get_secret("hub-ws-north"))
    assert full.full and full.held == {} and full.changed.get("time_entry") is None


def test_once_the_sender_pushed_and_after_a_pull_nothing_is_held_or_written_twice(
        relayed, hub_url):
    north, south, logins, _path = relayed
    hub.push_target(north, logins["ws-north"], force=True)
    hub.push_target(south, logins["ws-south"], force=True)
    hub_pull.pull(north, logins["ws-north"])
    add_minutes(north, NOV3 + timedelta(hours=6), 2)
    incremental = hub.push_target(north, logins["ws-north"], force=True)
    assert incremental is not None and not incremental.full and incremental.held == {}
    assert incremental.changed.get("time_entry") == 1
    full = hub.push(north, logins["ws-north"].url, targets.get_secret("hub-ws-north"))
    assert full.held == {} and full.changed.get("time_entry") is None
    assert _hub_minutes(hub_url) == {"ws-north": 14, "ws-south": 15}


def test_hub_push_s_output_carries_the_sentence(relayed, capsys):
    from ccm_timer.cli.main import build_parser

    north, *_ = relayed
    args = build_parser().parse_args(["hub", "push"])
    args.json = False  # as main() sets it
    args.handler(north, args)
    out = capsys.readouterr().out
    assert HELD in out and "`ccm-timer import-bundle PATH --hub hub-ws-north`" in out
