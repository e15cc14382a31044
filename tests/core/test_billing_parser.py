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
    assert rules.programs == ("CCM", "PCM", "APCM", "BHI", "COCM", "RPM", "CPO_HOME_HEALTH",
                              "CPO_HOSPICE")
    for program in rules.programs:
        assert rules.tracks_by_program[program], program
    for rule in rules.codes.values():
        assert rule.payment_usd > 0 and rule.payment_source
        assert rule.confidence in Confidence and rule.payment_confidence in Confidence


def test_2026_adds_99470_and_the_apcm_add_ons_and_keeps_the_rest() -> None:
    r25, r26 = parse_rules(raw(2025)), parse_rules(raw(2026))
    assert set(r26.codes) - set(r25.codes) == {"99470", "G0568", "G0569", "G0570"}
    assert [c.code for c in r26.monthly_addons] == ["G0568", "G0569", "G0570"]
    assert r25.monthly_addons == ()
    assert [t.name for t in r26.tracks_by_program["RPM"]] == ["rpm_20", "rpm_10"]
    rule = r26.codes["99470"]
    assert (rule.threshold_minutes, rule.only_below_minutes, rule.hold_unless) == (
        10, 20, ("interactive_contact",)
    )


def test_the_code_table_matches_the_reference() -> None:
    rules = parse_rules(raw(2025))
    table = {
        c.code: (c.program, c.time, c.threshold_minutes, c.addon, c.increment_minutes,
                 c.max_units, c.edit_units)
        for c in rules.codes.values()
    }
    staff, prac = TimeBasis.STAFF, TimeBasis.PRACTITIONER
    # max_units: a CPT/CMS cap (refused past it); edit_units: a payer edit (MUE, warned past).
    assert table == {
        "99490": ("CCM", staff, 20, "99439", None, 1, None),
        "99439": ("CCM", staff, None, None, 20, 2, None),  # CY 2020 rule (G2058), reference 2.1
        "99487": ("CCM", staff, 60, "99489", None, 1, None),
        "99489": ("CCM", staff, None, None, 30, None, 10),  # MUE 10 (PayerReady)
        "99491": ("CCM", prac, 30, "99437", None, 1, None),
        "99437": ("CCM", prac, None, None, 30, None, 2),  # MUE 2 (PayerReady)
        "99426": ("PCM", staff, 30, "99427", None, 1, None),
        "99427": ("PCM", staff, None, None, 30, None, 2),  # vendor pages: an edit, not CPT
        "99424": ("PCM", prac, 30, "99425", None, 1, None),
        "99425": ("PCM", prac, None, None, 30, None, 2),  # MUE 2 (PayerReady)
        "G0556": ("APCM", staff, None, None, None, 1, None),  # monthly, no time (CMS-1807-F)
        "G0557": ("APCM", staff, None, None, None, 1, None),
        "G0558": ("APCM", staff, None, None, None, 1, None),
        "99484": ("BHI", staff, 20, None, None, 1, None),
        "99492": ("COCM", staff, 70, "99494", None, 1, None),  # full thresholds, not midpoint
        "99493": ("COCM", staff, 60, "99494", None, 1, None),
        "99494": ("COCM", staff, None, None, 30, None, None),
        "G2214": ("COCM", staff, 30, None, None, 1, None),
        "99457": ("RPM", staff, 20, "99458", None, 1, None),
        "99458": ("RPM", staff, None, None, 20, None, 3),  # CMS MUE file since July 2023
        "G0181": ("CPO_HOME_HEALTH", prac, 30, None, None, 1, None),
        "G0182": ("CPO_HOSPICE", prac, 30, None, None, 1, None),
    }
    assert rules.codes["99487"].requires == ("complex_mdm", "care_plan_revised")
    assert [t.name for t in rules.tracks_by_program["COCM"]] == [
        "cocm_first", "cocm_later", "cocm_30"]
    assert rules.codes["99494"].also_addon_to == ("99493",)
    assert (rules.codes["99492"].first_month, rules.codes["99493"].first_month,
            rules.codes["G2214"].first_month) == (True, False, None)
    levels = {c: (rules.codes[c].chronic_conditions_min, rules.codes[c].chronic_conditions_max,
                  rules.codes[c].qmb, rules.codes[c].monthly) for c in ("G0556", "G0557", "G0558")}
    assert levels == {"G0556": (None, 1, False, True), "G0557": (2, None, False, True),
                      "G0558": (2, None, True, True)}


def test_the_2026_apcm_add_ons_mirror_their_codes() -> None:
    """CY 2026 PFS final rule CMS-1832-F (reference 2.7): G0568/G0569/G0570 mirror 99492,
    99493 and 99484, with the APCM base code only, one CoCM or BHI add-on a month."""
    rules = parse_rules(raw(2026))
    table = {c.code: (c.work_program, c.mirrors, c.first_month, c.work_minutes, c.billed_with)
             for c in rules.monthly_addons}
    apcm = ("G0556", "G0557", "G0558")
    assert table == {"G0568": ("COCM", "99492", True, 70, apcm),
                     "G0569": ("COCM", "99493", False, 60, apcm),
                     "G0570": ("BHI", "99484", None, 20, apcm)}
    for addon in rules.monthly_addons:
        assert rules.codes[addon.mirrors or ""].payment_usd == addon.payment_usd
    assert {"99484", "G0568", "G0569"} <= rules.conflicts["G0570"]
    assert {"99492", "99493", "99494", "G2214"} <= rules.conflicts["G0568"]


def test_no_payment_is_marked_from_memory_without_u() -> None:
    """A payment the team could not source is an estimate marked U (the report warns)."""
    for year in (2025, 2026):
        for rule in parse_rules(raw(year)).codes.values():
            if "from memory" in rule.payment_source or "not found" in rule.payment_source:
                assert rule.payment_confidence is Confidence.UNCERTAIN, (year, rule.code)


def test_2026_payments_from_the_rvus_are_rvu_times_the_conversion_factor() -> None:
    """Issue 15: 99437 and 99425 from the CY 2026 RVUs (PayerReady / CPT Code Calculator,
    2026 MPFS) x the 2026 CF $33.4009, rounded to the cent."""
    rules = parse_rules(raw(2026))
    for code, rvu in (("99437", 1.89), ("99425", 1.84), ("99492", 4.47), ("G0568", 4.47)):
        assert rules.codes[code].payment_usd == round(rvu * 33.4009, 2), code
        assert rules.codes[code].payment_confidence is Confidence.SECONDARY


def test_exclusions_are_read_both_ways() -> None:
    rules = parse_rules(raw(2025))
    assert "99490" in rules.conflicts["99426"] and "99426" in rules.conflicts["99490"]
    assert "99490" in rules.conflicts["G0181"] and "G0181" in rules.conflicts["99490"]
    # BHI may share a month with every program but CoCM (one or the other, CMS-1654-F).
    assert rules.conflicts["99484"] & set(rules.codes) == {"99492", "99493", "99494", "G2214"}
    assert {"99490", "99424"} <= rules.conflicts["G0557"]  # APCM bundles CCM and PCM


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
        (("codes", "99437", "edit_units"), 0, "positive whole number"),
        (("codes", "99490", "edit_units"), 2, "put it on the add-on"),
        (("codes", "99439", "edit_units"), 2, "below max_units"),
        (("codes", "99490", "monthly"), "yes", "true or false"),
        (("codes", "99490", "monthly"), True, "no minutes"),
        (("codes", "99490", "qmb"), True, "need monthly"),
        (("codes", "G0557", "threshold_minutes"), 20, "no minutes"),
        (("codes", "G0557", "max_units"), 2, "once a month"),
        (("codes", "G0557", "track"), KeyError, "must name its track"),
        (("codes", "G0557", "chronic_conditions_max"), 1, "above chronic_conditions_max"),
        (("codes", "G0557", "chronic_conditions_min"), -1, "0 or more"),
        (("codes", "99439", "first_month"), True, "follows its base"),
        (("codes", "99492", "first_month"), "first", "true or false"),
        (("codes", "99494", "also_addon_to"), ["99490"], "addon"),
        (("codes", "99490", "also_addon_to"), ["99491"], "only an add-on"),
        (("codes", "99490", "work_program"), "COCM", "billed_with"),
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


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("codes", "G0568", "billed_with"), ["99490"], "must be a monthly code"),
        (("codes", "G0568", "work_program"), "TCM", "work_program"),
        (("codes", "G0568", "threshold_minutes"), 70, "no track, minutes"),
        (("codes", "G0568", "track"), "bh", "no track, minutes"),
        (("codes", "G0568", "mirrors"), 99492, "must be a code"),
        (("codes", "G0568", "max_units"), 2, "billed once"),
        (("codes", "G0568", "qmb"), True, "need monthly"),
    ],
)
def test_mistakes_in_an_add_on_of_a_monthly_code_are_named(
        path: tuple[str, ...], value: Any, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(mutate(path, value, year=2026))
