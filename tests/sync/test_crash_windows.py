"""kill -9 at every step of a delivery, then restart: everything arrives exactly once
(reliability T19, T22)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import targets
from ccm_timer.services.security import audit, bundle_keys
from ccm_timer.store.models import OutboxItem, OutboxState
from tests.fixtures.delivery import add_https, provision_bundles, queue_exports

CHILD = Path(__file__).with_name("sync_child.py")
ROOT = Path(__file__).resolve().parents[2]


def _child(home: Path, kill_at: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CCM_TIMER_HOME", None)
    return subprocess.Popen([sys.executable, str(CHILD), str(home), kill_at],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _run(home: Path, kill_at: str) -> tuple[int, str]:
    proc = _child(home, kill_at)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out + err


def _states(ctx) -> list[OutboxState]:
    with ctx.read() as session:
        return [i.state for i in session.exec(select(OutboxItem))]


def _healthy(ctx) -> None:
    with ctx.read() as session:
        assert audit.verify(session).ok
    with ctx.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


@pytest.mark.parametrize("step", ["claimed", "sending", "answered", "finished"])
def test_kill_at_each_step_then_restart_delivers_once(ctx, home, server, step):
    add_https(ctx, server.url)
    exports = queue_exports(ctx, "billing", 3)
    code, output = _run(home, step)
    assert code == -signal.SIGKILL, output
    assert f"killed at {step}" in output
    code, output = _run(home, "never")
    assert code == 0, output
    assert set(server.stored) == {str(e.id) for e in exports}
    for e in exports:
        assert hashlib.sha256(server.stored[str(e.id)]).hexdigest() == e.sha256
    assert all(sha == next(x.sha256 for x in exports if str(x.id) == key)
               for key, sha, _ in server.requests)  # every retry byte-identical
    assert _states(ctx) == [OutboxState.DELIVERED] * 3
    sent_first = sum(1 for key, _, _ in server.requests if key == str(exports[0].id))
    # Killed after the answer, before recording it: sent again under the same key and
    # stored once. Killed after recording it: not sent again.
    assert sent_first == (2 if step == "answered" else 1)
    _healthy(ctx)


def test_killed_while_the_server_holds_a_stored_request(ctx, home, server):
    """kill -9 from outside after the server stored the export, before it answered."""
    add_https(ctx, server.url)
    exports = queue_exports(ctx, "billing", 2)
    server.hang = 30.0
    server.faults.append("hang_after_store")
    proc = _child(home, "never")
    deadline = time.monotonic() + 30
    while not server.stored and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.stored, "the child never reached the server"
    proc.kill()
    proc.communicate(timeout=30)
    assert OutboxState.IN_FLIGHT in _states(ctx)
    code, output = _run(home, "never")
    assert code == 0, output
    assert set(server.stored) == {str(e.id) for e in exports}
    assert _states(ctx) == [OutboxState.DELIVERED] * 2
    _healthy(ctx)


def _complete(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("step", ["sending", "written", "renamed", "finished"])
def test_folder_kill_at_each_step_never_shows_a_partial_bundle(ctx, home, tmp_path, step):
    drop = tmp_path / "drop"
    drop.mkdir()
    provision_bundles(ctx)
    targets.add(ctx, "usb", kind="folder", url=str(drop))
    exports = queue_exports(ctx, "usb", 2)
    code, output = _run(home, step)
    assert code == -signal.SIGKILL, output
    for name in _complete(drop):  # whatever is there under a final name is whole
        bundle.verify(drop / name)
    code, output = _run(home, "never")
    assert code == 0, output
    names = _complete(drop)
    assert names == sorted(bundle.name_for(e.id) for e in exports)
    assert not any(p.name.endswith(".partial") for p in drop.iterdir())
    for e in exports:
        opened = bundle.open_bundle(drop / bundle.name_for(e.id), bundle_keys.opening_key(ctx))
        assert hashlib.sha256(opened.export).hexdigest() == e.sha256
    assert _states(ctx) == [OutboxState.DELIVERED] * 2
    _healthy(ctx)
