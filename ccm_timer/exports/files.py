"""Export files on disk: names without patient identifiers, written so a reader never sees
half a file (temporary file, fsync, rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

EXTENSIONS = {"csv": "csv", "json": "json", "fhir": "fhir.json", "ehr-text": "txt",
              "pdf": "pdf"}


def export_filename(month: str, fmt: str, export_id: str, draft: bool = False) -> str:
    """ccm-2026-11-<first 8 of the export id>.csv: no MRN, no name (reliability R6.4)."""
    kind = "-draft" if draft else ""
    return f"ccm-{month}{kind}-{export_id.replace('-', '')[:8]}.{EXTENSIONS[fmt]}"


def filename_hint(month: str, fmt: str, draft: bool = False) -> str:
    return f"ccm-{month}{'-draft' if draft else ''}.{EXTENSIONS[fmt]}"


class PendingFile:
    """A file written and synced under a temporary name; `commit` renames it into place,
    `discard` removes it. Nothing appears at the final path until `commit`."""

    def __init__(self, target: Path, data: bytes) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ccm-", suffix=".partial", dir=target.parent)
        self.tmp = Path(tmp)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            self.discard()
            raise

    def commit(self) -> Path:
        os.replace(self.tmp, self.target)
        _sync_folder(self.target.parent)
        return self.target

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(target: Path, data: bytes) -> Path:
    return PendingFile(target, data).commit()
