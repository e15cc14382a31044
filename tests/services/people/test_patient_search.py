"""Patient search as the user types: MRN or name, any case, any accents."""

from __future__ import annotations

from ccm_timer.services.people import patients
from ccm_timer.services.people.patient_search import PatientIndex


def _mrns(index: PatientIndex, query: str) -> list[str]:
    return [p.mrn for p in index.search(query)]


def test_matches_ignore_case_and_accents(clinic) -> None:
    index = PatientIndex.load(clinic)
    assert _mrns(index, "jose") == ["T1002"]
    assert _mrns(index, "JOSÉ") == ["T1002"]
    assert _mrns(index, "chloe") == ["T1003"]
    assert _mrns(index, "t1003") == ["T1003"]


def test_ranking_exact_mrn_then_prefixes_then_contains(clinic) -> None:
    patients.add(clinic, mrn="T100", name="Zed, Alma")
    patients.add(clinic, mrn="A55", name="Almanac, Pat")
    index = PatientIndex.load(clinic)
    assert _mrns(index, "T100")[0] == "T100"  # exact MRN before MRN prefixes
    # A family-name prefix first, then given names, ties in name order.
    assert _mrns(index, "alma") == ["A55", "T1001", "T100"]
    assert _mrns(index, "alma testp") == ["T1001"]
    assert _mrns(index, "testpatient, alma") == ["T1001"]


def test_empty_query_lists_everyone_by_name_and_no_match_is_empty(clinic) -> None:
    index = PatientIndex.load(clinic)
    assert _mrns(index, "  ") == ["T1003", "T1002", "T1001"]  # Example, Sample, Testpatient
    assert _mrns(index, "zzz") == []
    assert len(index) == 3


def test_limit(clinic) -> None:
    for i in range(30):
        patients.add(clinic, mrn=f"X{i:03d}", name=f"Bulk, Person{i}")
    assert len(PatientIndex.load(clinic).search("bulk", limit=10)) == 10
