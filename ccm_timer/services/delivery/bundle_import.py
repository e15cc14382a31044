"""Import a bundle carried from another workstation (a USB stick, a shared folder).

The manifest is checked first (every file present, listed and matching its SHA-256; the
entries listed are the entries carried); a bundle that fails is refused whole, with the
reason. Import is idempotent by UUID: importing the same bundle twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import hub
from ccm_timer.services.security import audit
from ccm_timer.store import merge as records

ACTOR = "ccm-timer import-bundle"


@dataclass(frozen=True)
class ImportReport:
    bundle: str
    export_id: str
    workstation: str
    entries: int
    into: str  # "this workstation" or "the clinic hub"
    changed: dict[str, int] = field(default_factory=dict)

    @property
    def changed_rows(self) -> int:
        return sum(self.changed.values())

    def to_dict(self) -> dict:
        return {"bundle": self.bundle, "export": self.export_id, "from": self.workstation,
                "entries": self.entries, "into": self.into, "changed": self.changed}


def import_bundle(ctx: AppContext, path: Path, *, hub_url: str | None = None,
                  password: str | None = None, actor: str = ACTOR) -> ImportReport:
    try:
        manifest, rows = bundle.verify(Path(path))
    except bundle.BundleError as exc:
        raise UserError(f"The bundle was refused, nothing was imported: {exc}.") from None
    except OSError as exc:
        raise UserError(f"The bundle {path} cannot be read ({exc.strerror}).") from None
    entries = len(rows.get("time_entry", []))
    if hub_url:
        engine = hub.open_engine(hub_url, password)
        try:
            changed = hub.merge_into(engine, rows)
        finally:
            engine.dispose()
        into = "the clinic hub"
    else:
        with ctx.write() as session:
            # This database keeps its own audit chain: one event for the import, not the
            # other workstation's events (they go to the hub, which keeps every chain).
            changed = records.merge(session.connection(), rows, keep_audit=False)
            if changed:
                audit.append(session, ctx=ctx, actor=actor, action="bundle.import",
                             entity="bundle", entity_id=manifest["export_id"],
                             after={"bundle": manifest["bundle"],
                                    "from": manifest.get("workstation"),
                                    "entries": entries, "changed": changed})
        into = "this workstation"
    return ImportReport(manifest["bundle"], manifest["export_id"],
                        str(manifest.get("workstation", "")), entries, into, changed)
