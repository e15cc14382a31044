"""Which fonts the PDF uses: the base, then fallbacks for the letters of names it lacks
(Chinese, Japanese, Korean, Thai...), and the letters no font here has (said on the first
page rather than printed as silent boxes).

GUI exports render on a worker thread, one per export: the fonts in resources/fonts are
registered once per process (Qt keeps them), and only the short list of fallbacks below is
searched, never every family installed (a few hundred on a desktop, each opened to ask), and
only for names: an emoji in a note is left to Qt's own fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BASE_FAMILIES = ("DejaVu Sans", "Segoe UI", "Arial", "Helvetica")
# Tried in order for what the base lacks: maintained free fonts a Debian or Fedora machine
# has, then the ones Windows and macOS ship for the same scripts.
FALLBACK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC",
                     "Droid Sans Fallback", "WenQuanYi Micro Hei", "Noto Sans",
                     "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Thai",
                     "Noto Sans Devanagari", "Noto Sans Bengali", "Noto Sans Ethiopic",
                     "Microsoft YaHei", "Yu Gothic", "Malgun Gothic", "Leelawadee UI",
                     "Nirmala UI", "Ebrima", "Segoe UI Historic", "PingFang SC",
                     "Hiragino Sans", "Apple SD Gothic Neo")
# Keys of the month document whose text is a person's or the clinic's name.
NAME_KEYS = frozenset({"name", "names", "label", "family_name", "given_name", "display_name",
                       "clinician", "practitioner", "consent_by", "clinic", "clinic_name"})

_lock = threading.Lock()
_registered: dict[Path, tuple[str, ...]] = {}  # a fonts folder -> the families it added


def register_fonts(folder: Path) -> tuple[str, ...]:
    """The families of the font files in `folder` (a clinic's or packager's), added to Qt
    the first time only: adding a file again would load it again."""
    from PySide6.QtGui import QFontDatabase

    with _lock:
        if folder not in _registered:
            families: list[str] = []
            for path in sorted(folder.glob("*.[ot]t[fc]")) if folder.is_dir() else ():
                font_id = QFontDatabase.addApplicationFont(str(path))
                if font_id >= 0:
                    families += QFontDatabase.applicationFontFamilies(font_id)
            _registered[folder] = tuple(dict.fromkeys(families))
        return _registered[folder]


def name_texts(value: Any, named: bool = False) -> Iterator[str]:
    """The text of every name field of the document (at any depth)."""
    if isinstance(value, str):
        if named:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from name_texts(item, named or key in NAME_KEYS)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from name_texts(item, named)


def font_plan(doc: dict[str, Any], fonts_folder: Path) -> tuple[list[str], set[str]]:
    """The font families the PDF uses, in fallback order: the base, then those of the
    fallbacks (and of `fonts_folder`) that have the names' letters the base lacks; and the
    letters of names none of them has. Needs a QGuiApplication."""
    from PySide6.QtGui import QFont, QFontDatabase, QRawFont

    def raw(family: str) -> QRawFont:  # supportsCharacter takes ord(c): its str form is Latin-1
        return QRawFont.fromFont(QFont(family))

    own = register_fonts(fonts_folder)
    needed = {c for text in name_texts(doc) for c in text
              if c.isprintable() and not c.isspace()}
    families = list(BASE_FAMILIES)
    if not needed:
        return families, set()
    installed = set(QFontDatabase.families())
    base = raw(next((f for f in BASE_FAMILIES if f in installed), BASE_FAMILIES[0]))
    missing = {c for c in needed if not base.supportsCharacter(ord(c))}
    for family in dict.fromkeys([*own, *FALLBACK_FAMILIES]):
        if not missing:
            break
        if family not in installed or family in families:
            continue
        font = raw(family)
        covered = {c for c in missing if font.supportsCharacter(ord(c))}
        if covered:
            families.append(family)
            missing -= covered
    return families, missing
