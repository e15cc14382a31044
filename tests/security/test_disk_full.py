"""A nearly full disk, on a real tmpfs: the day's backup is skipped with a warning and never
blocks a stop; a disk with no room left is one sentence, no file half-written, and the
database works again once there is room (issue 13, defect 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.fixtures.cli import run_cli
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.full_disk import SmallDisk

ENTRY = ("entry", "add", "--patient", "T1001", "--category", "phone-call",
         "--start", "2026-11-05T10:00", "--end", "2026-11-05T10:30")
EXPORT = ("export", "--month", "2026-11", "--format", "csv", "--draft", "--send", "bundles")


def _on_small_disk(home: Path, disk: SmallDisk, tmp_path: Path) -> Path:
    """The clinic on the small disk, a timer running, a folder target, and the day's
    backup due again (the newest daily one is from long ago)."""
    setup_clinic(home)
    (tmp_path / "bundles").mkdir()
    data = disk.root / "data"
    shutil.copytree(home, data)
    for args in (("target", "add", "--kind", "folder", "--url", str(tmp_path / "bundles"),
                  "bundles"), ("start", "--patient", "T1001", "--category", "phone-call")):
        done = run_cli(data, *args, input="")
        assert done.returncode == 0, done.stderr
    for daily in (data / "backups").glob("daily-*.db"):
        daily.rename(daily.with_name("daily-2020-01-01.db"))
    return data


def _leftovers(data: Path) -> list[str]:
    return [str(p) for p in data.rglob("*") if p.name.endswith(".partial")]


def _sentences(result) -> list[str]:
    assert "Traceback" not in result.stderr and "sqlcipher" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("ccm-timer: ") for line in lines), lines
    return lines


def test_a_backup_that_does_not_fit_is_skipped_and_the_stop_goes_through(
        home, small_disk, tmp_path):
    data = _on_small_disk(home, small_disk, tmp_path)
    kept = sorted(p.name for p in (data / "backups").iterdir())
    small_disk.leave_free(120 * 1024)
    stop = run_cli(data, "stop")
    assert stop.returncode == 0, stop.stderr
    assert "Stopped" in stop.stdout
    assert ["Today's backup was skipped" in line for line in _sentences(stop)] == [True]
    for args in (("entry", "list"), ("doctor",)):
        done = run_cli(data, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        _sentences(done)
    assert "2 entries" in run_cli(data, "entry", "list").stdout
    assert sorted(p.name for p in (data / "backups").iterdir()) == kept
    assert _leftovers(data) == []


def test_no_room_at_all_is_one_sentence_and_nothing_changes(home, small_disk, tmp_path):
    data = _on_small_disk(home, small_disk, tmp_path)
    small_disk.leave_free(40 * 1024)
    for args in (("stop",), ENTRY, EXPORT, ("backup",)):
        done = run_cli(data, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        last = _sentences(done)[-1]
        assert f"The disk holding {data}" in last and "is full" in last or (
            "No backup was taken" in last), (args, last)
        assert _leftovers(data) == [], args
    assert list((tmp_path / "bundles").iterdir()) == []
    small_disk.make_room()
    status = run_cli(data, "status")
    assert status.returncode == 0 and "Running" in status.stdout  # the stop never happened
    for args in (("stop",), ENTRY, ("backup",)):
        done = run_cli(data, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert "3 entries" in run_cli(data, "entry", "list").stdout
    assert _leftovers(data) == []
