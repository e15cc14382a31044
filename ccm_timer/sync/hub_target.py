"""The `hub` target: an export queued for the clinic hub is stored there with the records
behind it. The first delivery of a pass pushes what changed since the target's cursor
(services/delivery/hub_push.py); the export row then goes in by id (idempotent like the
rest)."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import hub, hub_push, targets
from ccm_timer.services.delivery.outbox import Parcel
from ccm_timer.store import merge as records
from ccm_timer.store.models import Export
from ccm_timer.sync import outcome
from ccm_timer.sync.outcome import Outcome


class HubTarget:
    label = "the clinic hub"

    def __init__(self, ctx: AppContext, url: str, password: str | None,
                 name: str | None = None) -> None:
        self.ctx = ctx
        self.url = url
        self.password = password
        self.name = name or self._named(ctx, url)  # whose cursor the push moves
        self._engine: Engine | None = None
        self._pushed = False

    def deliver(self, parcel: Parcel, step) -> Outcome:
        step("sending")
        try:
            if self._engine is None:
                self._engine = hub.open_engine(self.url, self.password,
                                                clinic=self.ctx.settings.clinic_id)
            if not self._pushed:
                if self.name is None:
                    hub_push.push(self.ctx, self.url, engine=self._engine)
                else:
                    hub_push.push_cursor(self.ctx, self.name, self._engine)
                self._pushed = True
            with self.ctx.read() as session:
                row = session.get(Export, parcel.export_id)
                data = {c: getattr(row, c) for c in records.table("export").c.keys()}
            changed = hub.merge_into(self._engine, {"export": [data]})
        except hub.HubError as exc:
            self.close()
            return outcome.retry(str(exc).rstrip(".").lower())
        step("answered")
        return outcome.delivered(json.dumps({"hub": "stored" if changed else "present"}))

    @staticmethod
    def _named(ctx: AppContext, url: str) -> str | None:
        """The hub target with this URL (the worker names the target by its URL)."""
        found = [t.name for t in targets.list_targets(ctx)
                 if t.kind is targets.TargetKind.HUB and t.url == url]
        return found[0] if len(found) == 1 else None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
