"""How names sort: as people read them, not by code point ("Ñúñez" before "Testpatient",
"de la Cruz" beside "Delacroix"), the same in every window, list, report and file.

The key is the Unicode Collation Algorithm's first two levels in miniature: letters with
their accents and case removed (NFKD, marks dropped, casefolded) first, then the accented
form, then the text as written, so the order is total and stable. A full UCA library (PyICU)
would need ICU built on every workstation; for personal names in the Latin, Greek and
Cyrillic scripts this key gives the same order, and other scripts keep their code-point order
within themselves, which is their conventional order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def _base(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters.casefold() if c.isalnum() or c.isspace()).strip()


def name_key(text: str) -> tuple[str, str, str]:
    """Sort key for a person's name (or any label shown to a person)."""
    return _base(text), unicodedata.normalize("NFKD", text).casefold(), text


def sorted_names(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: name_key(name(item)))
