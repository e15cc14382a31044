"""Read a calendar year's billing rules from resources/billing_rules/<year>.toml.

The only I/O behind the billing engine: core/ parses and evaluates, this finds and reads.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from ccm_timer import paths
from ccm_timer.core.billing import RulesError, RuleSet, parse_rules
from ccm_timer.core.month import YearMonth, as_month


class MissingBillingRules(LookupError):
    """No rules file for the year asked for."""


def rules_path(year: int, resources: Path | None = None) -> Path:
    """The existing rules file for `year`, or MissingBillingRules with the fix in its text."""
    path = (resources or paths.resource_root()) / "billing_rules" / f"{year}.toml"
    if path.is_file():
        return path
    raise MissingBillingRules(
        f"No billing rules for {year}: add resources/billing_rules/{year}.toml"
    )


@lru_cache(maxsize=16)
def load_rules(year: int, resources: Path | None = None) -> RuleSet:
    """Parse and validate one year's rules (cached: rule sets are immutable)."""
    path = rules_path(year, resources)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path.name}: not valid TOML ({exc})") from None
    try:
        rules = parse_rules(data, source=f"resources/billing_rules/{path.name}")
    except RulesError as exc:
        raise RulesError(f"{path.name}: {exc}") from None
    if rules.year != year:
        raise RulesError(f"{path.name}: says year = {rules.year}, expected {year}")
    return rules


def rules_for_month(month: YearMonth | tuple[int, int] | str,
                    resources: Path | None = None) -> RuleSet:
    """The month's year picks the file."""
    return load_rules(as_month(month).year, resources)
