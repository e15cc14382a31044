"""Argument types: strict, with messages argparse prints as one line; and command groups
that more than one module adds to."""

from __future__ import annotations

import argparse
import math
from datetime import date

from ccm_timer.core.month import parse_month
from ccm_timer.core.parse import parse_date

_ACTIONS = "_ccm_actions"  # where a group's parser keeps its sub-parsers


def group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-parsers of the command group `name` (`patient`), made on first use: a group
    may span modules (cli/patients.py, cli/record.py), whichever registers first."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help)
        setattr(parser, _ACTIONS, parser.add_subparsers(dest="action", required=True,
                                                        metavar="ACTION"))
    return getattr(parser, _ACTIONS)


def yes_no(text: str) -> bool:
    answer = text.strip().lower()
    if answer in ("yes", "y", "true"):
        return True
    if answer in ("no", "n", "false"):
        return False
    raise argparse.ArgumentTypeError(f"say yes or no, not {text!r}")


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
