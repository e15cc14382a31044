"""Money comparisons in whole cents, so float noise cannot break or fake a tie."""

from __future__ import annotations


def cents(value: float) -> int:
    return round(value * 100)
