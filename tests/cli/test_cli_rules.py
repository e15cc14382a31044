"""`ccm-timer rules show` through the real command: every code of the year's rule file with
what it holds (read back against the TOML itself, key by key, so a key added to the file
shows without a change to the command), the eligibility tables with their sources, and no
database opened."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import date

import pytest

from ccm_timer import paths
from tests.fixtures.cli import fails, js, ok

RULE_FILES = paths.resource_root() / "billing_rules"


def _toml(year: int) -> dict:
    with (RULE_FILES / f"{year}.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize("year", [2025, 2026])
def test_json_holds_every_code_and_every_key_of_the_rule_file(home, year):
    data, raw = js(home, "rules", "show", "--year", str(year)), _toml(year)
    assert data["year"] == year and data["file"] == f"resources/billing_rules/{year}.toml"
    assert data["conversion_factor_usd"] == raw["conversion_factor_usd"]
    assert data["programs"] == raw["programs"]
    assert data["flags"] == raw["flags"]
    assert set(data["codes"]) == set(raw["codes"])
    for code, table in raw["codes"].items():
        shown = data["codes"][code]
        for key, value in table.items():
            if key != "track":  # the track names a base-and-add-on pair, not a rule
                assert shown[key] == value, (code, key)
        # A code without a time threshold (APCM) says so rather than inventing one.
        assert shown["threshold_minutes"] == table.get("threshold_minutes")
    assert set(data["eligibility"]) == set(raw.get("eligibility", {}))
    for program, table in raw.get("eligibility", {}).items():
        shown = data["eligibility"][program]
        assert shown["source"] == table["source"] and shown["confidence"] == table[
            "confidence"]
        assert shown["chronic_conditions"] == table.get("chronic_conditions", 0)
        assert shown["consent"] == table.get("consent", [])


def test_the_table_and_details_in_words(home):
    raw = _toml(2026)
    text = ok(home, "rules", "show", "--year", "2026")
    assert text.startswith("Billing rules for 2026 (resources/billing_rules/2026.toml).")
    assert f"Conversion factor ${raw['conversion_factor_usd']}" in text
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("CODE  "))
    body = lines[head + 1:lines.index("", head)]
    rows = {line.split()[0]: line for line in body}
    assert len(body) == len(rows) and set(rows) == set(raw["codes"])  # a row per code
    for code, table in raw["codes"].items():
        row = rows[code].split()
        assert row[1] == table["program"]
        assert f"${table['payment_usd']:,.2f}" in row
        assert row[-2:] == [table["payment_confidence"], table["confidence"]]
        assert f"{code}  {table['name']}" in text  # its details follow
        assert table["payment_source"] in text
        if "addon_to" in table:
            assert f"add-on to {table['addon_to']}" in rows[code]
            assert f"{table['increment_minutes']} min" in rows[code]
        elif "threshold_minutes" in table:
            assert f"{table['threshold_minutes']} min" in rows[code]
        if "edit_units" in table:  # a payer edit warns; it does not refuse
            assert f"warn past {table['edit_units']}" in rows[code]
    # Whose time, in words: CCM's staff code and its practitioner code.
    assert ("99490  CCM, clinical staff, first 20 min\n  Clinical staff time (the billing "
            "practitioner's own minutes count too); first unit at 20 min; add-on 99439"
            ) in text
    assert "99491  CCM, practitioner personally, first 30 min\n  The billing practitioner's " \
           "own time only; first unit at 30 min" in text
    assert "99439" in rows and "at most 2 units a month" in text  # 99439's CPT cap
    assert "Considered only with the month flags: complex-mdm, care-plan-revised." in text
    assert "Held unless the month flags: interactive-contact." in text
    # The eligibility tables, with their sources.
    ccm = raw["eligibility"]["CCM"]
    assert ("CCM: 2 chronic conditions on file in the month; a consent recording how it was "
            "given, who obtained it, cost sharing explained") in text
    assert f"  Source [{ccm['confidence']}]: {ccm['source']}" in text
    assert "Month flags (`ccm-timer month-flag set`):" in text


def test_no_database_is_opened_nor_the_orm_imported(tmp_path):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    code = ("import sys; import ccm_timer.cli.main as m; rc = m.main(sys.argv[1:]);"
            "bad = sorted({n.split('.')[0] for n in sys.modules} & "
            "{'sqlalchemy', 'sqlmodel', 'sqlcipher3', 'PySide6'});"
            "print(','.join(bad), file=sys.stderr); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, "rules", "show", "--year", "2026"],
                            capture_output=True, text=True,
                            env={"CCM_TIMER_HOME": str(empty), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""  # none of them imported
    assert "99490" in result.stdout
    assert list(empty.iterdir()) == []  # no database, key or settings file made


def test_the_default_year_is_this_year(home):
    year = date.today().year
    if (RULE_FILES / f"{year}.toml").is_file():
        assert js(home, "rules", "show")["year"] == year
    else:
        fails(home, "rules", "show", match=f"no billing rules for {year}")


def test_bad_years_are_one_sentence(home):
    have = ", ".join(sorted(p.stem for p in RULE_FILES.glob("*.toml")))
    fails(home, "rules", "show", "--year", "2040",
          match=f"There are no billing rules for 2040 (the app has rules for {have}); pass "
          "--year with one of them.")
    fails(home, "rules", "show", "--year", "26", match="four digits such as 2026", code=2)
    fails(home, "rules", "show", "--year", "twenty", match="not 'twenty'", code=2)
