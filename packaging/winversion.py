"""The Windows version resource of the bundle's programs, as PyInstaller's version file.

EXE(version=FILE) in packaging/ccm-timer.spec reads FILE with PyInstaller's
`load_version_info_from_text_file`, which evaluates it as a `VSVersionInfo(...)`
expression: the same text `pyi-grab_version` writes for an existing executable. Explorer
shows these strings under Properties > Details, and Windows' "Apps & features" and SmartScreen
read the company and product names from it. Pure Python, so it is made and tested anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

PRODUCT = "CCM Timer"
COMPANY = "CCM Timer"
COPYRIGHT = "Licensed under the Apache License 2.0"
# US English, Unicode: the StringTable key and the Translation pair must agree.
LANG, CODEPAGE = 0x0409, 0x04B0


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """'1.2.3' -> (1, 2, 3, 0); a pre-release or local tail ('0.2.0rc1') is dropped, because
    the fixed part of a version resource holds four 16-bit numbers only."""
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version)
    if not match:
        raise ValueError(f"not a version: {version!r}")
    parts = tuple(int(p or 0) for p in match.groups())
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"{version!r}: each part of a Windows version must be below 65536")
    return parts  # type: ignore[return-value]


def version_file_text(version: str, *, program: str, description: str) -> str:
    """The version file of `program` (a file name without .exe)."""
    numbers = version_tuple(version)
    strings = [
        ("CompanyName", COMPANY),
        ("FileDescription", description),
        ("FileVersion", version),
        ("InternalName", program),
        ("LegalCopyright", COPYRIGHT),
        ("OriginalFilename", f"{program}.exe"),
        ("ProductName", PRODUCT),
        ("ProductVersion", version),
    ]
    table = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings)
    return f"""# UTF-8
# The version resource of {program}.exe, made by packaging/winversion.py.
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers!r},
    prodvers={numbers!r},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '{LANG:04X}{CODEPAGE:04X}',
        [
{table}
        ])
    ]),
    VarFileInfo([VarStruct('Translation', [{LANG}, {CODEPAGE}])])
  ]
)
"""


def write_version_file(folder: Path, version: str, *, program: str, description: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{program}-version.txt"
    path.write_text(version_file_text(version, program=program, description=description),
                    encoding="utf-8")
    return path
