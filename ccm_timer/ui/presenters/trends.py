"""What the month dashboard says and draws, Qt-free: month labels, the words for a held or
unsettled month, the table of the same numbers as the chart, the current month's figures,
axis steps, and one patient's days.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); every figure drawn is also in a table or a sentence, for a screen reader or
a printout.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

from ccm_timer.core.billing.warnings import PROGRAM_WORDS
from ccm_timer.core.month import parse_month
from ccm_timer.services.month.trends import MonthState, MonthTrend, PatientDays, ProgramDays

# Okabe-Ito, in the order programs are listed (store.models.Program).
COLOURS = {"CCM": "#0072B2", "PCM": "#E69F00", "BHI": "#009E73", "RPM": "#CC79A7",
           "CPO_HOME_HEALTH": "#56B4E9", "CPO_HOSPICE": "#D55E00", "APCM": "#000000",
           "COCM": "#F0E442"}
OTHER_COLOUR = "#999999"
HELD_COLOUR = "#b45309"  # the overview's colour for held codes
TABLE_HEADERS = ("Month", "Program", "Billable patients", "Held patients",
                 "Patients with time", "Minutes", "Month status")


def program_name(program: str) -> str:
    return PROGRAM_WORDS.get(program, program)


def colour(program: str) -> str:
    return COLOURS.get(program, OTHER_COLOUR)


def month_title(month: str) -> str:
    ym = parse_month(month)
    return f"{calendar.month_name[ym.month]} {ym.year}"


def short_month(month: str) -> str:
    """"Nov", and "Jan 2027" where a year begins (the axis names each year once)."""
    ym = parse_month(month)
    name = calendar.month_abbr[ym.month]
    return f"{name} {ym.year}" if ym.month == 1 else name


def minutes(seconds: int) -> int:
    return seconds // 60  # whole minutes reached, as billing counts them


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def state_words(trend: MonthTrend) -> str:
    """How settled the month is, in words ("" for a closed month with nothing held)."""
    if trend.state is MonthState.NO_RULES:
        return trend.problem or "Billable is not known."
    if trend.state is MonthState.IN_PROGRESS:
        left = trend.days_left or 0
        said = ("last day" if left <= 1 else plural(left, "day") + " left")
        held = f"; {plural(trend.held_patients, 'patient')} held" if trend.held_patients else ""
        return f"In progress ({said}){held}"
    if trend.state is MonthState.HELD:
        return f"{plural(trend.held_patients, 'patient')} held"
    return ""


def axis_label(trend: MonthTrend) -> str:
    """The short word under a month's bars: in progress, held or not known."""
    return {MonthState.IN_PROGRESS: "so far", MonthState.HELD: "held",
            MonthState.NO_RULES: "not known"}.get(trend.state, "")


def programs_in(trends: list[MonthTrend]) -> list[str]:
    """Every program with figures in any month, in the order the service lists them."""
    seen: list[str] = []
    for trend in trends:
        for item in trend.programs:
            if item.program not in seen:
                seen.append(item.program)
    order = list(COLOURS)
    return sorted(seen, key=lambda p: order.index(p) if p in order else len(order))


def table_rows(trends: list[MonthTrend]) -> list[tuple[str, ...]]:
    """The chart's numbers, one row per month and program (newest month first), and a row
    for a month without any program so every month is listed."""
    rows: list[tuple[str, ...]] = []
    for trend in sorted(trends, key=lambda t: t.month, reverse=True):
        status = state_words(trend)
        if not trend.programs:
            rows.append((month_title(trend.month), "—", "0", "0", "0", "0",
                         status or "No time"))
            continue
        for item in trend.programs:
            unknown = trend.state is MonthState.NO_RULES
            rows.append((month_title(trend.month), program_name(item.program),
                         "—" if unknown else f"{item.billable_patients:,}",
                         "—" if unknown else f"{item.held_patients:,}",
                         f"{item.patients_with_time:,}", f"{minutes(item.seconds):,}", status))
    return rows


def current_lines(trend: MonthTrend | None) -> list[tuple[str, str]]:
    """The current month's figures as (label, value) lines, for the panel beside the chart."""
    if trend is None:
        return [("This month", "computing…")]
    lines = [("Month", month_title(trend.month))]
    status = state_words(trend)
    if status:
        lines.append(("Status", status))
    lines += [("Billable patients", f"{trend.billable_patients:,}"),
              ("Held patients", f"{trend.held_patients:,}"),
              ("Patients in the month", f"{trend.patients:,}"),
              ("Minutes counted", f"{minutes(trend.seconds):,}")]
    for item in trend.programs:
        lines.append((program_name(item.program),
                      f"{plural(item.billable_patients, 'billable patient')}, "
                      f"{minutes(item.seconds):,} min"))
    return lines


def nice_step(top: float, ticks: int = 4) -> int:
    """A round step (1, 2, 5 × 10^n) giving about `ticks` gridlines up to `top`."""
    raw = max(top, 1) / ticks
    base = 1
    while base * 10 <= raw:
        base *= 10
    for mult in (1, 2, 5, 10):
        if base * mult >= raw:
            return base * mult
    return base * 10


def axis_top(value: float, ticks: int = 4) -> tuple[int, int]:
    """(top, step): the axis reaches the first step at or above `value`."""
    step = nice_step(value, ticks)
    top = step * max(1, -(-int(value) // step))
    return top, step


# -- one patient's days ------------------------------------------------------------------


@dataclass(frozen=True)
class DayBar:
    day: int  # 1-based
    seconds: int  # counted
    before_consent: int  # shown, not counted
    running: int  # counted seconds up to the end of this day


def day_bars(program: ProgramDays) -> list[DayBar]:
    bars, running = [], 0
    for i, secs in enumerate(program.seconds_by_day):
        running += secs
        bars.append(DayBar(i + 1, secs, program.before_consent_by_day[i], running))
    return bars


def daily_caption(days: PatientDays, program: ProgramDays | None) -> str:
    """One line under the patient's chart: what is counted, against which threshold."""
    if program is None:
        return "No program and no time this month."
    name, counted = program_name(program.program), minutes(program.counted_seconds)
    if program.own_time_only:  # staff time is no part of this track's pool
        said = f"{name}: {counted} min of the practitioner's own time counted"
        if program.worked_seconds > program.counted_seconds:
            said += f" ({minutes(program.worked_seconds)} min in all)"
    else:
        said = f"{name}: {counted} min counted"
    if program.billable_codes:
        said += f"; billable {', '.join(program.billable_codes)}"
    if program.held_codes:
        why = f" ({program.hold_reason})" if program.hold_reason else ""
        said += f"; held {', '.join(program.held_codes)}{why}"
    ahead = [t for t in program.thresholds if t.seconds > program.counted_seconds]
    if ahead:
        need = -(-(ahead[0].seconds - program.counted_seconds) // 60)
        said += f"; {need} min to {ahead[0].code}"
    early = sum(program.before_consent_by_day)
    if early:
        said += f"; {minutes(early)} min before consent, not counted"
    return said + "."


def daily_summary(days: PatientDays, program: ProgramDays | None) -> str:
    """The chart in words (its accessible description): each day with time."""
    if program is None:
        return daily_caption(days, program)
    ym = parse_month(days.month)
    worked = [f"{calendar.month_abbr[ym.month]} {bar.day}: {minutes(bar.seconds)} min"
              for bar in day_bars(program) if bar.seconds]
    listed = "; ".join(worked) if worked else "no time yet"
    return f"{program_name(program.program)} minutes per day, {month_title(days.month)}: " \
           f"{listed}. {daily_caption(days, program)}"
