"""The ICD-10-CM index: built once from the simple-icd-10-cm package into the cache folder,
answering as the package does; a damaged index is rebuilt, an unwritable folder only costs
the speed."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from ccm_timer.services.people import code_set

SAMPLE = ("E11.9", "I10", "E11", "Z68.41", "J45.909", "F43.10", "C50.911", "A00", "S72.001A")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CCM_TIMER_CACHE", str(folder))
    code_set._index.cache_clear()
    yield folder
    code_set._index.cache_clear()


def _package():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm
    return simple_icd_10_cm


def test_the_index_answers_as_the_package_does(cache: Path) -> None:
    icd = _package()
    for code in SAMPLE:
        found = code_set.find(code)
        assert found is not None, code
        assert (found.description, found.billable) == (icd.get_description(code),
                                                       icd.is_leaf(code)), code
        for example in found.examples:
            assert icd.is_leaf(example) and icd.is_descendant(example, code)
    assert code_set.find("E11").examples == ("E11.00", "E11.01", "E11.10")
    assert code_set.find("E99.999X") is None and code_set.find("E11.") is None
    (index,) = cache.glob("icd10cm-*.tsv")
    assert index.stat().st_size > 1_000_000
    code_set._index.cache_clear()  # a second process reads the file, not the package
    assert code_set.find("I10").description == "Essential (primary) hypertension"


def test_a_damaged_index_is_built_again(cache: Path) -> None:
    code_set.warm()
    (index,) = cache.glob("icd10cm-*.tsv")
    index.write_text(index.read_text(encoding="utf-8")[:5000], encoding="utf-8")  # cut short
    code_set._index.cache_clear()
    assert code_set.find("Z68.41") is not None
    assert index.read_text(encoding="utf-8").endswith("\n#end\n")


def test_an_unwritable_cache_folder_still_answers(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("CCM_TIMER_CACHE", str(blocker / "cache"))  # its parent is a file
    code_set._index.cache_clear()
    try:
        assert code_set.find("E11.9").billable
    finally:
        code_set._index.cache_clear()
