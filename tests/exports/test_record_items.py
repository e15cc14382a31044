"""The record in the export document, pure: conditions in order, the diagnosis codes a claim
line points to, a consent judged by its program's rule, the care plan and its review."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ccm_timer.exports import record_items

NEW_YORK = ZoneInfo("America/New_York")
CCM_RULE = ("method", "obtained_by", "cost_sharing", "one_practitioner", "right_to_stop")


def _conditions(*codes: tuple[str, str | None]) -> list[dict]:
    return record_items.conditions(
        [{"code": code, "description": f"about {code}", "since": None, "category": category}
         for code, category in codes])


def test_conditions_chronic_first_then_by_code_with_labels():
    rows = record_items.conditions([
        {"code": "J06.9", "description": "Acute URI", "since": date(2026, 11, 2),
         "category": None},
        {"code": "I10", "description": "Hypertension", "since": "2015-06-01",
         "category": "Hypertension"},
        {"code": "E11.9", "description": "Diabetes", "since": None, "category": "Diabetes"},
    ])
    assert [(c["code"], c["chronic"], c["since"], c["since_label"]) for c in rows] == [
        ("E11.9", True, None, ""), ("I10", True, "2015-06-01", "06/01/2015"),
        ("J06.9", False, "2026-11-02", "11/02/2026")]
    assert rows[0]["category"] == "Diabetes" and rows[2]["category"] is None


def test_ccm_and_pcm_point_to_chronic_conditions_other_programs_to_all():
    on_file = _conditions(("J06.9", None), ("E11.9", "Diabetes"), ("I10", "Hypertension"))
    assert record_items.diagnoses("CCM", on_file) == ["E11.9", "I10"]
    assert record_items.diagnoses("PCM", on_file) == ["E11.9", "I10"]
    assert record_items.diagnoses("RPM", on_file) == ["E11.9", "I10", "J06.9"]
    assert record_items.diagnoses("CCM", _conditions(("J06.9", None))) == []


def test_a_claim_holds_twelve_diagnoses_at_most():
    many = _conditions(*[(f"N18.{i}", "Chronic kidney disease") for i in range(1, 10)],
                       *[(f"I{n}", "Hypertension") for n in (10, 11, 12, 13, 15)],
                       ("J06.9", None))
    ccm = record_items.diagnoses("CCM", many)
    assert len(ccm) == 12 and "J06.9" not in ccm
    assert ccm[:2] == ["I10", "I11"]  # in the order on file (by code)
    assert len(record_items.diagnoses("BHI", many)) == 12


def _enrollment(**over) -> dict:
    base = {"program": "CCM", "consent_date": "2026-01-05", "consent_method": "verbal",
            "consent_by": "Avery Nurse",
            "disclosures": ["right-to-stop", "cost-sharing", "one-practitioner"],
            "withdrawn_on": None, "has_document": False}
    return {**base, **over}


def test_a_complete_consent_in_words():
    c = record_items.consent(_enrollment(), "Chronic Care Management", CCM_RULE,
                             {"Avery Nurse": "Avery Nurse, RN"})
    assert c["complete"] and c["missing"] == []
    assert (c["date"], c["date_label"], c["method"], c["obtained_by"],
            c["obtained_by_label"]) == ("2026-01-05", "01/05/2026", "verbal", "Avery Nurse",
                                        "Avery Nurse, RN")
    # always in the same order, whatever order they were stored in
    assert c["disclosures"] == ["cost-sharing", "one-practitioner", "right-to-stop"]
    assert c["disclosure_labels"] == ["cost sharing",
                                      "only one practitioner can bill it each month",
                                      "the right to stop at any time"]


def test_an_incomplete_consent_says_what_is_missing():
    c = record_items.consent(_enrollment(consent_by=None, consent_method="",
                                         disclosures=["cost-sharing"]), "CCM", CCM_RULE)
    assert not c["complete"]
    assert c["missing"] == ["how it was given", "who obtained it",
                            "the one-practitioner disclosure", "the right-to-stop disclosure"]
    assert c["obtained_by"] is None and c["obtained_by_label"] == ""


def test_complete_means_what_the_programs_rule_asks_for():
    """RPM's rule asks for the method and who obtained it, not the disclosures: the same
    consent is complete for RPM and not for CCM, as the engine holds the lines."""
    bare = _enrollment(disclosures=[])
    assert record_items.consent(bare, "RPM", ("method", "obtained_by"))["complete"]
    assert not record_items.consent(bare, "CCM", CCM_RULE)["complete"]


def test_no_consent_and_a_withdrawn_one():
    none = record_items.consent(_enrollment(consent_date=None, consent_method=None,
                                            consent_by=None, disclosures=[]), "CCM", CCM_RULE)
    assert (none["complete"], none["missing"], none["date_label"]) == (
        False, ["the consent date"], "not on file")
    gone = record_items.consent(_enrollment(withdrawn_on="2026-11-20", has_document=True),
                                "CCM", CCM_RULE)
    assert (gone["withdrawn_on"], gone["withdrawn_label"], gone["has_document"]) == (
        "2026-11-20", "11/20/2026", True)


def test_one_consent_per_program_the_one_the_engine_judges():
    copies = [_enrollment(consent_date=None), _enrollment(consent_date="2026-03-01"),
              _enrollment(consent_date="2026-01-05", consent_by="Dr Blake Test"),
              _enrollment(program="RPM")]
    kept = record_items.one_per_program(copies)
    assert [(e["program"], e["consent_date"], e["consent_by"]) for e in kept] == [
        ("CCM", "2026-01-05", "Dr Blake Test"), ("RPM", "2026-01-05", "Avery Nurse")]


def test_care_plan_in_kind_order_and_the_review_on_the_clinics_day():
    at = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    items = [{"kind": k, "text": t, "condition_code": None, "created_at": at,
              "created_by": "Dr Blake Test"}
             for k, t in (("intervention", "Monthly call"), ("goal", "BP below 140/90"),
                          ("problem", "Hypertension"), ("goal", "A1c below 8%"))]
    # 02:30 UTC on 10 November is still the 9th in New York
    review = {"at": datetime(2026, 11, 10, 2, 30), "by": "Dr Blake Test", "substantial": 1}
    plan = record_items.care_plan(items, review, True, NEW_YORK,
                                  {"Dr Blake Test": "Dr Blake Test, MD"})
    assert [(i["kind"], i["text"]) for i in plan["items"]] == [
        ("problem", "Hypertension"), ("goal", "A1c below 8%"), ("goal", "BP below 140/90"),
        ("intervention", "Monthly call")]
    assert plan["items"][0]["created_at"] == "2026-11-03T15:00:00+00:00"
    assert plan["items"][0]["created_label"] == "11/03/2026"
    assert plan["last_review"] == {"at": "2026-11-10T02:30:00+00:00", "at_label": "11/09/2026",
                                   "by": "Dr Blake Test", "by_label": "Dr Blake Test, MD",
                                   "substantial": True}
    assert plan["revised_in_month"] is True
    assert record_items.care_plan([], None, False, NEW_YORK) == {
        "items": [], "last_review": None, "revised_in_month": False}
