"""Start at login. The Linux entry is what runs here; the macOS LaunchAgent is plain file
writing and is checked too; the Windows Run key can only be tested on Windows."""

from __future__ import annotations

import configparser
import plistlib
import sys
from pathlib import Path

from ccm_timer.platform import autostart
from tests.fixtures.desktop_entry import split_exec


def test_linux_entry_is_written_read_back_and_removed(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    data = tmp_path / "my data $HOME"  # a space and a dollar must survive quoting
    assert not autostart.is_enabled(platform="linux", env=env)
    autostart.enable(str(data), platform="linux", env=env)
    path = tmp_path / "config" / "autostart" / "org.ccmtimer.CCMTimer.desktop"
    assert autostart.is_enabled(platform="linux", env=env) and path.exists()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "CCM Timer"
    argv = split_exec(entry["Exec"])
    assert argv == [sys.executable, "-m", "ccm_timer", "--data-dir", str(data.resolve())]
    autostart.disable(platform="linux", env=env)
    assert not path.exists() and not autostart.is_enabled(platform="linux", env=env)
    autostart.disable(platform="linux", env=env)  # twice is fine


def test_linux_entry_defaults_to_home_config(tmp_path: Path) -> None:
    assert autostart.linux_entry_path({"HOME": str(tmp_path)}) == (
        tmp_path / ".config" / "autostart" / "org.ccmtimer.CCMTimer.desktop")


def test_exec_quoting_of_reserved_characters() -> None:
    assert autostart._exec_arg("plain") == "plain"
    assert autostart._exec_arg("50%") == "50%%"
    assert autostart._exec_arg('a "b"') == '"a \\\\"b\\\\""'


def test_without_a_data_dir_the_entry_starts_the_default_folder() -> None:
    assert "--data-dir" not in autostart.command(None)


def test_mac_launch_agent(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    autostart.enable(None, platform="darwin")
    plist = plistlib.loads(autostart.mac_agent_path().read_bytes())
    assert plist["Label"] == "org.ccmtimer.CCMTimer" and plist["RunAtLoad"] is True
    assert plist["ProgramArguments"][1:] == ["-m", "ccm_timer"]
    assert autostart.is_enabled(platform="darwin")
    autostart.disable(platform="darwin")
    assert not autostart.is_enabled(platform="darwin")
