"""The application menu entry and icon: what `ccm-timer install-desktop-entry` writes, read
back by the freedesktop rules; the login entry is the same entry. Quick, always run."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ccm_timer.paths import resource
from ccm_timer.platform import autostart, desktop_entry
from tests.fixtures.desktop_entry import split_exec

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "org.ccmtimer.CCMTimer"


def _read(text: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(text)
    return parser["Desktop Entry"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "share")}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **_env(tmp_path), "CCM_TIMER_HOME": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "ccm_timer", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_entry_is_named_by_the_app_id_the_tray_announces() -> None:
    template = desktop_entry.template_path()
    assert template == ROOT / "resources" / "desktop" / f"{APP_ID}.desktop"  # a resource
    assert template.is_file()
    entry = _read(template.read_text(encoding="utf-8"))
    assert (entry["Type"], entry["Name"], entry["Icon"]) == ("Application", "CCM Timer", APP_ID)
    assert entry["Terminal"] == "false"
    # The window manager matches running windows to the entry by these two names.
    launch = (ROOT / "ccm_timer" / "ui" / "launch.py").read_text(encoding="utf-8")
    assert f'setDesktopFileName("{APP_ID}")' in launch
    assert f'setApplicationName("{entry["StartupWMClass"]}")' in launch
    assert resource("icons", f"{APP_ID}.svg").is_file()


def test_install_writes_entry_and_icon_where_xdg_looks(tmp_path: Path) -> None:
    env = _env(tmp_path)
    data = tmp_path / "my data $HOME"  # a space and a dollar must survive the Exec quoting
    argv = autostart.command(str(data))
    done = desktop_entry.install(argv, env=env)
    assert done.entry == tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert done.icon == tmp_path / "share/icons/hicolor/scalable/apps" / f"{APP_ID}.svg"
    assert done.icon.read_bytes() == resource("icons", f"{APP_ID}.svg").read_bytes()
    entry = _read(done.entry.read_text(encoding="utf-8"))
    assert split_exec(entry["Exec"]) == [sys.executable, "-m", "ccm_timer", "--data-dir",
                                          str(data.resolve())]
    assert entry["TryExec"] == sys.executable
    assert "X-GNOME-Autostart-enabled" not in entry  # a menu entry, not a login item
    assert not list(done.entry.parent.glob("*.tmp"))
    desktop_entry.install(argv, env=env)  # again: replaced, not duplicated
    assert [p.name for p in done.entry.parent.iterdir()] == [f"{APP_ID}.desktop"]
    assert desktop_entry.remove(env=env) == [done.entry, done.icon]
    assert not done.entry.exists() and not done.icon.exists()
    assert desktop_entry.remove(env=env) == []


def test_without_xdg_data_home_the_entry_goes_under_home(tmp_path: Path) -> None:
    for env in ({"HOME": str(tmp_path)}, {"HOME": str(tmp_path), "XDG_DATA_HOME": "rel"}):
        assert desktop_entry.entry_path(env) == (
            tmp_path / ".local/share/applications" / f"{APP_ID}.desktop")


def test_the_login_entry_is_the_menu_entry_marked_for_autostart(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), **_env(tmp_path)}
    autostart.enable(str(tmp_path / "data"), platform="linux", env=env)
    login = autostart.linux_entry_path(env).read_text(encoding="utf-8")
    menu = desktop_entry.install(autostart.command(str(tmp_path / "data")), env=env)
    menu_lines = menu.entry.read_text(encoding="utf-8").splitlines()
    after = next(n for n, line in enumerate(menu_lines) if line.startswith("TryExec=")) + 1
    assert login.splitlines() == [*menu_lines[:after], "X-GNOME-Autostart-enabled=true",
                                  *menu_lines[after:]]
    assert _read(login)["Icon"] == APP_ID


def test_the_command_needs_no_database_and_undoes_itself(tmp_path: Path) -> None:
    done = _cli(tmp_path, "install-desktop-entry", "--json")
    assert done.returncode == 0, done.stderr
    paths = json.loads(done.stdout)
    entry = Path(paths["entry"])
    assert entry == tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert Path(paths["icon"]).is_file()
    assert split_exec(_read(entry.read_text(encoding="utf-8"))["Exec"]) == [
        sys.executable, "-m", "ccm_timer"]
    assert not (tmp_path / "data").exists()  # no database opened or made for this
    removed = _cli(tmp_path, "install-desktop-entry", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert "Removed" in removed.stdout and not entry.exists()
    again = _cli(tmp_path, "install-desktop-entry", "--remove")
    assert again.returncode == 0 and "no CCM Timer menu entry" in again.stdout


def test_an_unwritable_folder_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "share").write_text("a file where the folder should be")
    done = _cli(tmp_path, "install-desktop-entry")
    assert done.returncode == 1
    assert done.stderr.startswith("ccm-timer: Cannot write ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate (desktop-file-utils) is not installed")
def test_desktop_file_validate_accepts_the_installed_entry(tmp_path: Path) -> None:
    done = desktop_entry.install(autostart.command(str(tmp_path / "a b")), env=_env(tmp_path))
    for path in (desktop_entry.template_path(), done.entry):
        checked = subprocess.run(["desktop-file-validate", str(path)], capture_output=True,
                                 text=True, timeout=30)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli is not installed")
def test_appstream_metainfo_is_valid_and_names_the_entry() -> None:
    path = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"
    checked = subprocess.run(["appstreamcli", "validate", "--no-net", str(path)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = path.read_text(encoding="utf-8")
    assert f"<id>{APP_ID}</id>" in text and f">{APP_ID}.desktop</launchable>" in text
