"""The `folder` target: each export becomes a bundle in a shared or removable folder, signed
with this workstation's key and sealed for the clinic's (bundle_format.py)."""

from __future__ import annotations

import json
from pathlib import Path

from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery.outbox import Parcel
from ccm_timer.services.security import bundle_keys
from ccm_timer.store import merge as records
from ccm_timer.store.types import to_db_text
from ccm_timer.sync import outcome
from ccm_timer.sync.outcome import Outcome


class FolderTarget:
    label = "the export folder"

    def __init__(self, path: str, ctx: AppContext) -> None:
        self.folder = Path(path)
        self.ctx = ctx

    def deliver(self, parcel: Parcel, step) -> Outcome:
        if not self.folder.is_dir():
            return outcome.retry(f"the folder {self.folder} is not there (is the drive "
                                 "connected?)")
        try:
            sealing = bundle_keys.sealing_keys(self.ctx)
        except UserError as exc:  # no clinic key yet, a locked keyring: fixable, so retried
            return outcome.retry(str(exc).rstrip("."), target_down=False)
        files = bundle.build(
            export_id=str(parcel.export_id), export_format=parcel.format,
            content=parcel.content,
            records_json=parcel.bundle_records or records.to_json({}),
            workstation=self.ctx.workstation, month=parcel.month,
            created_at=to_db_text(parcel.created_at), sealing=sealing,
        )
        name = bundle.name_for(parcel.export_id)
        step("sending")
        try:
            how = bundle.write(self.folder, name, files, step)
        except bundle.BundleError as exc:
            return outcome.failed(str(exc))
        except OSError as exc:
            return outcome.retry(f"cannot write to the folder ({exc.strerror or exc})")
        step("answered")
        return outcome.delivered(json.dumps({"bundle": name, "how": how}))

    def close(self) -> None:
        pass
