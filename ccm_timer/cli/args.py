"""Argument types: strict, with messages argparse prints as one line."""

from __future__ import annotations

import argparse
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
