"""The Windows code paths, run here on Linux with the platform faked where that is honest:
start at login (the HKCU Run value), where the data lives, the single-instance pipe name,
and which keyring keeps the database key.

Each test says what only a real Windows run proves. The build workflow
(.github/workflows/build.yml) runs the bundle on windows-latest: the smoke test through
ccm-timer-cli.exe, the windowed tray starting, the installer writing the Run value and the
uninstaller removing it and leaving the data folder.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path, PureWindowsPath

import pytest

from ccm_timer import paths
from ccm_timer.platform import autostart
from ccm_timer.ui.single_instance import server_name

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
INSTALLED = r"C:\Users\Test User\AppData\Local\Programs\CCM Timer"
ISS = Path(__file__).resolve().parents[2] / "packaging" / "windows" / "ccm-timer.iss"


class FakeRegistry:
    """The part of `winreg` autostart.py uses, with the registry's rules that matter here:
    key and value names are case-insensitive, a missing key or value raises
    FileNotFoundError, and writing needs a key opened for writing (else PermissionError,
    as Windows answers "Access is denied")."""

    HKEY_CURRENT_USER = 0x80000001
    KEY_READ, KEY_SET_VALUE = 0x20019, 0x0002
    REG_SZ = 1

    class Key:
        def __init__(self, values: dict, access: int) -> None:
            self.values, self.access = values, access

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

    def __init__(self, *keys: str) -> None:
        self.keys: dict[str, dict[str, tuple[str, str, int]]] = {k.lower(): {} for k in keys}

    def _key(self, root: int, sub: str, access: int, create: bool) -> Key:
        assert root == self.HKEY_CURRENT_USER  # never the machine-wide HKLM
        if create:
            self.keys.setdefault(sub.lower(), {})
        try:
            return self.Key(self.keys[sub.lower()], access)
        except KeyError:
            raise FileNotFoundError(2, "The system cannot find the file specified") from None

    def OpenKey(self, root, sub, reserved=0, access=KEY_READ):  # noqa: N802 - winreg's names
        return self._key(root, sub, access, create=False)

    def CreateKeyEx(self, root, sub, reserved=0, access=0x20006):  # noqa: N802
        return self._key(root, sub, access, create=True)

    def SetValueEx(self, key, name, reserved, kind, value):  # noqa: N802
        if not key.access & self.KEY_SET_VALUE:
            raise PermissionError(13, "Access is denied")
        assert kind == self.REG_SZ and isinstance(value, str)
        key.values[name.lower()] = (name, value, kind)

    def QueryValueEx(self, key, name):  # noqa: N802
        try:
            _, value, kind = key.values[name.lower()]
        except KeyError:
            raise FileNotFoundError(2, "The system cannot find the file specified") from None
        return value, kind

    def DeleteValue(self, key, name):  # noqa: N802
        if not key.access & self.KEY_SET_VALUE:
            raise PermissionError(13, "Access is denied")
        try:
            del key.values[name.lower()]
        except KeyError:
            raise FileNotFoundError(2, "The system cannot find the file specified") from None

    def value(self, name: str = autostart.RUN_VALUE) -> str | None:
        found = self.keys.get(RUN_KEY.lower(), {}).get(name.lower())
        return found[1] if found else None


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    fake = FakeRegistry(RUN_KEY)
    monkeypatch.setattr(autostart, "_winreg", lambda: fake)
    return fake


def _frozen(monkeypatch: pytest.MonkeyPatch, program: str) -> None:
    """As in the installed bundle: sys.executable is the .exe that was started."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", rf"{INSTALLED}\{program}")


# ---- start at login ------------------------------------------------------------------------
# Only Windows proves that winreg writes HKCU\...\Run and that Explorer starts the value's
# command at the next sign-in (the build workflow reads the value the installer wrote).

@pytest.mark.parametrize("started_as", ["ccm-timer.exe", "ccm-timer-cli.exe"])
def test_the_run_value_starts_the_windowed_tray(registry, monkeypatch, started_as) -> None:
    """Switched on from the tray or from the command line, the value names ccm-timer.exe:
    ccm-timer-cli.exe would open a console window at every sign-in."""
    _frozen(monkeypatch, started_as)
    assert not autostart.is_enabled(platform="win32")
    autostart.enable(None, platform="win32")
    assert registry.value() == rf'"{INSTALLED}\ccm-timer.exe"'
    assert autostart.is_enabled(platform="win32")
    autostart.disable(platform="win32")
    assert registry.value() is None and not autostart.is_enabled(platform="win32")
    autostart.disable(platform="win32")  # twice is fine


def test_the_run_value_keeps_a_data_folder_with_spaces_in_one_argument(
        registry, monkeypatch, tmp_path: Path) -> None:
    _frozen(monkeypatch, "ccm-timer.exe")
    data = tmp_path / "clinic data"
    autostart.enable(str(data), platform="win32")
    assert registry.value() == rf'"{INSTALLED}\ccm-timer.exe" --data-dir "{data.resolve()}"'


def test_a_profile_without_a_run_key_gets_one(monkeypatch) -> None:
    fake = FakeRegistry()  # no Run key at all: reading says off, writing makes it
    monkeypatch.setattr(autostart, "_winreg", lambda: fake)
    _frozen(monkeypatch, "ccm-timer.exe")
    assert not autostart.is_enabled(platform="win32")
    autostart.disable(platform="win32")
    autostart.enable(None, platform="win32")
    assert fake.value() == rf'"{INSTALLED}\ccm-timer.exe"'


def test_an_install_into_python_starts_pythonw() -> None:
    """pip or pipx on Windows: python.exe would open a console at sign-in, pythonw.exe does
    not. Only Windows proves the Run value starts pythonw.exe -m ccm_timer without one."""
    python = r"C:\Users\Test User\pipx\venvs\ccm-timer\Scripts\python.exe"
    quiet = python[:-len("python.exe")] + "pythonw.exe"
    assert autostart._windowless_python(python, "win32", exists={quiet}.__contains__) == quiet
    assert autostart._windowless_python(python, "win32", exists=lambda p: False) == python
    assert autostart._windowless_python("/usr/bin/python3", "linux") == "/usr/bin/python3"


def test_the_installer_and_the_tray_share_one_run_value() -> None:
    """packaging/windows/ccm-timer.iss writes the same key, value name and command line, so
    the installer's task and the tray's setting switch the same thing."""
    script = ISS.read_text(encoding="utf-8")
    defines = dict(re.findall(r'^#define (\w+) "([^"]*)"', script, flags=re.MULTILINE))
    assert defines["RunKey"] == autostart._RUN_KEY == RUN_KEY
    assert defines["RunValue"] == autostart.RUN_VALUE
    (data,) = re.findall(r'ValueName: "\{#RunValue\}"; ValueData: """(.+?)"""', script)
    installed = data.replace("{app}", INSTALLED).replace("{#AppExe}", defines["AppExe"])
    assert f'"{installed}"' == autostart.run_value([rf"{INSTALLED}\ccm-timer.exe"])


# ---- where the data lives --------------------------------------------------------------

def test_the_data_folder_is_local_appdata_never_roaming(monkeypatch) -> None:
    """platformdirs' own Windows rules, with the known-folder lookup answered as Windows
    would. Only Windows proves which folder SHGetKnownFolderPath returns, and that SQLite's
    WAL works there (R1.6: never a synced or redirected roaming profile)."""
    import platformdirs
    import platformdirs.windows

    folders = {"CSIDL_LOCAL_APPDATA": r"C:\Users\Test User\AppData\Local",
               "CSIDL_APPDATA": r"C:\Users\Test User\AppData\Roaming"}
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", folders.__getitem__)
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    monkeypatch.delenv(paths.ENV_HOME, raising=False)
    found = paths.resolve()
    local = PureWindowsPath(r"C:\Users\Test User\AppData\Local\CCMTimer\ccm-timer")
    assert PureWindowsPath(str(found.data)) == local
    assert PureWindowsPath(str(found.settings_dir)) == local
    assert PureWindowsPath(str(found.logs)) == local / "Logs"
    assert PureWindowsPath(str(found.backups)) == local / "backups"
    assert "Roaming" not in str(found.data)


# ---- one tray per data folder ----------------------------------------------------------

def test_the_pipe_name_is_one_per_folder_however_it_is_spelled(tmp_path: Path) -> None:
    """QLocalServer listens on \\\\.\\pipe\\NAME on Windows. Windows paths are case-
    insensitive, so two spellings of one data folder must give one pipe, or the second
    launch would not find the running tray. Only Windows proves that QLocalServer makes the
    pipe under that name, for this user only (UserAccessOption), and that the second launch
    hands over through it."""
    name = server_name(tmp_path / "Clinic", platform="win32")
    assert name == server_name(tmp_path / "clinic", platform="win32")
    assert re.fullmatch(r"ccm-timer-[0-9a-f]{16}", name)  # a valid pipe name: no slashes
    assert name != server_name(tmp_path / "other", platform="win32")
    assert server_name(tmp_path / "Clinic", platform="linux") != server_name(
        tmp_path / "clinic", platform="linux")  # case-sensitive file systems keep both


# ---- the keyring that keeps the database key -------------------------------------------

class _CredentialManager:
    """win32ctypes' win32cred and pywintypes as keyring's Windows backend calls them, over a
    dict: CredWrite stores the blob as UTF-16 as Windows does, CredRead of a missing target
    raises pywintypes.error 1168 (ERROR_NOT_FOUND)."""

    CRED_TYPE_GENERIC = 1
    CRED_PERSIST_SESSION, CRED_PERSIST_LOCAL_MACHINE, CRED_PERSIST_ENTERPRISE = 1, 2, 3

    def __init__(self) -> None:
        self.stored: dict[str, dict] = {}

        class error(Exception):  # noqa: N801 - pywintypes.error
            def __init__(self, winerror: int, funcname: str, strerror: str) -> None:
                super().__init__(winerror, funcname, strerror)
                self.winerror, self.funcname, self.strerror = winerror, funcname, strerror

        self.error = error

    def CredRead(self, Type, TargetName):  # noqa: N802, N803 - win32cred's names
        try:
            return dict(self.stored[(Type, TargetName)])
        except KeyError:
            raise self.error(1168, "CredRead", "Element not found.") from None

    def CredWrite(self, Credential, Flags):  # noqa: N802, N803
        cred = dict(Credential)
        cred["CredentialBlob"] = cred["CredentialBlob"].encode("utf-16-le")
        self.stored[(cred["Type"], cred["TargetName"])] = cred

    def CredDelete(self, Type, TargetName):  # noqa: N802, N803
        if self.stored.pop((Type, TargetName), None) is None:
            raise self.error(1168, "CredDelete", "Element not found.")


def _forget_viable_backends(backend) -> None:
    """keyring lists the viable backends once per process (jaraco's @once)."""
    vars(backend.get_all_keyring).pop("saved_result", None)


@pytest.fixture
def windows_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """keyring's real Windows backend, imported with win32ctypes stood in for; keyring's own
    choice made afresh, with no D-Bus session, as on Windows where there is none."""
    import importlib

    import keyring.backend
    import keyring.core

    manager = _CredentialManager()
    package = types.ModuleType("win32ctypes")
    pywin32 = types.ModuleType("win32ctypes.pywin32")
    win32cred = types.ModuleType("win32ctypes.pywin32.win32cred")
    pywintypes = types.ModuleType("win32ctypes.pywin32.pywintypes")
    for name in ("CRED_TYPE_GENERIC", "CRED_PERSIST_SESSION", "CRED_PERSIST_LOCAL_MACHINE",
                 "CRED_PERSIST_ENTERPRISE", "CredRead", "CredWrite", "CredDelete"):
        setattr(win32cred, name, getattr(manager, name))
    pywintypes.error = manager.error
    pywin32.win32cred, pywin32.pywintypes, package.pywin32 = win32cred, pywintypes, pywin32
    for module in (package, pywin32, win32cred, pywintypes):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    import keyring.backends.Windows as backend_module

    importlib.reload(backend_module)  # now its win32ctypes import succeeds
    for name in ("CCM_TIMER_KEYRING_BACKEND", "PYTHON_KEYRING_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no keyringrc.cfg
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    _forget_viable_backends(keyring.backend)
    # The suite's own keyrings (tests/security, tests/fixtures) are KeyringBackend classes
    # too, which keyring would count, and so is the WinVaultKeyring class from before the
    # reload; a clinic's Windows has only keyring's own, once each.
    viable = [b for b in keyring.backend.get_all_keyring()
              if type(b).__module__.startswith("keyring.")
              and getattr(sys.modules[type(b).__module__], type(b).__name__, None) is type(b)]
    vars(keyring.backend.get_all_keyring)["saved_result"] = viable
    yield backend_module, manager
    _forget_viable_backends(keyring.backend)
    monkeypatch.undo()
    importlib.reload(backend_module)  # back to "requires Windows"


def test_credential_manager_keeps_the_database_key(windows_keyring) -> None:
    """keyring's own choice, made as on Windows: the Credential Manager backend, which
    secret_store accepts (it refuses only the backends that would not keep a key safely)
    and which stores and reads back the key. Only Windows proves that Credential Manager
    keeps it across sign-ins, and that the bundled win32ctypes imports (the spec lists it)."""
    from ccm_timer.services.security import secret_store

    backend_module, manager = windows_keyring
    store = secret_store.open_store()
    assert isinstance(store.backend, backend_module.WinVaultKeyring), store.name
    assert store.name == "keyring.backends.Windows.WinVaultKeyring"
    assert secret_store.refusal(store.backend) is None
    store.put("ccm-timer", "database-key", "synthetic-key-material")
    assert store.get("ccm-timer", "database-key") == "synthetic-key-material"
    assert [t for _, t in manager.stored] == ["ccm-timer"]
    store.delete("ccm-timer", "database-key")
    assert store.get("ccm-timer", "database-key") is None
