"""The tray's settings, changed: an administrator's once the clinic has one (README, "Who may
do what"; open while it is being set up), each change audited under their name.

One setting is the signed-in person's own: start_at_login is this computer's login item,
harmless to anyone else, so whoever is signed in may change it.
"""

from __future__ import annotations

from typing import Any

from ccm_timer.core.access import Action
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access, clinicians
from ccm_timer.services.people.access import Refused, Signer
from ccm_timer.services.security import audit

CLINIC = ("default_clinician", "mask_patients", "reminder_minutes", "worklist_reminder",
          "clinic_name", "clinic_timezone")
PER_PERSON = ("start_at_login",)
READ_ONLY = "Only an administrator changes these settings; sign in as one to change them."


def may_change(ctx: AppContext, signer: Signer | None) -> bool:
    """Whether `signer` (the tray's signed-in person) may change the clinic's settings."""
    try:
        access.require_admin(ctx, signer, Action.SETTINGS)
    except Refused:
        return False
    return True


def changes(ctx: AppContext, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The clinic's settings among `values` that differ from those in force, as (before,
    after). No default clinician given is no change (the dialog had no one to choose)."""
    found = {}
    for name in CLINIC:
        if name not in values or (name == "default_clinician" and not values[name]):
            continue
        before = getattr(ctx.settings, name)
        if values[name] != before:
            found[name] = (before, values[name])
    return found


def check(ctx: AppContext, by: Signer | None, values: dict[str, Any]) -> None:
    """Refused, before anything is written, when `values` change what `by` may not."""
    if changes(ctx, values):
        access.require_admin(ctx, by, Action.SETTINGS)


def save(ctx: AppContext, by: Signer | None, values: dict[str, Any]) -> dict[str, Any]:
    """Write `values` (clinic settings and the per-person ones); returns what changed."""
    diff = changes(ctx, values)
    own = {k: values[k] for k in PER_PERSON if k in values}
    if not diff:
        if own:
            ctx.update_settings(**own)
        return {}
    actor = access.require_admin(ctx, by, Action.SETTINGS)
    if "default_clinician" in diff:  # refuses a person with no clinical role
        clinicians.set_default(ctx, values["default_clinician"], by)
    rest = {k: after for k, (_, after) in diff.items() if k != "default_clinician"}
    with ctx.write() as session:  # the file written inside the event's transaction
        audit.append(session, ctx=ctx, actor=actor, action="settings.change",
                     entity="settings", entity_id=ctx.workstation,
                     before={k: b for k, (b, _) in diff.items()},
                     after={k: a for k, (_, a) in diff.items()})
        ctx.update_settings(**rest, **own)
    return {k: a for k, (_, a) in diff.items()}
