"""Retry timing: exponential back-off with full jitter, and the receiver's Retry-After.

Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): the wait after the
n-th failed attempt is uniform in [0, min(CAP, BASE * 2**(n-1))], so many workstations that
lost the network together do not come back in lockstep. There is no attempt limit: a clinic
may be offline for days (reliability R5.3).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

BASE_SECONDS = 2.0
CAP_SECONDS = 3600.0
MAX_RETRY_AFTER = 86_400.0  # a server asking for more than a day is asking for too much
MIN_DELAY = 0.001  # never zero: an item is not due again within the same pass


def bound(attempts: int) -> float:
    """The longest wait after `attempts` failed attempts (1 for the first failure)."""
    return min(CAP_SECONDS, BASE_SECONDS * 2 ** min(max(attempts, 1) - 1, 40))


def full_jitter(attempts: int, rng: random.Random | None = None) -> float:
    return max(MIN_DELAY, (rng or random).uniform(0, bound(attempts)))


def delay(attempts: int, retry_after: float | None, rng: random.Random | None = None) -> float:
    """The wait before the next attempt: jittered, and never shorter than Retry-After."""
    wait = full_jitter(attempts, rng)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return wait


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
