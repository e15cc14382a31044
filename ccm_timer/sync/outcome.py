"""What one delivery attempt came to, in words a person can read in the tray."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AttemptKind(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # the item stays queued for a later pass
    FAILED = "failed"  # permanent: the receiver refused it


@dataclass(frozen=True)
class Outcome:
    kind: AttemptKind
    message: str  # short and plain: "no connection", "the billing server answered 500"
    receipt: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait
    # The whole target is unreachable or overloaded: hold its other items too, instead of
    # knocking once per item.
    target_down: bool = False


def delivered(receipt: str) -> Outcome:
    return Outcome(AttemptKind.DELIVERED, "delivered", receipt=receipt)


def retry(message: str, *, retry_after: float | None = None, target_down: bool = True) -> Outcome:
    return Outcome(AttemptKind.RETRY, message, retry_after=retry_after,
                   target_down=target_down)


def failed(message: str) -> Outcome:
    return Outcome(AttemptKind.FAILED, message)
