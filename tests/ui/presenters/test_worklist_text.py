"""The worklist's wording (ui/presenters/worklist.py), without a screen."""

from __future__ import annotations

from datetime import date

from ccm_timer.services.month.worklist import Worklist, WorkRow
from ccm_timer.ui.presenters import worklist as text


def _row(mrn: str, name: str, seconds: int, threshold: int, *, earned: bool = False,
         no_contact: bool = False, held: str | None = None) -> WorkRow:
    family, given = name.split(", ")
    return WorkRow(mrn, family, given, "CCM", seconds, threshold * 60, "99490",
                   threshold * 60 - seconds, earned, no_contact, None, None, held)


ROWS = (_row("T1", "Ñúñez, Rosa", 0, 20, no_contact=True),
        _row("T2", "Testpatient, Alma", 17 * 60 + 30, 20),
        _row("T3", "Nilsson, Per", 21 * 60, 40, earned=True))
WL = Worklist("2026-11", "America/New_York", date(2026, 11, 28), 3, ROWS)


def test_cells_say_minutes_needed_per_day_and_contact():
    assert text.cells(ROWS[0], 3, False) == (
        "Ñúñez, Rosa", "T1", "CCM", "0 of 20", "20 min to 99490", "6.7 min/day",
        text.NO_CONTACT, "—", "not yet")
    assert text.cells(ROWS[1], 3, True)[:5] == ("A.T. …T2", "T2", "CCM", "17 of 20",
                                                "3 min to 99490")  # 2:30 to go is 3 minutes
    assert text.cells(ROWS[2], 0, False)[5] == "19 min/day"  # the month is over
    assert text.cells(ROWS[2], 0, False)[text.CLAIM_COLUMN] == "earned"


def test_a_held_claim_says_why_and_whose_minutes():
    held = _row("T4", "Sample, José", 0, 20, held="the CCM consent is incomplete")
    assert text.cells(held, 3, False)[text.CLAIM_COLUMN] == (
        "Held: the CCM consent is incomplete")
    wl = Worklist("2026-11", "UTC", date(2026, 11, 28), 3, (*ROWS, held))
    assert text.summary(wl, wl.rows) == (
        "2 patients short of a first code · 1 with no contact yet · 1 could earn more · "
        "1 held (time will not pay until the reason is fixed) · 3 days left in November 2026")
    own = WorkRow("T5", "Trial", "Bea", "CCM", 28 * 60, 30 * 60, "99491", 120, True, False,
                  practitioner_only=True)
    assert text.cells(own, 3, False)[4] == "2 min to 99491 (practitioner)"


def test_names_sort_as_people_read_them():
    key = text.COLUMNS[0].key
    assert [r.mrn for r in sorted(ROWS, key=lambda r: key(r, False))] == ["T3", "T1", "T2"]


def test_summary_and_empty_sentences():
    assert text.summary(WL, ROWS) == ("2 patients short of a first code · 1 with no contact "
                                      "yet · 1 could earn more · 3 days left in November 2026")
    assert text.summary(WL, ROWS[:1]).startswith("Showing 1 of 3 · 1 patient short")
    assert text.empty_text(WL, True).startswith("No patient matches these filters")
    assert "nobody is waiting for time" in text.empty_text(
        Worklist("2026-11", "UTC", date(2026, 11, 28), 3, ()), False)
    assert text.days_text(Worklist("2026-10", "UTC", date(2026, 11, 28), 0, ())) == (
        "October 2026 is over")
