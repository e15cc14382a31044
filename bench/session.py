"""A desktop-like session for the benchmarks: the database key in a real Secret Service.

Every CCM Timer database is encrypted and its key lives in the OS keyring, so a command pays
for one keyring read over D-Bus, as it does on a clinic's desktop. The benchmarks start a
private D-Bus session bus and an unlocked gnome-keyring for it, and stop both after. Where
gnome-keyring is missing they fall back to CCM_TIMER_PASSPHRASE, which costs an scrypt
derivation (128 MiB, a few hundred ms) per process, and say so in what they print.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.xdesktop import stop_process as _stop

FALLBACK_PASSPHRASE = "bench-passphrase-not-secret"
# What the test suite puts in the environment must not reach a measured process.
_NOT_INHERITED = ("CCM_TIMER_KEYRING_BACKEND", "CCM_TEST_KEYRING_DIR", "CCM_TIMER_PASSPHRASE")


@contextmanager
def keyring_session() -> Iterator[str]:
    """Set os.environ up for the session and yield how the key is kept (for the report)."""
    saved = dict(os.environ)
    for name in _NOT_INHERITED:
        os.environ.pop(name, None)
    procs: list[subprocess.Popen] = []
    folder = Path(tempfile.mkdtemp(prefix="ccm-bench-session-"))
    try:
        if not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
            os.environ["CCM_TIMER_PASSPHRASE"] = FALLBACK_PASSPHRASE
            yield "passphrase (scrypt per process; gnome-keyring not installed)"
            return
        run = folder / "run"
        run.mkdir(mode=0o700)
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(bus)
        address = bus.stdout.readline().strip()
        os.environ.update(DBUS_SESSION_BUS_ADDRESS=address, XDG_RUNTIME_DIR=str(run),
                          XDG_DATA_HOME=str(folder / "share"))
        # --foreground keeps the daemon our child, so it is stopped by its own id below.
        keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(keyring)
        keyring.stdin.write(b"bench-login-password")
        keyring.stdin.close()
        _wait_for_secrets(address)
        yield "OS keyring (gnome-keyring Secret Service over D-Bus)"
    finally:
        for proc in reversed(procs):
            _stop(proc)
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_secrets(address: str, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        named = subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
             "string:org.freedesktop.secrets"], capture_output=True, text=True, timeout=5)
        if "boolean true" in named.stdout:
            return
        time.sleep(0.1)
    raise RuntimeError("gnome-keyring did not come up on the bench's D-Bus session")
