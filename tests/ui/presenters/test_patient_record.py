"""The words of the clinical record in the tray, read without a screen."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ccm_timer.services.people.care_plan import CarePlanItemView
from ccm_timer.services.people.conditions import ConditionView
from ccm_timer.services.people.enrollments import EnrollmentView
from ccm_timer.services.people.record_status import RecordStatus
from ccm_timer.store.models import Program
from ccm_timer.ui.presenters import patient_record as words

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _condition(code: str, category: str | None, **kw) -> ConditionView:
    return ConditionView(uuid.uuid4(), code, f"{code} description", kw.pop("since", None),
                         category, AT, "Avery Nurse", **kw)


def _consent(**kw) -> EnrollmentView:
    base = dict(id=uuid.uuid4(), program=Program.CCM, consent_date=date(2026, 1, 5),
                consent_method="verbal", start_date=date(2026, 1, 5), end_date=None)
    return EnrollmentView(**{**base, **kw})


def test_the_record_warning_line_and_the_programs() -> None:
    status = RecordStatus("T1002", ("CCM",), ("1 chronic condition (CCM needs 2)",
                                             "CCM consent missing who obtained it"))
    assert words.record_warning(status) == (
        "Record incomplete: 1 chronic condition (CCM needs 2), CCM consent missing who "
        "obtained it")
    assert words.programs_text(status) == "Programs: CCM"
    assert words.record_warning(RecordStatus("T1003", ("RPM",), ())) is None
    assert words.record_warning(None) is None
    assert words.programs_text(RecordStatus("T9", (), ())).startswith("Not enrolled")


def test_conditions_in_words() -> None:
    diabetes = _condition("E11.9", "Diabetes", since=date(2019, 4, 1))
    insulin = _condition("Z79.4", None)
    assert words.condition_cells(diabetes) == (
        "E11.9", "E11.9 description", "2019-04-01", "Yes — Diabetes")
    assert words.condition_cells(insulin) == ("Z79.4", "Z79.4 description", "—", "No")
    assert words.chronic_summary([diabetes, insulin], 2, "CCM") == (
        "1 chronic condition on file: CCM needs 2 (add 1 more to bill)")
    assert words.chronic_summary([diabetes, diabetes], 2, "CCM") == (
        "2 chronic conditions on file: CCM needs 2")
    assert words.chronic_summary([], 0) == "0 chronic conditions on file"
    gone = _condition("I10", "Hypertension", removed_at=AT, removed_by="Avery Nurse",
                      removal_reason="Entered for the wrong patient")
    assert words.removal_text(gone, NY) == (
        "removed 2026-11-20 by Avery Nurse: Entered for the wrong patient")
    assert words.removal_text(diabetes, NY) == "on file since 2026-11-20 (Avery Nurse)"


def test_a_refusal_while_typing_drops_nothing_was_written() -> None:
    assert words.typing_hint("E99.999X is not in the ICD-10-CM code set; check the code "
                             "(nothing was written).") == (
        "E99.999X is not in the ICD-10-CM code set; check the code.")
    assert words.typing_hint("'x' is not a code; nothing was written.") == (
        "'x' is not a code.")
    assert words.typing_hint("Something else.") == "Something else."


def test_consent_in_words_says_what_is_missing() -> None:
    complete = _consent(consent_by="Avery Nurse",
                        disclosures=("cost-sharing", "one-practitioner", "right-to-stop"))
    assert words.consent_line(complete) == (
        "CCM: consent 2026-01-05, verbal, obtained by Avery Nurse, all three disclosures")
    part = _consent(consent_method="written", disclosures=("cost-sharing",),
                    has_document=True)
    assert words.consent_line(part) == (
        "CCM: consent 2026-01-05, written, 1 of 3 disclosures, scan on file")
    assert words.consent_line(_consent(consent_date=None, consent_method=None)) == (
        "CCM: no consent on file (time is kept, codes are held)")
    gone = _consent(withdrawn_on=date(2026, 11, 10), withdrawal_reason="Moved away")
    assert words.consent_line(gone) == (
        "CCM: consent withdrawn 2026-11-10 (Moved away); enrolment ended")
    assert words.consent_hold(("who obtained it",)) == (
        "Lines are held until who obtained it is recorded.")
    assert words.consent_hold(("who obtained it", "the right-to-stop disclosure")) == (
        "Lines are held until who obtained it and the right-to-stop disclosure are recorded.")
    assert words.consent_hold(("the consent date",)) == (
        "Lines are held until the consent is recorded.")
    assert words.consent_hold(()) is None
    assert words.joined(["a", "b", "c"]) == "a, b and c"


def test_the_care_plan_review_in_words() -> None:
    today = date(2026, 11, 20)
    said, warn = words.review_text(None, None, NY, today)
    assert warn and said.startswith("Never reviewed")
    said, warn = words.review_text(datetime(2026, 3, 4, 15, tzinfo=UTC), "Dr Blake Test", NY,
                                   today)
    assert (said, warn) == ("Last reviewed 2026-03-04 by Dr Blake Test.", False)
    said, warn = words.review_text(datetime(2025, 11, 19, 15, tzinfo=UTC), "Avery Nurse", NY,
                                   today)
    assert warn and said == ("Last reviewed 2025-11-19 by Avery Nurse: not reviewed in 12 "
                             "months; review it with the patient.")


def test_care_plan_items_grouped_by_kind_oldest_first() -> None:
    def item(kind: str, text: str, hour: int, code: str | None = None) -> CarePlanItemView:
        return CarePlanItemView(uuid.uuid4(), kind, text, code,
                                datetime(2026, 11, 20, hour, tzinfo=UTC), "Dr Blake Test")

    later = item("problem", "Hypertension", 18, "I10")
    groups = words.grouped([item("intervention", "Monthly call", 16), later,
                            item("problem", "Diabetes", 17, "E11.9")])
    assert [(k, [i.text for i in v]) for k, v in groups.items()] == [
        ("problem", ["Diabetes", "Hypertension"]), ("goal", []),
        ("intervention", ["Monthly call"])]
    assert words.item_cells(later, NY) == ("Hypertension", "I10", "2026-11-20",
                                           "Dr Blake Test")
    assert "add the item again “as” that practitioner" in words.establish_notice("Avery Nurse")
