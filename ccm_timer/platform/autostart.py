"""Start at login: a desktop autostart entry on Linux, the HKCU Run key on Windows, a
LaunchAgent on macOS. Each names the app with the same reverse-DNS id.

What starts is always the tray program: on Windows the windowed `ccm-timer.exe` of the
bundle (never `ccm-timer-cli.exe`, which would open a console window at every sign-in) or
`pythonw.exe` for an install into a Python environment. The Windows installer
(packaging/windows/ccm-timer.iss) writes and removes the same Run value, so the tray's
setting and the installer's task are one switch.
"""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PureWindowsPath

from ccm_timer import fsio
from ccm_timer.platform import desktop_entry as _menu_entry
from ccm_timer.platform.desktop_entry import exec_arg as _exec_arg  # noqa: F401 (tests)

APP_ID = _menu_entry.APP_ID
RUN_VALUE = "CCMTimer"
_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
TRAY_PROGRAM, CLI_PROGRAM = "ccm-timer", "ccm-timer-cli"  # the Windows bundle's two .exe


def command(data_dir: str | os.PathLike[str] | None = None, *,
            platform: str = sys.platform) -> list[str]:
    """What starts the tray: the bundle's executable when frozen, else this Python."""
    if getattr(sys, "frozen", False):
        argv = [_tray_program(sys.executable, platform)]
    else:
        argv = [_windowless_python(sys.executable, platform), "-m", "ccm_timer"]
    if data_dir:
        argv += ["--data-dir", str(Path(data_dir).expanduser().resolve())]
    return argv


def _tray_program(executable: str, platform: str) -> str:
    """The bundle's tray program. On Windows the bundle has two (packaging/ccm-timer.spec):
    start at login switched on from the command line must still name the windowed one."""
    if platform == "win32":
        path = PureWindowsPath(executable)
        if path.name.lower() == f"{CLI_PROGRAM}.exe":
            return str(path.with_name(f"{TRAY_PROGRAM}.exe"))
    return executable


def _windowless_python(executable: str, platform: str,
                       exists: Callable[[str], bool] = os.path.exists) -> str:
    """On Windows, pythonw.exe beside python.exe: the same interpreter without a console."""
    if platform == "win32":
        path = PureWindowsPath(executable)
        if path.name.lower() == "python.exe":
            quiet = path.with_name("pythonw.exe")
            if exists(str(quiet)):
                return str(quiet)
    return executable


def desktop_entry(argv: Sequence[str]) -> str:
    """The application menu's entry (platform/desktop_entry.py), marked for autostart."""
    return _menu_entry.render(argv, autostart=True)


def linux_entry_path(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def mac_agent_path(home: Path | None = None) -> Path:
    return (home or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"




def _winreg():  # the registry module; tests stand in for it (tests/platform/test_windows.py)
    import winreg

    return winreg


def run_value(argv: Sequence[str]) -> str:
    """The Run value: one command line, quoted as Windows' CreateProcess splits it."""
    import subprocess

    return subprocess.list2cmdline(list(argv))


def mac_agent(argv: Sequence[str]) -> dict[str, object]:
    """The LaunchAgent: launchd starts `argv` when the user logs in to the desktop (Aqua),
    not for an SSH session; macOS 13+ lists it under the app's name in Login Items."""
    return {
        "Label": APP_ID,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
        "AssociatedBundleIdentifiers": [APP_ID],
    }


def enable(data_dir: str | None = None, *, platform: str = sys.platform,
           env: Mapping[str, str] = os.environ) -> None:
    argv = command(data_dir, platform=platform)
    if platform == "win32":
        reg = _winreg()
        # CreateKeyEx opens the key, or makes it in a profile that never had one.
        with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, _RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
            reg.SetValueEx(key, RUN_VALUE, 0, reg.REG_SZ, run_value(argv))
    elif platform == "darwin":
        fsio.write_atomic(mac_agent_path(), plistlib.dumps(mac_agent(argv)))
    else:
        fsio.write_atomic(linux_entry_path(env), desktop_entry(argv).encode("utf-8"))


def disable(*, platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> None:
    if platform == "win32":
        reg = _winreg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, _RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:  # no Run key, or no value: off already
            pass
    else:
        path = mac_agent_path() if platform == "darwin" else linux_entry_path(env)
        path.unlink(missing_ok=True)


def is_enabled(*, platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> bool:
    if platform == "win32":
        reg = _winreg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, _RUN_KEY) as key:
                reg.QueryValueEx(key, RUN_VALUE)
            return True
        except FileNotFoundError:
            return False
    path = mac_agent_path() if platform == "darwin" else linux_entry_path(env)
    return path.exists()
