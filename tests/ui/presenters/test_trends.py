"""The dashboard's words and scales, without a screen."""

from __future__ import annotations

import pytest

from ccm_timer.services.month.trends import MonthState, MonthTrend, ProgramMonth
from ccm_timer.ui.presenters import trends as words


def _month(state: MonthState, held: int = 0, days_left: int | None = None,
           problem: str | None = None, month: str = "2026-11") -> MonthTrend:
    programs = () if state is MonthState.NO_RULES else (
        ProgramMonth("CCM", 3, held, 4, 3 * 25 * 60 + 59), ProgramMonth("RPM", 1, 0, 1, 600))
    return MonthTrend(month, state, programs, 4, held, 5, days_left, problem)


@pytest.mark.parametrize("trend, said", [
    (_month(MonthState.CLOSED), ""),
    (_month(MonthState.HELD, held=1), "1 patient held"),
    (_month(MonthState.HELD, held=3), "3 patients held"),
    (_month(MonthState.IN_PROGRESS, days_left=2), "In progress (2 days left)"),
    (_month(MonthState.IN_PROGRESS, held=2, days_left=1),
     "In progress (last day); 2 patients held"),
    (_month(MonthState.NO_RULES, problem="No billing rules for 2024: what is billable is not "
            "known."), "No billing rules for 2024: what is billable is not known."),
])
def test_a_months_state_in_words(trend, said) -> None:
    assert words.state_words(trend) == said


def test_the_table_lists_each_program_of_each_month_and_a_month_not_known() -> None:
    rows = words.table_rows([_month(MonthState.NO_RULES, problem="Not known.", month="2024-06"),
                             _month(MonthState.HELD, held=1)])
    assert rows[0] == ("November 2026", "CCM", "3", "1", "4", "75", "1 patient held")
    assert rows[1] == ("November 2026", "RPM", "1", "0", "1", "10", "1 patient held")
    assert rows[2] == ("June 2024", "—", "0", "0", "0", "0", "Not known.")


def test_the_current_month_panel_names_each_program() -> None:
    lines = dict(words.current_lines(_month(MonthState.IN_PROGRESS, days_left=6)))
    assert lines["Status"] == "In progress (6 days left)"
    assert lines["CCM"] == "3 billable patients, 75 min"
    assert lines["RPM"] == "1 billable patient, 10 min"
    assert words.current_lines(None) == [("This month", "computing…")]


@pytest.mark.parametrize("value, expected", [
    (0, (1, 1)), (3, (3, 1)), (17, (20, 5)), (67, (80, 20)), (855, (1000, 500)),
    (1200, (1500, 500))])
def test_axes_end_on_a_round_step(value, expected) -> None:
    assert words.axis_top(value) == expected


def test_colours_are_distinct_for_every_program() -> None:
    assert len(set(words.COLOURS.values())) == len(words.COLOURS)
    assert words.short_month("2027-01") == "Jan 2027" and words.short_month("2026-11") == "Nov"
