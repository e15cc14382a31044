"""Which ICD-10-CM codes count as chronic: the list in resources/chronic_conditions.toml,
with a clinic's own file laid over it. Pure: the service reads the files and passes the
parsed tables here; validating a code against the code set is the service's (it needs the
code set, a large package read only when a code is entered).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA = 1
# A code as typed: a letter, two more characters, then up to four after an optional dot.
_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


class ChronicListError(ValueError):
    """A chronic-condition list that cannot be used; the message names the entry at fault."""


def normalise(code: str) -> str:
    """"e119", "E11.9 " and "E11.9" are all "E11.9"; ValueError for what is no code shape."""
    text = code.strip().upper()
    if not _SHAPE.match(text):
        raise ValueError(f"{code.strip()!r} is not an ICD-10-CM code (a letter, two "
                         "characters, a dot and up to four more, such as E11.9)")
    bare = text.replace(".", "")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def _bare(code: str) -> str:
    return code.replace(".", "").upper()


@dataclass(frozen=True, slots=True)
class _Match:
    low: str
    high: str  # equal to low for a prefix

    def covers(self, bare: str) -> bool:
        head = bare[: len(self.low)]
        return len(head) == len(self.low) and self.low <= head <= self.high


def _matcher(entry: Any, where: str) -> _Match:
    if not isinstance(entry, str) or not entry.strip():
        raise ChronicListError(f"{where}: each code must be a string such as \"E11\"")
    low, _, high = entry.strip().partition("-")
    low, high = _bare(low), _bare(high or low)
    if len(low) != len(high) or not low or low > high:
        raise ChronicListError(f"{where}: {entry!r} is not a code or a range of codes of "
                               "the same length")
    return _Match(low, high)


@dataclass(frozen=True, slots=True)
class ChronicList:
    categories: tuple[tuple[str, tuple[_Match, ...]], ...]
    not_chronic: tuple[_Match, ...]
    source: str

    def category_of(self, code: str) -> str | None:
        """The chronic-condition category a code falls in, or None when it is not chronic."""
        bare = _bare(code)
        if any(m.covers(bare) for m in self.not_chronic):
            return None
        for name, matches in self.categories:
            if any(m.covers(bare) for m in matches):
                return name
        return None

    def is_chronic(self, code: str) -> bool:
        return self.category_of(code) is not None


def _categories(data: Mapping[str, Any], where: str) -> list[tuple[str, tuple[_Match, ...]]]:
    raw = data.get("category", [])
    if not isinstance(raw, list):
        raise ChronicListError(f"{where}: `category` must be a list of [[category]] tables")
    out = []
    for n, item in enumerate(raw, start=1):
        here = f"{where}, category {n}"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ChronicListError(f"{here}: each category needs a name")
        codes = item.get("codes")
        if not isinstance(codes, list) or not codes:
            raise ChronicListError(f"{here} ({item['name']}): needs a list of codes")
        out.append((item["name"], tuple(_matcher(c, here) for c in codes)))
    return out


def parse_chronic_list(shipped: Mapping[str, Any],
                       overrides: Iterable[tuple[str, Mapping[str, Any]]] = ()) -> ChronicList:
    """The shipped list, then each (name, table) override: its categories added, its
    `not_chronic` entries taken out."""
    categories: list[tuple[str, tuple[_Match, ...]]] = []
    excluded: list[_Match] = []
    for where, data in (("the shipped chronic-condition list", shipped), *overrides):
        if data.get("schema", SCHEMA) != SCHEMA:
            raise ChronicListError(f"{where}: this version reads schema {SCHEMA}")
        categories.extend(_categories(data, where))
        raw = data.get("not_chronic", [])
        if not isinstance(raw, list):
            raise ChronicListError(f"{where}: `not_chronic` must be a list of codes")
        excluded.extend(_matcher(c, f"{where}, not_chronic") for c in raw)
    source = str(shipped.get("source", ""))
    return ChronicList(tuple(categories), tuple(excluded), source)
