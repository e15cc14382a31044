"""Issue 19, "How it is shown": twenty workstations of one clinic (their own data folders
and nurses, the same patients by MRN) time November and push to one real PostgreSQL hub as
concurrent `ccm-timer hub push` processes. Some are SIGKILLed and some have their network
cut while their push waits inside its transaction on the hub; then every workstation pushes
again until all succeed. The hub's month report must then equal, per patient and role and
to the second, what the workstations' own entries add up to; each entry version and
interval must be on the hub exactly once; every chain verifies; the one deliberate conflict
(two workstations giving one MRN two names) is listed by `hub conflicts`; and after a pull
every workstation's own month report is the hub's, to the second.

One workstation pulls through `ccm-timer hub pull`, the others through its service
(hub_pull.pull), which keeps the test's subprocesses to the pushes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ccm_timer.services.delivery import hub_pull, targets
from ccm_timer.services.month import report
from ccm_timer.services.people import clinicians, patients
from ccm_timer.store.models import Interval, TimeEntry
from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import give_passwords
from tests.fixtures.workstations import (
    MONTH,
    MRNS,
    add_up,
    expected_seconds,
    finish,
    kill,
    local_seconds,
    start_push,
)

KILLED, CUT, ALONGSIDE = (0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11)
AT_ONCE = 5  # pushes running together in the second round


def _rows(ctx, *columns) -> list[tuple]:
    with ctx.read() as session:
        return [tuple(r) for r in session.connection().execute(select(*columns))]


def _hub_rows(hub, *columns) -> list[tuple]:
    with hub.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns))]


def _push_until_done(stations, tries: int = 3) -> None:
    """Push every station in `stations`, AT_ONCE at a time, again while any fails."""
    waiting = list(stations)
    for _ in range(tries):
        failed = []
        for i in range(0, len(waiting), AT_ONCE):
            running = [(ws, start_push(ws)) for ws in waiting[i:i + AT_ONCE]]
            for ws, proc in running:
                code, _out, err = finish(proc)
                assert "Traceback" not in err, err
                if code:
                    failed.append(ws)
        if not (waiting := failed):
            return
    pytest.fail(f"still failing after {tries} rounds: {[ws.name for ws in waiting]}")


def _report(ws, *extra: str) -> dict[str, dict[str, int]]:
    done = run_cli(ws.home, "report", "--month", MONTH, "--json", *extra)
    assert done.returncode == 0, done.stderr
    return {p["mrn"]: {k: v for k, v in p["seconds"]["by_role"].items() if v}
            for p in json.loads(done.stdout)["patients"] if any(p["seconds"]["by_role"].values())}


def test_twenty_workstations_killed_and_cut_mid_push_end_with_every_second_once_on_the_hub(
        workstations):
    stations, hub, proxy = workstations(20, via_proxy=CUT, per_ws=16)
    # Two workstations give one MRN two names (the conflict the billing office must see).
    patients.add(stations[18].ctx, mrn="T1201", name="Conflict, Ann", program="CCM")
    patients.add(stations[19].ctx, mrn="T1201", name="Conflict, Anne", program="CCM")
    office = "Billing Office ws-00"  # the billing office reads the hub's conflicts
    clinicians.add(stations[0].ctx, name=office, credential="Office", role="office",
                   duties=("billing",))
    give_passwords(stations[0].ctx, (office,))

    # Round 1: twelve pushes at once, each held inside its transaction on the hub.
    hub.hold_entries()
    first = {n: start_push(stations[n]) for n in KILLED + CUT + ALONGSIDE}
    hub.wait_until_waiting({stations[n].name for n in first})
    proxy.wait_accepted(len(CUT))
    for n in KILLED:
        kill(first[n])
    assert proxy.cut() >= 2 * len(CUT)
    hub.release()
    for n, proc in first.items():
        if n in KILLED:
            assert proc.returncode == -9
            continue
        code, _out, err = finish(proc)
        assert "Traceback" not in err, err
        if n in CUT:  # one sentence, and the records stay to be pushed again
            assert code == 1 and len(err.strip().splitlines()) == 1, err
            assert "clinic hub" in err, err
        else:
            assert code == 0, err
    on_hub = {i for (i,) in _hub_rows(hub, TimeEntry.id)}
    for n in ALONGSIDE:  # whole
        assert {i for (i,) in _rows(stations[n].ctx, TimeEntry.id)} <= on_hub
    with_intervals = {e for (e,) in _hub_rows(hub, Interval.entry_id)}
    assert on_hub <= with_intervals  # nothing half-written: no entry without its intervals

    # Round 2: everyone else, several at once, again until all succeed; then new time on
    # a killed, a cut and an untouched workstation, pushed together with one of the first
    # (which has nothing new).
    _push_until_done([ws for n, ws in enumerate(stations) if n not in ALONGSIDE])
    later = datetime(2026, 11, 30, 20, 0, 11, tzinfo=UTC)
    for n in (KILLED[0], CUT[0], 12):
        stations[n].add("T1001", later, later + timedelta(minutes=9, seconds=n + 1))
    _push_until_done([stations[n] for n in (KILLED[0], CUT[0], 12, ALONGSIDE[0])])

    # Each workstation's own count equals what was added there, to the second ...
    for ws in stations:
        assert local_seconds(ws) == expected_seconds([ws]), ws.name
    expected = expected_seconds(stations)
    assert add_up([local_seconds(ws) for ws in stations]) == expected
    assert set(expected) == set(MRNS)

    # What the workstations hold of their own, before any takes the others' rows.
    local_entries = [r for ws in stations for r in _rows(ws.ctx, TimeEntry.id,
                                                          TimeEntry.origin_id,
                                                          TimeEntry.version)]
    local_intervals = sorted(i for ws in stations for (i,) in _rows(ws.ctx, Interval.id))

    # Every workstation pulls (one through `ccm-timer hub pull`, the rest through its
    # service, to spare 19 start-ups); pushing again sends nothing back that it took.
    pulled = run_cli(stations[5].home, "hub", "pull")
    assert pulled.returncode == 0 and pulled.stderr == "", pulled.stderr
    for ws in stations[:5] + stations[6:]:
        hub_pull.pull(ws.ctx, targets.get(ws.ctx, "hub"))
    _push_until_done([stations[n] for n in (KILLED[1], CUT[1], 13)])

    # The hub's report, as `report --hub` shows it, is the workstations' sum; each
    # workstation's own report now says the same, to the second.
    assert _report(stations[19], "--hub", "hub") == expected
    assert _report(stations[5]) == expected
    for ws in stations:
        assert {p.mrn: {r: v for r, v in p.result.seconds_by_role.items() if v}
                for p in report.month_report(ws.ctx, MONTH).patients
                if any(p.result.seconds_by_role.values())} == expected, ws.name

    # Every entry version and interval is on the hub exactly once; each MRN is one patient.
    hub_entries = _hub_rows(hub, TimeEntry.id, TimeEntry.origin_id, TimeEntry.version)
    assert sorted(hub_entries) == sorted(local_entries)
    assert max(Counter((o, v) for _i, o, v in hub_entries).values()) == 1
    assert sorted(i for (i,) in _hub_rows(hub, Interval.id)) == local_intervals
    mrns = Counter(m for (m,) in hub.rows("SELECT mrn FROM patient"))
    assert mrns == Counter({m: 1 for m in (*MRNS, "T1201")})

    # Every workstation's chain verifies on the hub; `hub status` counts its entries.
    verified = run_cli(stations[0].home, "hub", "verify", "--json")
    assert verified.returncode == 0, verified.stderr
    chains = json.loads(verified.stdout)
    assert sorted(c["workstation"] for c in chains) == [ws.name for ws in stations]
    assert all(c["ok"] for c in chains)
    shown = run_cli(stations[0].home, "hub", "status", "--json")
    assert shown.returncode == 0, shown.stderr
    assert {r["workstation"]: r["entries"] for r in json.loads(shown.stdout)} == {
        ws.name: len(ws.ledger) for ws in stations}

    # Kills, cuts, retries and pulls raised no conflict; the two names of T1201 one.
    listed = run_cli(stations[0].home, "hub", "conflicts", "--as", office, "--json")
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    assert [(c["kind"], c["entity"]) for c in found] == [("renamed", "patient")]
    assert "T1201" in found[0]["summary"] and found[0]["sender"] in ("ws-18", "ws-19")
