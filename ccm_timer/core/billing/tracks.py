"""Units, value and next threshold of one track for one pool of seconds (pure arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass

from ccm_timer.core.billing.rules import TimeBasis, Track


@dataclass(frozen=True, slots=True)
class TrackOutcome:
    track: Track
    pool_seconds: int  # the seconds this track may count
    base_units: int  # 0 or 1
    addon_units: int
    value_usd: float
    next_code: str | None  # None: nothing more to earn on this track this month
    next_at_seconds: int | None  # pool total at which next_code is earned
    over_cap_seconds: int  # seconds beyond the last capped add-on unit

    @property
    def earned(self) -> bool:
        return self.base_units > 0

    @property
    def base_seconds(self) -> int:
        return self.track.threshold_seconds if self.base_units else 0

    @property
    def addon_seconds(self) -> int:
        inc = self.track.increment_seconds
        return self.addon_units * inc if inc else 0


def pool_seconds(track: Track, staff_seconds: int, practitioner_seconds: int) -> int:
    """Staff-time codes count the practitioner's own minutes too; the reverse is not allowed."""
    if track.time is TimeBasis.PRACTITIONER:
        return practitioner_seconds
    return staff_seconds + practitioner_seconds


def evaluate_track(track: Track, pool: int) -> TrackOutcome:
    """Full thresholds only: a unit is earned when its whole threshold is reached, in seconds."""
    base = track.base
    first = track.threshold_seconds
    below = base.only_below_minutes
    if below is not None and pool >= below * 60:
        # Superseded by a longer code of the same program (99470 gives way to 99457).
        return TrackOutcome(track, pool, 0, 0, 0.0, None, None, 0)
    if pool < first:
        return TrackOutcome(track, pool, 0, 0, 0.0, base.code, first, 0)

    addon = track.addon
    inc = track.increment_seconds
    if addon is None or inc is None:
        return TrackOutcome(track, pool, 1, 0, base.payment_usd, None, None, 0)
    units = (pool - first) // inc
    cap = addon.max_units
    over = 0
    if cap is not None and units >= cap:
        over = max(0, pool - (first + cap * inc))
        units = cap
        next_code, next_at = None, None
    else:
        next_code, next_at = addon.code, first + (units + 1) * inc
    value = base.payment_usd + units * addon.payment_usd
    return TrackOutcome(track, pool, 1, units, value, next_code, next_at, over)
