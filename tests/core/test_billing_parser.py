"""The rule-table parser: the real files parse, and every kind of mistake is named."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ccm_timer.core.billing import Confidence, RulesError, TimeBasis, parse_rules

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "billing_rules"


def raw(year: int) -> dict[str, Any]:
    return tomllib.loads((RULES_DIR / f"{year}.toml").read_text("utf-8"))


@pytest.mark.parametrize("year", [2025, 2026])
def test_real_files_parse_with_every_program(year: int) -> None:
    rules = parse_rules(raw(year))
    assert rules.year == year
    assert rules.programs == ("CCM", "PCM", "BHI", "RPM", "CPO_HOME_HEALTH", "CPO_HOSPICE")
    for program in rules.programs:
        assert rules.tracks_by_program[program], program
    for rule in rules.codes.values():
        assert rule.payment_usd > 0 and rule.payment_source
        assert rule.confidence in Confidence and rule.payment_confidence in Confidence


def test_2026_adds_99470_and_keeps_the_rest() -> None:
    r25, r26 = parse_rules(raw(2025)), parse_rules(raw(2026))
    assert set(r26.codes) - set(r25.codes) == {"99470"}
    assert [t.name for t in r26.tracks_by_program["RPM"]] == ["rpm_20", "rpm_10"]
    rule = r26.codes["99470"]
    assert (rule.threshold_minutes, rule.only_below_minutes, rule.hold_unless) == (
        10, 20, ("interactive_contact",)
    )


def test_the_code_table_matches_the_reference() -> None:
    rules = parse_rules(raw(2025))
    table = {
        c.code: (c.program, c.time, c.threshold_minutes, c.addon, c.increment_minutes,
                 c.max_units)
        for c in rules.codes.values()
    }
    staff, prac = TimeBasis.STAFF, TimeBasis.PRACTITIONER
    assert table == {
        "99490": ("CCM", staff, 20, "99439", None, 1),
        "99439": ("CCM", staff, None, None, 20, 2),
        "99487": ("CCM", staff, 60, "99489", None, 1),
        "99489": ("CCM", staff, None, None, 30, 10),
        "99491": ("CCM", prac, 30, "99437", None, 1),
        "99437": ("CCM", prac, None, None, 30, None),
        "99426": ("PCM", staff, 30, "99427", None, 1),
        "99427": ("PCM", staff, None, None, 30, 2),
        "99424": ("PCM", prac, 30, "99425", None, 1),
        "99425": ("PCM", prac, None, None, 30, None),
        "99484": ("BHI", staff, 20, None, None, 1),
        "99457": ("RPM", staff, 20, "99458", None, 1),
        "99458": ("RPM", staff, None, None, 20, None),
        "G0181": ("CPO_HOME_HEALTH", prac, 30, None, None, 1),
        "G0182": ("CPO_HOSPICE", prac, 30, None, None, 1),
    }
    assert rules.codes["99487"].requires == ("complex_mdm", "care_plan_revised")


def test_exclusions_are_read_both_ways() -> None:
    rules = parse_rules(raw(2025))
    assert "99490" in rules.conflicts["99426"] and "99426" in rules.conflicts["99490"]
    assert "99490" in rules.conflicts["G0181"] and "G0181" in rules.conflicts["99490"]
    assert not rules.conflicts["99484"] & set(rules.codes)  # BHI may share a month with all


def mutate(path: tuple[str, ...], value: Any, year: int = 2025) -> dict[str, Any]:
    data = copy.deepcopy(raw(year))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("schema",), 2, "schema"),
        (("year",), "2025", "year"),
        (("conversion_factor_usd",), 0, "conversion_factor_usd"),
        (("programs",), ["CCM", "CCM"], "programs"),
        (("surprise",), 1, "unknown top-level"),
        (("flags", "urgent"), "x", "flags"),
        (("codes",), {}, "codes"),
        (("codes", "99490", "program"), "TCM", "codes.99490.program"),
        (("codes", "99490", "time"), "nurse", "codes.99490.time"),
        (("codes", "99490", "threshold_minutes"), KeyError, "codes.99490.threshold_minutes"),
        (("codes", "99490", "threshold_minutes"), 0, "positive whole number"),
        (("codes", "99490", "threshold_minutes"), 19.5, "positive whole number"),
        (("codes", "99490", "threshold_minutes"), True, "positive whole number"),
        (("codes", "99490", "max_units"), 2, "one unit"),
        (("codes", "99490", "track"), KeyError, "track"),
        (("codes", "99490", "track"), "ccm_practitioner", "named twice"),
        (("codes", "99490", "addon"), "99427", "addon"),
        (("codes", "99490", "payment_usd"), -1, "payment_usd"),
        (("codes", "99490", "payment_usd"), KeyError, "payment_usd"),
        (("codes", "99490", "payment_source"), "", "payment_source"),
        (("codes", "99490", "confidence"), "X", "confidence"),
        (("codes", "99490", "requires"), ["full_moon"], "unknown month flag"),
        (("codes", "99490", "not_with"), "99491", "not_with"),
        (("codes", "99490", "tresh_minutes"), 20, "unknown key"),
        (("codes", "99439", "increment_minutes"), KeyError, "increment"),
        (("codes", "99439", "addon_to"), "99491", "addon_to"),
        (("codes", "99439", "time"), "practitioner", "shares its base"),
        (("codes", "99439", "threshold_minutes"), 40, "add-on takes"),
        (("codes", "99439", "only_below_minutes"), 40, "only base codes"),
        (("codes", "99484", "increment_minutes"), 20, "only add-on codes"),
        (("codes", "99484"), "twenty minutes", "must be a table"),
    ],
)
def test_mistakes_are_named(path: tuple[str, ...], value: Any, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(mutate(path, value))


def test_a_new_year_is_a_new_table_not_new_code() -> None:
    data = mutate(("year",), 2027)
    data["codes"]["99490"]["threshold_minutes"] = 25
    rules = parse_rules(data)
    assert (rules.year, rules.codes["99490"].threshold_minutes) == (2027, 25)
    summary: Any = rules.to_dict()
    assert summary["codes"]["99490"]["threshold_minutes"] == 25
