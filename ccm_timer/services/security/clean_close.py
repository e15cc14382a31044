"""The clean-close marker: the database files as a session that passed its integrity check
left them, and when the last full check ran. Standard library only, so the command line's
plain paths (services/timing/quick_open.py) read the very rule the full open reads
(services/security/integrity.py re-exports it).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

CHECKED = "ccm-timer.checked"  # the file set as a clean session left it, and the last check
# A file's size and mtime are no proof that its bytes are unchanged (a flipped bit keeps
# both), so the command line may skip the full check for a day at most after the last one.
CHECK_EVERY = timedelta(days=1)


def _fingerprint(database: Path) -> str:
    parts = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            info = path.stat()
            parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
        except FileNotFoundError:
            parts.append(f"{path.name}:-")
    return " ".join(parts)


def _marker(database: Path) -> Path:
    return database.parent / CHECKED


def unchanged_since_clean_close(database: Path) -> bool:
    """True when the database files are exactly as a session that passed its check left
    them: nothing (no crash, no other program, no flipped byte) has touched them since."""
    marker = _marker(database)
    try:
        return marker.read_text(encoding="utf-8").partition("\n")[0] == _fingerprint(database)
    except OSError:
        return False


def trusted_check(database: Path, now: datetime) -> datetime | None:
    """When the last full check ran, if it still vouches for the files: they are exactly
    as a session after it left them, and it ran less than CHECK_EVERY ago by this clock (a
    check dated in the future vouches for nothing). None means: check now."""
    try:
        fingerprint, _, stamp = _marker(database).read_text(encoding="utf-8").partition("\n")
        at = datetime.fromisoformat(stamp.removeprefix("checked ").strip())
    except (OSError, ValueError):
        return None
    if fingerprint != _fingerprint(database) or at.tzinfo is None:
        return None
    return at if timedelta(0) <= now - at < CHECK_EVERY else None


def remember_clean_close(database: Path, checked_at: datetime | None) -> None:
    """At a clean close: the files as they are now, and when they were last fully checked
    (not now: a session that skipped the check carries the old time forward)."""
    if checked_at is None:
        return
    marker = _marker(database)
    try:
        flags = os.O_CREAT | os.O_TRUNC | os.O_WRONLY | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(marker, flags, 0o600), "wb") as handle:
            handle.write(f"{_fingerprint(database)}\nchecked {checked_at.isoformat()}".encode())
    except OSError:
        pass  # then the next open simply checks again


def forget_clean_close(database: Path) -> None:
    marker = _marker(database)  # the marker beside it, never the database itself
    marker.unlink(missing_ok=True)
