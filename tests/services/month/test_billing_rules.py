"""Finding and reading a year's rules file: the shipped years, a missing year, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccm_timer import paths
from ccm_timer.core.billing import RulesError
from ccm_timer.services.month.billing_rules import (
    MissingBillingRules,
    load_rules,
    rules_for_month,
    rules_path,
)

REPO_RESOURCES = Path(__file__).resolve().parents[3] / "resources"


@pytest.mark.parametrize("year", [2025, 2026])
def test_shipped_years_load(year: int) -> None:
    rules = load_rules(year)
    assert rules.year == year
    assert rules.source == f"resources/billing_rules/{year}.toml"
    assert ("99470" in rules.codes) is (year >= 2026)


def test_the_months_year_picks_the_file() -> None:
    assert rules_for_month("2025-12").year == 2025
    assert rules_for_month("2026-01").year == 2026
    assert rules_for_month((2026, 7)).year == 2026


def test_a_missing_year_says_what_to_add() -> None:
    with pytest.raises(MissingBillingRules) as caught:
        load_rules(2027)
    assert str(caught.value) == "No billing rules for 2027: add resources/billing_rules/2027.toml"
    with pytest.raises(MissingBillingRules, match="2031"):
        rules_for_month("2031-02")


def test_the_resources_folder_is_the_one_paths_names() -> None:
    assert paths.resource_root() == REPO_RESOURCES  # a checkout: the top-level folder
    assert rules_path(2025) == REPO_RESOURCES / "billing_rules" / "2025.toml"


def test_an_explicit_folder_is_the_only_one_searched(tmp_path: Path) -> None:
    bundled = tmp_path / "resources" / "billing_rules"
    bundled.mkdir(parents=True)
    shutil.copy(REPO_RESOURCES / "billing_rules" / "2025.toml", bundled / "2025.toml")
    assert rules_path(2025, tmp_path / "resources") == bundled / "2025.toml"
    with pytest.raises(MissingBillingRules, match="2026"):
        rules_path(2026, tmp_path / "resources")


def write(tmp_path: Path, year: int, text: str) -> Path:
    folder = tmp_path / "billing_rules"
    folder.mkdir(exist_ok=True)
    (folder / f"{year}.toml").write_text(text, "utf-8")
    return tmp_path


def test_a_new_year_is_a_new_file(tmp_path: Path) -> None:
    text = (REPO_RESOURCES / "billing_rules" / "2026.toml").read_text("utf-8")
    resources = write(tmp_path, 2027, text.replace("year = 2026", "year = 2027"))
    rules = load_rules(2027, resources)
    assert rules.year == 2027 and "99470" in rules.codes


def test_a_file_for_the_wrong_year_is_refused(tmp_path: Path) -> None:
    text = (REPO_RESOURCES / "billing_rules" / "2025.toml").read_text("utf-8")
    with pytest.raises(RulesError, match="2028.toml: says year = 2025"):
        load_rules(2028, write(tmp_path, 2028, text))


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"2029\.toml: not valid TOML"):
        load_rules(2029, write(tmp_path, 2029, "year = = 2029\n"))


def test_invalid_rules_name_the_file_and_key(tmp_path: Path) -> None:
    text = (REPO_RESOURCES / "billing_rules" / "2025.toml").read_text("utf-8")
    text = text.replace("year = 2025", "year = 2030").replace(
        'track = "ccm_practitioner"\ntime = "practitioner"',
        'track = "ccm_practitioner"\ntime = "doctor"',
    )
    with pytest.raises(RulesError, match=r"2030\.toml: codes\.99491\.time"):
        load_rules(2030, write(tmp_path, 2030, text))
