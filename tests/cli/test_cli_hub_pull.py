"""`ccm-timer hub pull`, on the command line's own parser: what came in, in
one sentence; a hub never pushed to, in one sentence with nothing changed; and no stray
top-level `pull` command."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from ccm_timer.cli.main import build_parser
from ccm_timer.errors import UserError
from ccm_timer.services.delivery import hub, targets
from tests.fixtures.delivery import HUB_PASSWORD, add_minutes

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    top = build_parser()
    commands = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    assert "pull" not in commands.choices  # only under `hub`
    return top


@pytest.mark.usefixtures("token_keyring")
def test_hub_pull_says_what_came_in(two, hub_url, capsys):
    north, south = two
    for ws in (north, south):
        targets.add(ws, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    add_minutes(north, NOV3, 12)
    top = _parser()
    args = top.parse_args(["hub", "pull", "hub"])
    with pytest.raises(UserError, match="^This workstation has not pushed to the clinic hub"):
        args.handler(south, args)
    for ws in (north, south):
        hub.push_target(ws, targets.get(ws, "hub"), force=True)
    capsys.readouterr()
    args.handler(south, args)
    said = capsys.readouterr().out
    assert said.startswith("Took 1 entry from 1 other workstation; the clinic's totals are "
                           "as of ")
    args.handler(south, top.parse_args(["hub", "pull", "--json"]))
    assert '"entries": 0' in capsys.readouterr().out
