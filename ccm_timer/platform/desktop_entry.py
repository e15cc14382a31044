"""The menu entry and icon on Linux desktops (freedesktop Desktop Entry and Icon Theme specs).

One template, `resources/desktop/org.ccmtimer.CCMTimer.desktop`, is the entry for the
application menu and, with the autostart key added, for start at login (platform/autostart.py),
so the two never disagree on the name, icon or id. Only the Exec line is filled in here: the
bundle's executable when frozen, this Python otherwise.

The file name is the reverse-DNS application id, which is also what the tray sets as its
desktop file name, so a desktop can match the running window to the entry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ccm_timer import fsio
from ccm_timer.errors import UserError
from ccm_timer.paths import resource

APP_ID = "org.ccmtimer.CCMTimer"
ENTRY_FILE = f"{APP_ID}.desktop"
ICON_FILE = f"{APP_ID}.svg"
AUTOSTART_KEY = "X-GNOME-Autostart-enabled=true"
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


@dataclass(frozen=True)
class Installed:
    entry: Path
    icon: Path


def template_path() -> Path:
    """The template, a resource like the icon (ccm_timer.paths: a checkout, an installed
    wheel or the PyInstaller bundle)."""
    return resource("desktop", ENTRY_FILE)


def exec_arg(arg: str) -> str:
    """Quote one argument by the Desktop Entry spec's Exec rules."""
    arg = arg.replace("%", "%%")
    if not arg or any(c in _RESERVED for c in arg):
        for c in '\\"`$':
            arg = arg.replace(c, "\\" + c)
        arg = f'"{arg}"'
    # The Exec value is itself a string value, whose escapes are applied first.
    return arg.replace("\\", "\\\\")


def render(argv: Sequence[str], *, autostart: bool = False, template: str | None = None) -> str:
    """The entry with Exec set to `argv`; TryExec hides it once the program is gone (a bundle
    folder deleted or moved), rather than leaving a menu item that does nothing."""
    if template is None:
        try:
            template = template_path().read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"The desktop entry template {template_path()} is missing "
                            f"({exc.strerror}); reinstall CCM Timer.") from None
    extra = [f"TryExec={argv[0].replace(chr(92), chr(92) * 2)}"]
    if autostart:
        extra.append(AUTOSTART_KEY)
    lines: list[str] = []
    for line in template.splitlines():
        if line.startswith(("TryExec=", "X-GNOME-Autostart-enabled=")):
            continue
        if line.startswith("Exec="):
            lines.append("Exec=" + " ".join(exec_arg(a) for a in argv))
            lines.extend(extra)  # the first Exec is in [Desktop Entry], where these belong
            extra = []
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    """$XDG_DATA_HOME, or ~/.local/share; a relative value is invalid by the spec."""
    value = env.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path(env.get("HOME", "~")).expanduser() / ".local" / "share"


def entry_path(env: Mapping[str, str] = os.environ) -> Path:
    return data_home(env) / "applications" / ENTRY_FILE


def icon_path(env: Mapping[str, str] = os.environ) -> Path:
    return data_home(env) / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE


def install(argv: Sequence[str], *, env: Mapping[str, str] = os.environ) -> Installed:
    """Write the menu entry that runs `argv` and the icon it names; again replaces both."""
    entry, icon = entry_path(env), icon_path(env)
    source = resource("icons", ICON_FILE)
    try:
        svg = source.read_bytes()
    except OSError as exc:
        raise UserError(f"The app icon {source} is missing ({exc.strerror}); reinstall "
                        "CCM Timer.") from None
    text = render(argv)
    try:
        # fsio: a menu scanner watching the folder never reads half a file
        fsio.write_atomic(icon, svg)  # the icon first: an entry must not name a missing icon
        fsio.write_atomic(entry, text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"Cannot write {exc.filename or entry.parent} ({exc.strerror}); "
                        "check that folder's permissions and try again.") from None
    _refresh_icon_cache(icon)
    return Installed(entry, icon)


def remove(*, env: Mapping[str, str] = os.environ) -> list[Path]:
    """Remove the menu entry and the icon; returns what was there. Twice is fine."""
    removed = []
    for path in (entry_path(env), icon_path(env)):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise UserError(f"Cannot remove {path} ({exc.strerror}); check that folder's "
                            "permissions and try again.") from None
        removed.append(path)
    if removed:
        _refresh_icon_cache(icon_path(env))
    return removed


def _refresh_icon_cache(icon: Path) -> None:
    """GTK trusts a theme's icon-theme.cache while it is newer than the theme folder, so a
    cache left by another program would hide our icon: touch the folder, rebuild the cache
    if there is one. Best effort; with no cache the folder is read directly."""
    theme = icon.parents[2]  # .../icons/hicolor
    try:
        os.utime(theme)
    except OSError:
        return
    tool = shutil.which("gtk-update-icon-cache")
    if tool and (theme / "icon-theme.cache").exists():
        subprocess.run([tool, "--quiet", "--ignore-theme-index", str(theme)],
                       capture_output=True, timeout=30, check=False)
