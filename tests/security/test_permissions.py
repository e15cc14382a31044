"""Another local user can read nothing of a data folder: folders 0700, every file 0600
whatever the umask, older folders tightened at open, folder-target bundles 0600, and on
Windows an ACL for the user alone (issue 13, defect 9)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ccm_timer import paths as app_paths
from ccm_timer.services.context import open_app
from ccm_timer.services.delivery import bundle_format
from ccm_timer.ui import launch
from tests.fixtures.clinic import setup_clinic

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _loose(folder: Path) -> list[str]:
    """Every folder not 0700 and every file not 0600 under `folder`, with its mode."""
    return [f"{p.relative_to(folder)} {oct(_mode(p))}" for p in [folder, *folder.rglob("*")]
            if _mode(p) != (0o700 if p.is_dir() else 0o600)]


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)  # what most desktops use: 0755 folders, 0644 files
    yield
    os.umask(previous)


def test_a_new_data_folder_is_for_its_owner_alone(tmp_path, clock, usual_umask):
    home = tmp_path / "new"
    setup_clinic(home)
    clock.advance(timedelta(days=1))
    ctx = open_app(str(home), clock=clock)  # the day's backup
    held = ctx.engine.raw_connection()  # as the tray holds one: -wal and -shm stay
    try:
        from ccm_timer.services.timing import timers

        timers.start(ctx, patient_mrn="T1001", category_slug="phone-call")
        assert (home / "ccm-timer.db-wal").exists() and (home / "ccm-timer.db-shm").exists()
        assert any((home / "backups").glob("daily-*.db"))
        assert _loose(home) == []
    finally:
        held.close()
        ctx.close()
    assert _loose(home) == []


def test_an_older_folder_is_tightened_at_open(home, usual_umask):
    setup_clinic(home)
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    open_app(str(home)).close()
    assert _loose(home) == []


def test_the_tray_log_and_its_rotations_are_for_the_owner(tmp_path, usual_umask):
    logs = tmp_path / "logs"
    launch._setup_logging(logs)
    handler = launch.log.handlers[-1]
    try:
        launch.log.info("an event")
        handler.doRollover()
        launch.log.info("another event")
        assert sorted(p.name for p in logs.iterdir()) == ["tray.log", "tray.log.1"]
        assert [oct(_mode(p)) for p in logs.iterdir()] == ["0o600", "0o600"]
    finally:
        launch.log.removeHandler(handler)
        handler.close()
    older = tmp_path / "older"
    older.mkdir()
    (older / "tray.log").write_text("left by an older version\n")
    (older / "tray.log").chmod(0o644)
    launch._setup_logging(older)
    handler = launch.log.handlers[-1]
    launch.log.removeHandler(handler)
    handler.close()
    assert _mode(older / "tray.log") == 0o600


def test_a_folder_target_bundle_is_for_the_owner(tmp_path, usual_umask):
    files = {"records.json": b"{}", bundle_format.MANIFEST: b"{}"}
    assert bundle_format.write(tmp_path, "ccm-export-1", files) == "written"
    bundle = tmp_path / "ccm-export-1"
    assert _mode(bundle) == 0o700
    assert {oct(_mode(p)) for p in bundle.iterdir()} == {"0o600"}


def test_on_windows_each_folder_gets_an_acl_for_the_user_alone(tmp_path, monkeypatch):
    """icacls cannot run here: the command lines are checked with the platform faked."""
    ran: list[list[str]] = []

    def fake_run(command, **kw):
        ran.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setenv("USERNAME", "avery")
    monkeypatch.setenv("USERDOMAIN", "CLINIC")
    where = app_paths.resolve(str(tmp_path / "data"))
    where.ensure()
    folders = [where.data, where.logs, where.outbox, where.backups]
    assert ran == [["icacls", str(f), "/inheritance:r", "/grant:r", "CLINIC\\avery:(OI)(CI)F"]
                   for f in folders]
    ran.clear()
    where.ensure()  # set once: not at every start
    assert ran == []
    (where.data / app_paths.ACL_SET).unlink()
    where.ensure()  # an existing folder without the mark is tightened too
    assert len(ran) == len(folders)
