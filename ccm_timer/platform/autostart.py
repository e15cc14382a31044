"""Start at login: a desktop autostart entry on Linux, the HKCU Run key on Windows, a
LaunchAgent on macOS. Each names the app with the same reverse-DNS id."""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ccm_timer import fsio
from ccm_timer.platform import desktop_entry as _menu_entry
from ccm_timer.platform.desktop_entry import exec_arg as _exec_arg  # noqa: F401 (tests)

APP_ID = _menu_entry.APP_ID
RUN_VALUE = "CCMTimer"
_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def command(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """What starts the tray: the bundle's executable when frozen, else this Python."""
    if getattr(sys, "frozen", False):
        argv = [sys.executable]
    else:
        argv = [sys.executable, "-m", "ccm_timer"]
    if data_dir:
        argv += ["--data-dir", str(Path(data_dir).expanduser().resolve())]
    return argv


def desktop_entry(argv: Sequence[str]) -> str:
    """The application menu's entry (platform/desktop_entry.py), marked for autostart."""
    return _menu_entry.render(argv, autostart=True)


def linux_entry_path(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def mac_agent_path(home: Path | None = None) -> Path:
    return (home or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"




def enable(data_dir: str | None = None, *, platform: str = sys.platform,
           env: Mapping[str, str] = os.environ) -> None:
    argv = command(data_dir)
    if platform == "win32":  # pragma: no cover - only runs on Windows
        import subprocess
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, subprocess.list2cmdline(argv))
    elif platform == "darwin":
        plist = {"Label": APP_ID, "ProgramArguments": argv, "RunAtLoad": True}
        fsio.write_atomic(mac_agent_path(), plistlib.dumps(plist))
    else:
        fsio.write_atomic(linux_entry_path(env), desktop_entry(argv).encode("utf-8"))


def disable(*, platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> None:
    if platform == "win32":  # pragma: no cover - only runs on Windows
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            try:
                winreg.DeleteValue(key, RUN_VALUE)
            except FileNotFoundError:
                pass
    else:
        path = mac_agent_path() if platform == "darwin" else linux_entry_path(env)
        path.unlink(missing_ok=True)


def is_enabled(*, platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> bool:
    if platform == "win32":  # pragma: no cover - only runs on Windows
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY) as key:
                winreg.QueryValueEx(key, RUN_VALUE)
            return True
        except FileNotFoundError:
            return False
    path = mac_agent_path() if platform == "darwin" else linux_entry_path(env)
    return path.exists()
