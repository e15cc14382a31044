"""packaging/windows/ccm-timer.iss, read as Inno Setup reads its sections: a per-user
install without administrator rights, the Start-menu entry and uninstaller, and a data
folder the uninstaller never touches.

Inno Setup's compiler (iscc) runs on Windows only, so the script is compiled, installed
silently, smoke-tested and uninstalled by the build workflow on windows-latest
(.github/workflows/build.yml); that run, not this test, proves Inno Setup accepts every
directive and that the installed files work.
"""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath

from ccm_timer import paths

ISS = Path(__file__).resolve().parents[2] / "packaging" / "windows" / "ccm-timer.iss"


def _sections() -> dict[str, list[str]]:
    """Each [Section]'s lines, less comments (';' lines; '{ }' blocks are [Code]'s own)."""
    sections: dict[str, list[str]] = {}
    current = None
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None:
            current.append(line)
    return sections


def _setup() -> dict[str, str]:
    return dict(line.split("=", 1) for line in _sections()["Setup"])


def _entries(section: str) -> list[dict[str, str]]:
    """Parameters of each entry line: 'Name: "x"; Flags: y' -> {'Name': 'x', 'Flags': 'y'}."""
    found = []
    for line in _sections().get(section, []):
        params = {}
        for key, value in re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line):
            params[key] = value.strip().strip('"')
        found.append(params)
    return found


def test_it_installs_for_the_user_without_administrator_rights() -> None:
    setup = _setup()
    assert setup["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in setup  # no "for all users" choice
    # {autopf} is %LOCALAPPDATA%\Programs in non-administrative install mode.
    assert setup["DefaultDirName"] == r"{autopf}\{#AppName}"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["ArchitecturesInstallIn64BitMode"] == "x64compatible"
    assert setup["CloseApplications"] == "yes"  # a running tray is asked to close first


def test_the_start_menu_entry_and_the_last_page_start_the_windowed_tray() -> None:
    (menu, desktop) = _entries("Icons")
    assert menu["Name"] == r"{autoprograms}\{#AppName}" and "Tasks" not in menu
    assert menu["Filename"] == desktop["Filename"] == r"{app}\{#AppExe}"
    (run,) = _entries("Run")
    assert run["Filename"] == r"{app}\{#AppExe}" and "postinstall" in run["Flags"]
    defines = dict(re.findall(r'^#define (\w+) "([^"]*)"', ISS.read_text(), flags=re.M))
    assert defines["AppExe"] == "ccm-timer.exe"  # not ccm-timer-cli.exe, a console program
    assert _setup()["UninstallDisplayIcon"] == r"{app}\{#AppExe}"


def test_the_uninstaller_never_touches_the_data_folder() -> None:
    """The data (%LOCALAPPDATA%\\CCMTimer\\ccm-timer, ccm_timer/paths.py) is not inside the
    install folder, no [UninstallDelete] entry exists, and what [InstallDelete] clears at an
    update is inside {app}."""
    sections = _sections()
    assert "UninstallDelete" not in sections
    for entry in _entries("InstallDelete"):
        assert entry["Name"].startswith("{app}\\"), entry
    for entry in _entries("Files"):
        assert entry["DestDir"].startswith("{app}"), entry
    text = ISS.read_text(encoding="utf-8")
    code = text[text.index("[Code]"):]
    assert "DelTree" not in code and "DeleteFile" not in code
    data = PureWindowsPath("{localappdata}", paths.APP_AUTHOR, paths.APP_NAME)
    install = PureWindowsPath("{localappdata}", "Programs", "CCM Timer")  # {autopf}
    assert install not in data.parents and data not in install.parents


def test_the_uninstaller_removes_start_at_login_only_for_this_install() -> None:
    (value,) = _entries("Registry")
    assert value["Root"] == "HKCU" and "uninsdeletevalue" in value["Flags"]
    assert value["Tasks"] == "autostart"
    code = ISS.read_text(encoding="utf-8").split("[Code]", 1)[1]
    # Deleted after uninstalling only when the value starts a program in {app}.
    assert "usPostUninstall" in code
    assert re.search(r"if Pos\(Lowercase\(AddBackslash\(ExpandConstant\('\{app\}'\)\)\), "
                     r"Lowercase\(Command\)\) > 0 then\s+RegDeleteValue", code)
