"""Is the app that was watching a timer still alive? Decided from its heartbeat row.

Free of SQLAlchemy so the fast status path shares it with crash recovery.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

HEARTBEAT_SECONDS = 30
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        import ctypes

        kernel = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:  # access denied: another user's process, alive
            return ctypes.get_last_error() == 5  # type: ignore[attr-defined]
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def why_gone(
    *, pid: int, beat_boot: str, last_seen: datetime, same_workstation: bool, now: datetime
) -> str | None:
    """Why the watching app is gone, in words for the user; None while it is alive."""
    if pid == 0:
        return "the app was closed while the timer ran"
    current_boot = boot_id()
    if beat_boot and current_boot and beat_boot != current_boot:
        return "the computer restarted"
    if same_workstation and not pid_alive(pid):
        return "the app stopped unexpectedly"
    if now - last_seen > STALE_AFTER:
        return "the app stopped answering"
    return None


def orphaned(
    *, created_at: datetime, recovered_at: datetime | None, last_seen: datetime | None,
    pid: int, beat_boot: str, same_workstation: bool, now: datetime,
) -> str | None:
    """Why a live entry needs a recovery decision, or None.

    Only a timer some app watched can be orphaned: one started from the command line with
    no app running has no watcher, and the person who started it will stop it.
    """
    if last_seen is None or last_seen < created_at:
        return None
    if recovered_at is not None and last_seen <= recovered_at:
        return None  # already decided, and no app has watched it since
    return why_gone(pid=pid, beat_boot=beat_boot, last_seen=last_seen,
                    same_workstation=same_workstation, now=now)


def orphan_warning(last_seen: datetime) -> str:
    return (
        "This timer was left running when the app stopped being seen at "
        f"{last_seen.isoformat(timespec='seconds')}; choose what to keep with "
        "`ccm-timer recover`."
    )
