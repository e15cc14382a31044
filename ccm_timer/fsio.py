"""The one way the app writes a file: a reader never sees half of it.

Write under a temporary name in the same folder, fsync it, rename it into place, and fsync
the folder so the rename itself survives a power cut. Settings, key records, exports, menu
entries and bundles all come through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PARTIAL_PREFIX = ".ccm-"
PARTIAL_SUFFIX = ".partial"


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no directory handles to sync,
    and NTFS journals the rename)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def owner_only(*paths: Path) -> None:
    """Read and write for the owner alone (0600), whatever the umask was when a library
    created the file: the database and its -wal and -shm, logs, backups. Missing files are
    skipped. POSIX only: on Windows the data folder's ACL (paths.AppPaths.ensure) covers
    every file created inside it."""
    if os.name != "posix":
        return
    for path in paths:
        with contextlib.suppress(OSError):  # gone, or another user's: nothing to tighten
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)


def create_owner_only(path: Path) -> bool:
    """Create an empty file that is 0600 from its first byte (SQLite and logging would
    create it 0644 under the usual umask); False when it already exists."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True


class PendingFile:
    """A file written and synced under a temporary name; `commit` renames it into place,
    `discard` removes it. Nothing appears at the final path until `commit`."""

    def __init__(self, target: Path, data: bytes, mode: int | None = None) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX,
                                   dir=target.parent)
        self.tmp = Path(tmp)
        try:
            if mode is not None:
                os.chmod(self.tmp, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            self.discard()
            raise

    def commit(self) -> Path:
        try:
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise
        sync_folder(self.target.parent)
        return self.target

    def link_if_absent(self) -> bool:
        """Put the file in place only if nothing is there yet (two first starts at once
        must not both win); False when another process was first. Always cleans up."""
        try:
            os.link(self.tmp, self.target)
        except FileExistsError:
            return False
        finally:
            self.discard()
        sync_folder(self.target.parent)
        return True

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def write_atomic(target: Path, data: bytes, mode: int | None = None) -> Path:
    """Replace `target` with `data` in one step; `mode` sets the permissions from the first
    byte (0o600 for anything holding patient data or key material)."""
    return PendingFile(target, data, mode).commit()
