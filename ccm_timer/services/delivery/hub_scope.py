"""What the clinic's figures on this workstation cover, for labels beside them (the tray's
"this month for this patient (all staff)", the overview, the worklist, the approval), and
the other workstations' live timers as the last pull saw them (services/delivery/hub_pull).

Recent: the delivery worker pulls after every push it makes and at least every PULL_EVERY
(sync/worker.py; a push is skipped when nothing changed here, a pull is not), so a pull older
than STALE_AFTER (three of those rounds) means the hub has not been reached since: the figures
then hold this workstation's time and the others' only as that last pull found them.

Pure data: no Qt, no network; one read of two small workstation-only tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import outbox_status, targets
from ccm_timer.store.local_tables import hub_cursor, hub_live_timer

PULL_EVERY = timedelta(minutes=5)  # the worker's pull, when no push came before it
STALE_AFTER = 3 * PULL_EVERY


@dataclass(frozen=True)
class Scope:
    label: str  # "All workstations, as of 10:42" / "This workstation only..."
    all_workstations: bool  # the figures include the other workstations' time
    target: str | None = None  # the hub target the figures come from
    as_of: datetime | None = None  # the last pull (None: never)
    short: str = "this workstation only"  # in the tray's brackets
    missing: str = ""  # what partial figures lack, said before an approval on them

    @property
    def sentence(self) -> str:
        return sentence(self.label)


def sentence(label: str) -> str:
    """The line above the figures, in the windows and on the command line alike: "Minutes
    from all workstations, as of 10:42." """
    return f"Minutes from {label[:1].lower()}{label[1:]}."


@dataclass(frozen=True)
class LiveTimer:
    workstation: str
    clinician: str
    patient_mrn: str | None  # None: time not for one patient
    category: str  # the category's slug
    program: str | None
    state: str  # "running" or "paused"
    started_at: datetime
    seconds: int  # counted up to `now` for a running timer, to its pause otherwise
    as_of: datetime  # the pull that saw it


def _hub_targets(ctx: AppContext) -> list[str]:
    return [t.name for t in targets.list_targets(ctx) if t.kind is targets.TargetKind.HUB]


def last_pull(ctx: AppContext, target: str) -> datetime | None:
    return _pulls(ctx, [target])[target]


def _pulls(ctx: AppContext, names: list[str]) -> dict[str, datetime | None]:
    with ctx.read() as session:
        rows = session.connection().execute(select(hub_cursor.c.target, hub_cursor.c.pulled_at)
                                            .where(hub_cursor.c.target.in_(names))).all()
    found: dict[str, datetime | None] = {name: None for name in names}
    found.update({name: at for name, at in rows})
    return found


def _latest(pulls: dict[str, datetime | None]) -> tuple[str, datetime | None]:
    dated = [(at, name) for name, at in pulls.items() if at is not None]
    if not dated:
        return sorted(pulls)[0], None
    at, name = max(dated)
    return name, at


def scope(ctx: AppContext, now: datetime | None = None) -> Scope:
    """What the figures here cover now (see the module docstring for "recent")."""
    names = _hub_targets(ctx)
    if not names:
        return alone()
    name, at = _latest(_pulls(ctx, names))
    now = now or ctx.now()
    if at is None:
        return unreached(name)
    when = outbox_status.clock_text(ctx, at)
    return (recent if now - at <= STALE_AFTER else stale)(name, at, when)


# The four scopes, worded here only (`when`: the last pull's time on the clinic's clock).
def alone() -> Scope:
    """A workstation with no clinic hub."""
    return Scope("This workstation only", False)


def unreached(target: str) -> Scope:
    why = "the clinic hub has not been reached yet"
    return Scope(f"This workstation only: {why}", False, target,
                 missing=f"These totals are from this workstation only: {why}")


def recent(target: str, at: datetime, when: str) -> Scope:
    return Scope(f"All workstations, as of {when}", True, target, at,
                 short=f"all workstations, as of {when}")


def stale(target: str, at: datetime, when: str) -> Scope:
    # The last pull's time of the others is here still: not "this workstation only".
    return Scope(f"This workstation, and the others as of {when}, when the clinic hub was "
                 "last reached", False, target, at, short=f"this workstation; others as of {when}",
                 missing=f"These totals hold other workstations' minutes only as of {when}, "
                         "when the clinic hub was last reached")


def live_timers(ctx: AppContext, now: datetime | None = None) -> list[LiveTimer]:
    """Other workstations' running and paused timers from the newest pull, by clinician."""
    names = _hub_targets(ctx)
    if not names:
        return []
    name, at = _latest(_pulls(ctx, names))
    if at is None:
        return []
    now = now or ctx.now()
    with ctx.read() as session:
        rows = session.connection().execute(select(hub_live_timer).where(
            hub_live_timer.c.target == name)).mappings().all()
    out = []
    for r in rows:
        extra = now - r["pulled_at"] if r["state"] == "running" else timedelta(0)
        out.append(LiveTimer(r["workstation"], r["clinician_name"], r["patient_mrn"],
                             r["category_slug"], r["program"], r["state"], r["started_at"],
                             r["seconds"] + max(0, int(extra.total_seconds())), r["pulled_at"]))
    return sorted(out, key=lambda t: (t.clinician, t.workstation, t.started_at))
