"""A wrong key, a damaged file, a truncated file and a full disk each get their own
sentence: they need different actions, and only the first is about the key (issue 13,
defect 6). Every case through the real command line; nothing is changed in any."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from ccm_timer import paths as app_paths
from ccm_timer.services.security import keys
from tests.fixtures.cli import fingerprint, run_cli
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.keyring import FolderKeyring

EMPTY = hashlib.sha256(b"").hexdigest()
WORDS = {
    "wrong key": "cannot be read with the key kept in",
    "damaged": "is damaged",
    "truncated": "is truncated",
    "no space": "is full; free space and try again",
}


def _says(result, case: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for other, words in WORDS.items():
        assert (words in lines[0]) == (other == case), (case, other, lines[0])
    return lines[0]


def _every_command_says(home: Path, case: str) -> str:
    before = fingerprint(home)
    said = {_says(run_cli(home, *args), case) for args in (("entry", "list"), ("status",))}
    after = fingerprint(home)
    # SQLite may leave an empty -wal (and its index) where the disk had no room for more.
    assert after.pop("ccm-timer.db-wal", None) in (None, EMPTY)
    after.pop("ccm-timer.db-shm", None)
    assert after == before
    return said.pop()


def test_another_key(home):
    setup_clinic(home)
    record = keys.load_record(app_paths.resolve(str(home)))
    FolderKeyring().set_password(keys.SERVICE, record.keyring_user, os.urandom(32).hex())
    assert "unlock --recovery-key" in _every_command_says(home, "wrong key")


def test_a_damaged_first_page_is_damage_not_another_key(home):
    setup_clinic(home)
    path = home / "ccm-timer.db"
    data = bytearray(path.read_bytes())
    data[1000] ^= 0x01  # page 1 fails its MAC, as with another key; the other pages do not
    path.write_bytes(bytes(data))
    said = _every_command_says(home, "damaged")
    assert "page 1" in said and "ccm-timer restore" in said


@pytest.mark.parametrize("cut", [100, 2 * 4096])
def test_a_truncated_file(home, cut):
    setup_clinic(home)
    path = home / "ccm-timer.db"
    os.truncate(path, path.stat().st_size - cut)
    assert "ccm-timer restore" in _every_command_says(home, "truncated")


def test_no_space(home, small_disk):
    setup_clinic(home)
    data = small_disk.root / "data"
    shutil.copytree(home, data)
    small_disk.leave_free(0)
    assert str(data) in _every_command_says(data, "no space")
