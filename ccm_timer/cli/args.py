"""Argument types: strict, with messages argparse prints as one line."""

from __future__ import annotations

import argparse
import math
from datetime import date

from ccm_timer.core.month import parse_month
from ccm_timer.core.parse import parse_date


def date_arg(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def month_arg(text: str) -> str:
    try:
        return str(parse_month(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


MAX_TIMEOUT = 120.0  # seconds; the outbox lease (5 minutes) must outlast a try


def timeout_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_TIMEOUT:  # nan fails this too
        raise argparse.ArgumentTypeError(
            f"the timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
            f"not {text!r}")
    return value
