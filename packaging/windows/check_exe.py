"""Check which Windows subsystem each built program is for: the tray must be a GUI program
(no console window opens with it), the command line a console program.

    python packaging/windows/check_exe.py dist/ccm-timer/ccm-timer.exe=gui \\
        dist/ccm-timer/ccm-timer-cli.exe=console

The subsystem is one field of the PE optional header, which PyInstaller sets by choosing
the windowed or the console bootloader (EXE(console=...)); reading it needs no Windows, so
the build workflow checks the real files and tests/packaging checks this reader.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

SUBSYSTEMS = {2: "gui", 3: "console"}  # IMAGE_SUBSYSTEM_WINDOWS_GUI, _WINDOWS_CUI


def subsystem(data: bytes) -> int:
    """The Subsystem field of a PE image's optional header."""
    if data[:2] != b"MZ":
        raise ValueError("not an MZ executable")
    (pe,) = struct.unpack_from("<I", data, 0x3C)  # e_lfanew: where the PE header starts
    if data[pe:pe + 4] != b"PE\0\0":
        raise ValueError("no PE signature")
    optional = pe + 4 + 20  # after the signature and the COFF file header
    magic = struct.unpack_from("<H", data, optional)[0]
    if magic not in (0x10B, 0x20B):  # PE32, PE32+
        raise ValueError(f"unknown optional header magic {magic:#x}")
    return struct.unpack_from("<H", data, optional + 68)[0]  # same offset in both


def main(argv: list[str]) -> int:
    failed = 0
    for arg in argv:
        path, _, want = arg.rpartition("=")
        with open(path, "rb") as fh:
            got = SUBSYSTEMS.get(subsystem(fh.read(4096)), "other")
        print(f"{Path(path).name}: {got} subsystem" + ("" if got == want else f", want {want}"))
        failed += got != want
    return 1 if failed or not argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
