"""Whose minutes the figures count and as of when, in the words beside them: the line above
the overview's and the worklist's figures, the tray's "this month for this patient (...)",
and the warning before a month is approved on one workstation's totals.

Pure functions of the values services/delivery/hub_scope.py gives (its labels are the one
place the scope is worded), so what a nurse reads is tested without a screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # hints only: the tray's words load before the services
    from ccm_timer.services.delivery.hub_scope import Scope

PARTIAL_STYLE = "color: #b45309; font-weight: bold;"  # amber: totals to act on, not an error
QUIET_STYLE = "color: palette(placeholder-text);"
SYNC_HINT = "connect to the clinic network and choose Sync now in the CCM Timer menu"


def partial(scope: Scope) -> bool:
    """The clinic has a hub, but these figures are not (or no longer) the clinic's."""
    return not scope.all_workstations and scope.target is not None


def line(scope: Scope) -> str:
    """The line above the figures: "Minutes from all workstations, as of 10:42"."""
    return scope.sentence


def line_style(scope: Scope) -> str:
    return PARTIAL_STYLE if partial(scope) else QUIET_STYLE


def line_tip(scope: Scope) -> str:
    if scope.all_workstations:
        return ("Every workstation's time as the clinic hub had it at the last sync; time "
                "recorded elsewhere since then arrives with the next one.")
    if scope.target is None:
        return "This workstation shares no time with a clinic hub."
    return (f"Time recorded on other workstations may be missing: {SYNC_HINT}.")


def tray_scope(scope: Scope | None) -> str:
    """What goes in the tray's brackets: "all workstations, as of 10:42", "this workstation
    only"; "all staff" while the scope is not read (the tray's figure is every clinician's)."""
    return "all staff" if scope is None else scope.short


def approval_warning(scope: Scope) -> str | None:
    """Said before a practitioner approves on partial totals (approving them is how money
    goes wrong); None when the totals are the clinic's or there is no hub. It never forbids."""
    if not partial(scope):
        return None
    return (f"{scope.missing}. Minutes recorded on other workstations may be missing, so the "
            f"codes may be wrong. Before approving, {SYNC_HINT}.")
