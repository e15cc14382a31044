"""The macOS code paths, run here on Linux with the platform faked where that is honest:
the login item (a LaunchAgent), where the data lives, and the single-instance socket.
The .app itself (LSUIElement, its icon) is checked in tests/packaging/test_spec.py.

Each test says what only a real macOS run proves. The build workflow
(.github/workflows/build.yml) runs the .app on macos-latest: the smoke test through
Contents/MacOS/ccm-timer, Info.plist and the .icns read back by plutil and iconutil, the
code signature verified, the tray started.
"""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from ccm_timer import paths
from ccm_timer.platform import autostart
from ccm_timer.ui.single_instance import server_name

APP = "/Applications/CCM Timer.app/Contents/MacOS/ccm-timer"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def _agent(home: Path) -> dict:
    path = home / "Library" / "LaunchAgents" / "org.ccmtimer.CCMTimer.plist"
    return plistlib.loads(path.read_bytes())


def test_the_login_item_starts_the_app_in_the_desktop_session(home, monkeypatch) -> None:
    """A LaunchAgent in ~/Library/LaunchAgents, read back as launchd reads it (a plist).
    Only macOS proves that launchd loads it at the next login and starts the app there,
    and that Login Items shows it as CCM Timer (AssociatedBundleIdentifiers, macOS 13+)."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", APP)
    assert not autostart.is_enabled(platform="darwin")
    autostart.enable(None, platform="darwin")
    agent = _agent(home)
    assert agent == {
        "Label": "org.ccmtimer.CCMTimer",
        "ProgramArguments": [APP],  # the .app's program, not a Python
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",  # the desktop login, not an SSH session
        "AssociatedBundleIdentifiers": ["org.ccmtimer.CCMTimer"],
    }
    assert autostart.is_enabled(platform="darwin")
    autostart.disable(platform="darwin")
    assert not autostart.is_enabled(platform="darwin")
    autostart.disable(platform="darwin")  # twice is fine


def test_the_login_item_keeps_a_data_folder_as_one_argument(home, monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", APP)
    data = home / "Clinic Data"
    autostart.enable(str(data), platform="darwin")
    assert _agent(home)["ProgramArguments"] == [APP, "--data-dir", str(data.resolve())]


def test_the_data_folder_is_application_support(home, monkeypatch) -> None:
    """platformdirs' own macOS rules, with HOME faked. Only macOS proves the folder is
    writable there and not synced away (iCloud syncs Documents and Desktop, not this)."""
    import platformdirs
    import platformdirs.macos

    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.macos.MacOS)
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    found = paths.resolve()
    assert found.data == home / "Library" / "Application Support" / "ccm-timer"
    assert found.settings_dir == home / "Library" / "Application Support" / "ccm-timer"
    assert found.logs == home / "Library" / "Logs" / "ccm-timer"


def test_the_hand_over_socket_fits_in_a_unix_socket_address() -> None:
    """QLocalServer makes a Unix socket in the temporary folder, whose path must fit
    sockaddr_un's 104 bytes on macOS. A user's $TMPDIR there looks like the one below.
    Only macOS proves that a second launch finds the running app through it."""
    tmpdir = "/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/"
    name = server_name(Path("/Users/test user/Library/Application Support/ccm-timer"),
                       platform="darwin")
    assert len((tmpdir + name).encode()) < 104
