"""Settings upgrades: one step per settings version, run in order when a file from an older
version is read (services/settings.py then writes the result back).

A step takes the file's table as the version before it left it and returns it as its own
version has it. Its docstring says what changed, for whoever reads an old file. A new
setting needs no step (it is simply absent, so it has its default); a step is for a setting
that is renamed, reshaped or given a narrower meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

VERSION = 2  # the form this CCM Timer writes
VERSION_KEY = "settings_version"  # absent in version 1 files

Table = dict[str, Any]
STEPS: dict[int, Callable[[Table], Table]] = {}


def step(version: int) -> Callable[[Callable[[Table], Table]], Callable[[Table], Table]]:
    """Register the step that brings a file of version `version - 1` to `version`."""

    def register(upgrade: Callable[[Table], Table]) -> Callable[[Table], Table]:
        STEPS[version] = upgrade
        return upgrade

    return register


@step(2)
def declare_the_undeclared(doc: Table) -> Table:
    """Version 1 (no settings_version key) read date_of_service, fhir_mrn_system and targets
    without declaring them; version 2 declares them under the same keys, so an older CCM
    Timer still reads a version 2 file. encryption now takes only "on" or "off": version 1
    read any other text as on, so such a value becomes "on"."""
    out = dict(doc)
    if isinstance(out.get("encryption"), str) and out["encryption"] != "off":
        out["encryption"] = "on"
    return out


def upgrade(doc: Table, found: int) -> Table:
    """`doc`, a file of settings version `found`, in the current form (a new table)."""
    for version in range(found + 1, VERSION + 1):
        doc = STEPS[version](doc)
    return {**doc, VERSION_KEY: VERSION}
