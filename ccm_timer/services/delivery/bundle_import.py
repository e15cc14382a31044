"""Import a bundle carried from another workstation (a USB stick, a shared folder).

Refused whole, with the reason and nothing written, unless: it is complete and unchanged
(the manifest's SHA-256), signed by a workstation this clinic trusts under the name it
gives, sealed for a clinic key this workstation holds, and every field passes the checks
the command line applies (bundle_checks.py). Then its rows are merged add-only
(store/merge_guard.py): what would rewrite or hide a row here is recorded as a conflict,
listed in the report and by `ccm-timer conflicts list`. Import is idempotent by UUID:
importing the same bundle twice changes nothing and records no conflict twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy.exc import IntegrityError

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import bundle_checks, hub
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.security import audit, bundle_keys
from ccm_timer.services.security import bundle_crypto as crypto
from ccm_timer.store import merge as records
from ccm_timer.store.merge_guard import Conflict, Guard

ACTOR = "ccm-timer import-bundle"
_REFUSED = "The bundle was refused, nothing was imported"


@dataclass(frozen=True)
class ImportReport:
    bundle: str
    export_id: str
    workstation: str
    entries: int
    into: str  # "this workstation" or "the clinic hub"
    changed: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)  # this import's, new or known
    skipped_live: int = 0  # other clinicians' running timers: they come with a later bundle

    @property
    def changed_rows(self) -> int:
        return sum(self.changed.values())

    def to_dict(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "export": self.export_id, "from": self.workstation,
                "entries": self.entries, "into": self.into, "changed": self.changed,
                "skipped_live_timers": self.skipped_live,
                "conflicts": [{"id": c.id, "kind": c.kind, "entity": c.entity,
                               "entity_id": c.entity_id, "summary": c.summary}
                              for c in self.conflicts]}


def _unlocker(ctx: AppContext) -> Any:
    def unlock(manifest: dict[str, Any]) -> X25519PrivateKey:
        try:
            key = bundle_keys.opening_key(ctx, str(manifest.get("recipient") or ""))
        except bundle_keys.KeyMissing as exc:
            raise bundle.BundleError(exc.why) from None
        sender = bundle_keys.trusted_sender(ctx, str(manifest.get("sender")))
        claimed = manifest.get("workstation")
        if sender is None:
            print_ = crypto.fingerprint(str(manifest.get("sender")))
            raise bundle.BundleError(
                f"it is not signed by a workstation this clinic trusts (key {print_}; if you "
                "know the sender, trust it with `ccm-timer workstation trust NAME KEY`)")
        if sender != claimed:
            raise bundle.BundleError(f"it is signed by the key of {sender} but says it is "
                                     f"from {str(claimed)[:40]!r}".replace("'", ""))
        return key
    return unlock


def import_bundle(ctx: AppContext, path: Path, *, hub_url: str | None = None,
                  password: str | None = None, actor: str = ACTOR) -> ImportReport:
    try:
        opened = bundle.open_bundle(Path(path), _unlocker(ctx))
        bundle_checks.check(opened.rows, ctx.now())
    except (bundle.BundleError, bundle_checks.BundleFieldError) as exc:
        raise UserError(f"{_REFUSED}: {exc}.") from None
    except OSError as exc:
        raise UserError(f"The bundle {path} cannot be read ({exc.strerror}).") from None
    manifest, rows = opened.manifest, opened.rows
    entries = len(rows.get("time_entry", []))
    guard = Guard(sender=str(manifest["workstation"]), bundle=str(manifest["bundle"]),
                  now=ctx.now())
    if hub_url:
        engine = hub.open_engine(hub_url, password, clinic=ctx.settings.clinic_id)
        try:
            changed = hub.merge_into(engine, rows, guard=guard)
        finally:
            engine.dispose()
        into = "the clinic hub"
    else:
        try:
            with ctx.write() as session:
                # This database keeps its own audit chain: one event for the import and one
                # per new conflict, not the other workstation's events (they go to the hub).
                changed = records.merge(session.connection(), rows, keep_audit=False,
                                        guard=guard)
                _audit(session, ctx, actor, manifest, rows, guard, changed)
        except IntegrityError:
            raise UserError(f"{_REFUSED}: its rows point at records it neither carries nor "
                            "finds here.") from None
        into = "this workstation"
    return ImportReport(str(manifest["bundle"]), str(manifest["export_id"]),
                        str(manifest["workstation"]), entries, into, changed, guard.conflicts,
                        guard.skipped_live)


def _audit(session: Any, ctx: AppContext, actor: str, manifest: dict[str, Any],
           rows: records.Rows, guard: Guard, changed: dict[str, int]) -> None:
    """One event per new conflict, and one for the import, which records the evidence
    hash of every entry the bundle carries as it now stands here."""
    entries = len(rows.get("time_entry", []))
    for c in guard.fresh:
        audit.append(session, ctx=ctx, actor=actor, action="bundle.conflict",
                     entity=c.entity, entity_id=c.entity_id,
                     after={"kind": c.kind, "bundle": manifest["bundle"],
                            "from": manifest["workstation"], "conflict": c.id,
                            "summary": c.summary})
    if changed or guard.fresh:
        audit.append(session, ctx=ctx, actor=actor, action="bundle.import", entity="bundle",
                     entity_id=manifest["export_id"],
                     after={"bundle": manifest["bundle"], "from": manifest["workstation"],
                            "sender": crypto.fingerprint(str(manifest["sender"])),
                            "entries": entries, "changed": changed,
                            "conflicts": len(guard.fresh)},
                     origins={r["origin_id"] for r in rows.get("time_entry", [])})
