"""`hub pull`: take the other workstations' records from the clinic hub now (the delivery
worker also pulls after each push; services/delivery/hub_pull.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ccm_timer.cli.lazy import lazy
from ccm_timer.cli.output import emit_json

if TYPE_CHECKING:
    from ccm_timer.services.context import AppContext

hub_pull = lazy("ccm_timer.services.delivery.hub_pull")


def register(hub_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`pull` under `hub` (cli/sync.py calls this with the hub's subcommands)."""
    p = hub_sub.add_parser("pull", parents=[common],
                           help="take the other workstations' records from the hub now")
    p.add_argument("target", nargs="?", help="the hub target (default: every hub target)")
    p.set_defaults(handler=pull_command)


def pull_command(ctx: AppContext, args) -> None:
    from ccm_timer.cli.sync import _hub_targets  # one rule for naming a hub target

    reports = []
    for target in _hub_targets(ctx, args.target):
        report = hub_pull.pull(ctx, target)
        reports.append(report.to_dict())
        if not getattr(args, "json", False):
            print(report.sentence(ctx))
    if getattr(args, "json", False):
        emit_json(reports)
