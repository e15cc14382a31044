"""Find a patient as the user types: by MRN or name, ignoring case and accents.

The index folds every patient once, so each keystroke is a scan of short strings, fast
enough for a clinic's whole roster without a query per key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ccm_timer.core.collation import name_key
from ccm_timer.core.parse import fold
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import patients
from ccm_timer.services.people.patients import PatientView


@dataclass(frozen=True)
class _Keys:
    mrn: str
    family: str
    given: str
    words: tuple[str, ...]
    full: str  # "family given" and "given family", for "alma test" or "testpatient alma"


def _keys(p: PatientView) -> _Keys:
    family, given = fold(p.family_name), fold(p.given_name)
    words = tuple(w for w in f"{family} {given}".replace(",", " ").replace("-", " ").split())
    return _Keys(fold(p.mrn), family, given, words, f"{family} {given}|{given} {family}")


def _rank(k: _Keys, q: str) -> int | None:
    """Lower is better; None is no match."""
    if k.mrn == q:
        return 0
    if k.mrn.startswith(q):
        return 1
    if k.family.startswith(q):
        return 2
    if k.given.startswith(q) or any(w.startswith(q) for w in k.words):
        return 3
    if " " in q and q in k.full:
        return 4
    if q in k.mrn or q in k.family or q in k.given:
        return 5
    if " " in q and all(any(w.startswith(t) for w in k.words) for t in q.split()):
        return 6
    return None


class PatientIndex:
    def __init__(self, found: Sequence[PatientView]) -> None:
        # by name as people read them, so an empty query and equal ranks list in that order
        ordered = sorted(found, key=lambda p: (name_key(p.family_name),
                                               name_key(p.given_name), p.mrn))
        self._items = [(p, _keys(p)) for p in ordered]

    @classmethod
    def load(cls, ctx: AppContext) -> PatientIndex:
        return cls(patients.list_patients(ctx))

    def __len__(self) -> int:
        return len(self._items)

    def search(self, query: str, limit: int = 50) -> list[PatientView]:
        """Best matches first; an empty query lists patients by name."""
        q = " ".join(fold(query).replace(",", " ").split())
        if not q:
            return [p for p, _ in self._items[:limit]]
        ranked = []
        for order, (p, k) in enumerate(self._items):
            rank = _rank(k, q)
            if rank is not None:
                ranked.append((rank, order, p))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [p for _, _, p in ranked[:limit]]
