"""Where a patient stands against a program's thresholds: the figures a progress bar draws.

Qt-free. The bar of a program counts the chosen track's pool of seconds; its ticks are the
thresholds of that track and of any track on the same pool that would pay more further on
(so RPM at 12 minutes shows 99470 at 10 and 99457 at 20, and complex CCM's 60/90 appear once
the month flags make it available). The caption names the nearest threshold that would pay
more, whichever track it is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccm_timer.core.billing import NextThreshold, PatientMonthResult, RuleSet, Track
from ccm_timer.services.month.next_code import next_code, worth_more

NEAR_SECONDS = 5 * 60  # "within 5 minutes of a threshold"
USUAL_ADDONS = 2  # add-on units a bar shows before it stretches for a long month


@dataclass(frozen=True)
class Tick:
    seconds: int
    codes: str  # "99490", or "99439/99487" where two tracks share a threshold


@dataclass(frozen=True)
class ProgramProgress:
    program: str
    seconds: int  # the pool the chosen track counts
    ticks: tuple[Tick, ...]
    scale: int  # seconds at the bar's right end
    next: NextThreshold | None  # nearest threshold that would pay more
    next_other_pool: bool  # only the practitioner's own minutes reach the next threshold
    held: bool  # this program's lines are held (no consent, flag missing, ...)
    earned: bool  # at least one line

    @property
    def seconds_needed(self) -> int | None:
        return None if self.next is None else self.next.seconds_needed

    @property
    def near(self) -> bool:
        needed = self.seconds_needed
        return needed is not None and needed <= NEAR_SECONDS

    @property
    def caption(self) -> str:
        if self.next is None:
            return "every unit earned" if self.earned else "nothing to earn"
        minutes = -(-self.next.seconds_needed // 60)  # 30 s to go is 1 minute to go
        who = " (practitioner)" if self.next_other_pool else ""
        return f"{minutes} min to {self.next.code}{who}"


def _thresholds(track: Track, reach: int) -> list[int]:
    """Every threshold of the track up to its usual top, or further if `reach` is beyond."""
    first = track.threshold_seconds
    inc = track.increment_seconds
    if track.addon is None or inc is None:
        return [first]
    cap = track.addon.max_units
    found = [first]
    units = 1
    while cap is None or units <= cap:
        at = first + units * inc
        if units > USUAL_ADDONS and at - inc >= reach:
            break
        found.append(at)
        units += 1
    return found


def _usual_top(track: Track) -> int:
    inc = track.increment_seconds
    if track.addon is None or inc is None:
        return track.threshold_seconds
    units = USUAL_ADDONS if track.addon.max_units is None else min(
        USUAL_ADDONS, track.addon.max_units)
    return track.threshold_seconds + units * inc


def _ticks(in_play: list[Track], pool: int) -> tuple[Tick, ...]:
    codes: dict[int, list[str]] = {}
    for track in in_play:
        for i, at in enumerate(_thresholds(track, pool)):
            code = track.base.code if i == 0 else (track.addon.code if track.addon else "")
            if code not in codes.setdefault(at, []):
                codes[at].append(code)
    return tuple(Tick(at, "/".join(c)) for at, c in sorted(codes.items()))


def _scale(in_play: list[Track], ticks: tuple[Tick, ...], pool: int) -> int:
    """The same scale for every patient of a program, unless a long month runs past it:
    then up to the next tick (or the pool itself once every unit is earned)."""
    usual = max(_usual_top(t) for t in in_play)
    if pool <= usual:
        return usual
    beyond = [t.seconds for t in ticks if t.seconds >= pool]
    return min(beyond) if beyond else pool


def program_progress(result: PatientMonthResult, rules: RuleSet) -> tuple[ProgramProgress, ...]:
    found = []
    for choice in result.tracks:
        tracks = {t.name: t for t in rules.tracks_by_program.get(choice.program, ())}
        chosen = tracks.get(choice.chosen)
        if chosen is None:
            continue
        # One choice with the worklist (services/month/next_code.py): the thresholds that
        # would pay more, and the nearest of them with whose minutes reach it.
        worth = worth_more(result, rules, choice.program)
        nearest = next_code(result, rules, choice.program)
        # The chosen track's ticks, and those of any track on the same pool that would pay
        # more further on (RPM's 99457 above 99470; complex CCM once the flags allow it).
        ahead = {n.track for n in worth}
        in_play = [t for t in tracks.values()
                   if t is chosen or (t.time is chosen.time and t.name in ahead)]
        pool = choice.chosen_seconds
        ticks = _ticks(in_play, pool)
        best = None if nearest is None else nearest.threshold
        other_pool = nearest is not None and nearest.practitioner_only
        lines = [line for line in result.lines if line.program == choice.program]
        found.append(ProgramProgress(
            choice.program, pool, ticks, max(_scale(in_play, ticks, pool), 1), best,
            other_pool, any(line.held for line in lines), bool(lines)))
    return tuple(found)
