"""packaging/ccm-timer.spec on each platform, the icons and the Windows version resource.

The spec is evaluated here as PyInstaller evaluates it, with sys.platform set to win32,
darwin or linux while it runs and PyInstaller's Analysis/EXE/COLLECT/BUNDLE replaced by
recorders: what each platform's build is asked for (which programs, console or windowed,
icon, version resource, .app and its Info.plist) is checked without building. The icons and
the version file are made for real (Qt draws the SVG; the text is what PyInstaller reads).

What only a real build on that system proves, and the build workflow
(.github/workflows/build.yml) does on windows-latest and macos-latest: that PyInstaller's
Windows bootloaders make ccm-timer.exe start without a console and ccm-timer-cli.exe with
one, that the icon and version resource are embedded in the .exe files (PyInstaller writes
them with Windows' resource API), that the .app starts as a menu-bar app with no Dock icon
and macOS accepts the .icns, and that the bundles pass the smoke test there.
"""

from __future__ import annotations

import ast
import struct
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "ccm-timer.spec"
sys.path.insert(0, str(ROOT / "packaging"))
import icons  # noqa: E402
import winversion  # noqa: E402

sys.path.remove(str(ROOT / "packaging"))


class Recorded:
    """Stands in for one PyInstaller target class; remembers how the spec called it."""

    calls: list[Recorded]

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs = args, kwargs
        self.calls.append(self)


def _targets() -> dict[str, type]:
    calls: list[Recorded] = []
    made = {}
    for name in ("PYZ", "EXE", "COLLECT", "BUNDLE"):
        made[name] = type(name, (Recorded,), {"calls": calls})

    class Analysis(Recorded):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.scripts = [("pyi_rth_pyside6", "x", "PYSOURCE"), ("launch", "y", "PYSOURCE")]
            self.binaries = [("libqgtk3.so", "z", "BINARY"), ("libQt6Core.so.6", "q", "BINARY")]
            self.datas = kwargs["datas"]
            self.pure = []

    Analysis.calls = calls
    made["Analysis"] = Analysis
    made["calls"] = calls
    return made


def run_spec(platform: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Evaluate the spec as PyInstaller would on `platform`; the recorded calls by class."""
    targets = _targets()
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda name: [f"{name}.(submodules)"]
    hooks.copy_metadata = lambda name: [(f"/site/{name}.dist-info", f"{name}.dist-info")]
    hooks.collect_data_files = lambda name: [(f"/site/{name}/data", f"{name}/data")]
    namespace = {
        "__name__": "__main__", "__file__": str(SPEC),
        "SPECPATH": str(SPEC.parent), "workpath": str(work), "DISTPATH": str(work / "dist"),
        **{k: v for k, v in targets.items() if k != "calls"},
    }
    with monkeypatch.context() as m:
        for name in ("PyInstaller", "PyInstaller.utils"):
            m.setitem(sys.modules, name, types.ModuleType(name))
        m.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
        m.setattr(sys, "path", list(sys.path))
        m.setattr(sys, "platform", platform)
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    by_kind: dict[str, list] = {}
    for call in targets["calls"]:
        by_kind.setdefault(type(call).__name__, []).append(call)
    return by_kind


def _datas(calls: dict[str, list]) -> list[tuple[str, str]]:
    (analysis,) = calls["Analysis"]
    return analysis.kwargs["datas"]


def test_windows_builds_a_windowed_tray_and_a_console_cli(tmp_path, monkeypatch) -> None:
    calls = run_spec("win32", tmp_path, monkeypatch)
    tray, cli = calls["EXE"]
    assert (tray.kwargs["name"], tray.kwargs["console"]) == ("ccm-timer", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("ccm-timer-cli", True)
    for exe in (tray, cli):
        assert exe.kwargs["exclude_binaries"] is True  # one shared _internal/
        assert ("X utf8", None, "OPTION") in exe.args[2]  # not the ANSI code page
        ico = Path(exe.kwargs["icon"])
        assert ico.suffix == ".ico" and ico.read_bytes()[:4] == b"\0\0\1\0"
        version = Path(exe.kwargs["version"]).read_text(encoding="utf-8")
        assert f"StringStruct('OriginalFilename', '{exe.kwargs['name']}.exe')" in version
    (collect,) = calls["COLLECT"]
    assert collect.args[:2] == (tray, cli) and collect.kwargs["name"] == "ccm-timer"
    (analysis,) = calls["Analysis"]
    hooks = [Path(h).name for h in analysis.kwargs["runtime_hooks"]]
    assert hooks == ["rthook_windowed_streams.py"]
    assert "win32ctypes.pywin32.win32cred" in analysis.kwargs["hiddenimports"]
    assert "BUNDLE" not in calls


def test_macos_builds_a_menu_bar_app_with_its_icon(tmp_path, monkeypatch) -> None:
    calls = run_spec("darwin", tmp_path, monkeypatch)
    (exe,) = calls["EXE"]
    assert (exe.kwargs["name"], exe.kwargs["console"]) == ("ccm-timer", False)
    assert "version" not in exe.kwargs  # a Windows resource
    (bundle,) = calls["BUNDLE"]
    assert bundle.args == (calls["COLLECT"][0],)
    assert bundle.kwargs["name"] == "CCM Timer.app"
    assert bundle.kwargs["bundle_identifier"] == "org.ccmtimer.CCMTimer"
    plist = bundle.kwargs["info_plist"]
    assert plist["LSUIElement"] is True  # no Dock icon: the menu-bar icon is the app
    from ccm_timer import __version__
    assert plist["CFBundleShortVersionString"] == bundle.kwargs["version"] == __version__
    icns = Path(bundle.kwargs["icon"]).read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


def test_linux_builds_one_console_program(tmp_path, monkeypatch) -> None:
    calls = run_spec("linux", tmp_path, monkeypatch)
    (exe,) = calls["EXE"]
    assert (exe.kwargs["name"], exe.kwargs["console"]) == ("ccm-timer", True)
    assert "icon" not in exe.kwargs and "BUNDLE" not in calls
    (analysis,) = calls["Analysis"]
    assert [s[0] for s in analysis.scripts] == ["launch"]  # pyi_rth_pyside6 replaced
    assert [b[0] for b in analysis.binaries] == ["libQt6Core.so.6"]  # no GTK theme plugin


def test_every_platform_bundles_resources_where_the_wheel_has_them(tmp_path, monkeypatch):
    sources = sorted(p for p in (ROOT / "resources").rglob("*") if p.is_file())
    for platform in ("linux", "win32", "darwin"):
        datas = _datas(run_spec(platform, tmp_path / platform, monkeypatch))
        bundled = {Path(src): Path(dest) for src, dest in datas}
        for source in sources:
            rel = source.parent.relative_to(ROOT / "resources")
            assert bundled[source] == Path("ccm_timer/resources") / rel, source
        # The ICD-10-CM code set's data files, which the package reads by resource name.
        assert bundled[Path("/site/simple_icd_10_cm/data")] == Path("simple_icd_10_cm/data")


# ---- icons ---------------------------------------------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == icons.PNG_MAGIC
    return struct.unpack(">II", data[16:24])  # the IHDR chunk's width and height


def test_the_ico_holds_each_size_as_png(tmp_path: Path) -> None:
    data = icons.write_ico(icons.SOURCE, tmp_path / "app.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(icons.ICO_SIZES))
    for i, size in enumerate(icons.ICO_SIZES):
        w, h, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i:22 + 16 * i])
        assert (w or 256, h or 256, planes, bits) == (size, size, 1, 32)
        assert _png_size(data[offset:offset + length]) == (size, size)


def test_the_icns_holds_each_type_as_png(tmp_path: Path) -> None:
    data = icons.write_icns(icons.SOURCE, tmp_path / "app.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    seen, at = {}, 8
    while at < len(data):
        kind, length = data[at:at + 4], struct.unpack(">I", data[at + 4:at + 8])[0]
        seen[kind] = _png_size(data[at + 8:at + length])
        at += length
    assert at == len(data)
    assert seen == {k: (s, s) for k, s in icons.ICNS_TYPES.items()}


def test_the_icon_is_drawn_not_blank() -> None:
    from PySide6.QtGui import QImage

    (png,) = icons.render_pngs(icons.SOURCE, [64]).values()
    image = QImage.fromData(png)
    assert image.pixelColor(32, 37).green() > 100  # the green dial
    assert image.pixelColor(1, 63).alpha() == 0  # a transparent corner


# ---- the Windows version resource ----------------------------------------------------------

def test_version_numbers() -> None:
    assert winversion.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert winversion.version_tuple("2.10.3rc1") == (2, 10, 3, 0)
    assert winversion.version_tuple("1.2.3.4") == (1, 2, 3, 4)
    with pytest.raises(ValueError):
        winversion.version_tuple("70000.1")
    with pytest.raises(ValueError):
        winversion.version_tuple("latest")


def test_version_file_is_a_vsversioninfo_expression() -> None:
    text = winversion.version_file_text("0.1.0", program="ccm-timer-cli",
                                        description="CCM Timer command line")
    tree = ast.parse(text, mode="eval")  # PyInstaller evaluates it as one expression
    assert isinstance(tree.body, ast.Call) and tree.body.func.id == "VSVersionInfo"
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert calls == {"VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable",
                     "StringStruct", "VarFileInfo", "VarStruct"}
    assert "filevers=(0, 1, 0, 0)" in text and "'040904B0'" in text
    assert "StringStruct('ProductVersion', '0.1.0')" in text


@pytest.mark.packaging
def test_pyinstaller_reads_the_version_file(tmp_path: Path, monkeypatch) -> None:
    """PyInstaller's own reader and serializer (what EXE(version=...) uses), run here.
    PyInstaller imports its versioninfo module on Windows only (for pefile and win32api,
    which only write the resource into the .exe), so those two are stood in for while it
    imports; parsing the text and making the resource's bytes is plain Python."""
    import PyInstaller.compat

    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    from PyInstaller.utils.win32 import versioninfo

    path = winversion.write_version_file(tmp_path, "0.1.0", program="ccm-timer",
                                         description="CCM Timer")
    info = versioninfo.load_version_info_from_text_file(str(path))
    assert isinstance(info, versioninfo.VSVersionInfo)
    assert (info.ffi.fileVersionMS, info.ffi.fileVersionLS) == (0x00000001, 0x00000000)
    raw = info.toRaw()  # the bytes PyInstaller writes into the .exe
    assert "OriginalFilename".encode("utf-16-le") in raw
    assert "ccm-timer.exe".encode("utf-16-le") in raw
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo")


# ---- the built programs' Windows subsystem (read by the build workflow) --------------------

def _pe(subsystem: int, magic: int = 0x20B) -> bytes:
    """The first bytes of a PE image, as far as check_exe reads them."""
    data = bytearray(512)
    data[:2] = b"MZ"
    struct.pack_into("<I", data, 0x3C, 0x80)
    data[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<H", data, 0x80 + 24, magic)
    struct.pack_into("<H", data, 0x80 + 24 + 68, subsystem)
    return bytes(data)


def test_the_subsystem_reader(tmp_path: Path, capsys) -> None:
    sys.path.insert(0, str(ROOT / "packaging" / "windows"))
    try:
        import check_exe
    finally:
        sys.path.remove(str(ROOT / "packaging" / "windows"))
    assert check_exe.subsystem(_pe(2)) == 2 and check_exe.subsystem(_pe(3, 0x10B)) == 3
    with pytest.raises(ValueError):
        check_exe.subsystem(b"\x7fELF" + bytes(200))
    (tmp_path / "tray.exe").write_bytes(_pe(2))
    (tmp_path / "cli.exe").write_bytes(_pe(3))
    assert check_exe.main([f"{tmp_path / 'tray.exe'}=gui", f"{tmp_path / 'cli.exe'}=console"]) == 0
    assert check_exe.main([f"{tmp_path / 'cli.exe'}=gui"]) == 1
    assert "cli.exe: console subsystem, want gui" in capsys.readouterr().out
