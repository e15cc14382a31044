"""Which threshold of a program to work toward next: the one choice the overview's progress
bar caption and the worklist both show (ui/overview/progress_figures.py,
services/month/worklist.py), so the two never disagree.

The nearest threshold that would pay more than what the program's chosen track earns now:
the chosen track's next, or another track's on its way (RPM's 99457 beyond 99470; 99491
for the practitioner's own minutes beyond 99490's). When a clinical-staff track is chosen
and the nearest is on a practitioner's-own-time track, only the billing practitioner's own
minutes reach it: said "(practitioner)", since a nurse's minutes never would.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccm_timer.core.billing import NextThreshold, PatientMonthResult, RuleSet, TimeBasis
from ccm_timer.core.billing.money import cents
from ccm_timer.core.billing.tracks import evaluate_track


@dataclass(frozen=True)
class NextCode:
    threshold: NextThreshold
    practitioner_only: bool  # only the billing practitioner's own minutes reach it

    @property
    def words(self) -> str:
        """"2 min to 99491 (practitioner)"; 30 s to go is 1 minute to go."""
        minutes = -(-self.threshold.seconds_needed // 60)
        who = " (practitioner)" if self.practitioner_only else ""
        return f"{minutes} min to {self.threshold.code}{who}"


def worth_more(result: PatientMonthResult, rules: RuleSet,
               program: str) -> tuple[NextThreshold, ...]:
    """The next thresholds of `program` that would pay more than its chosen track earns now
    (the chosen track's own always counts); none when no track is chosen."""
    choice = result.track_for(program)
    tracks = {t.name: t for t in rules.tracks_by_program.get(program, ())}
    if choice is None or choice.chosen not in tracks:
        return ()
    return tuple(n for n in result.next if n.program == program and n.track in tracks and (
        n.chosen or cents(evaluate_track(tracks[n.track], n.threshold_seconds).value_usd)
        > cents(choice.chosen_value_usd)))


def next_code(result: PatientMonthResult, rules: RuleSet, program: str) -> NextCode | None:
    """The nearest of `worth_more` (the chosen track's first on a tie); None when nothing
    more can be earned by time this month."""
    worth = worth_more(result, rules, program)
    best = min(worth, key=lambda n: (n.seconds_needed, not n.chosen), default=None)
    if best is None:
        return None
    tracks = {t.name: t for t in rules.tracks_by_program.get(program, ())}
    choice = result.track_for(program)
    chosen = tracks[choice.chosen] if choice is not None else None
    own = chosen is not None and chosen.time is TimeBasis.STAFF and (
        tracks[best.track].time is TimeBasis.PRACTITIONER)
    return NextCode(best, own)
