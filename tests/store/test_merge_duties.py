"""Duties are granted on each workstation (issue 16): a clinician row that arrives from a
bundle or the hub never makes anyone an administrator or billing office here, nor takes
a duty away."""

from __future__ import annotations

from pathlib import Path

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.context import open_app
from ccm_timer.services.people import access, clinicians
from ccm_timer.store import merge, record_rows
from tests.fixtures.clinic import T0


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "settings.toml").write_text(
        f'clinic_timezone = "America/New_York"\nworkstation = "{name}"\n', encoding="utf-8")
    return folder


def test_a_merged_clinician_row_grants_and_removes_no_duty(tmp_path):
    there = open_app(str(_folder(tmp_path, "ws-there")), clock=ManualClock(T0))
    here = open_app(str(_folder(tmp_path, "ws-here")), clock=ManualClock(T0))
    try:
        clinicians.add(there, name="Cass Elsewhere", credential="RN", role="clinical_staff",
                       duties=("admin", "billing"))
        clinicians.add(there, name="Dee Local", credential="RN", role="clinical_staff")
        with there.engine.connect() as conn:
            rows = record_rows.collect_all(conn)
        assert {r["name"]: r["duties"] for r in rows["clinician"]} == {
            "Cass Elsewhere": "admin,billing", "Dee Local": ""}
        with here.engine.execution_options(ccm_write=True).begin() as conn:
            merge.merge(conn, rows, keep_audit=False)
        with here.read() as session:
            cass = clinicians.find(session, here, "Cass Elsewhere")
            assert access.duties_of(cass) == {access.Duty.CLINICAL_STAFF}
        # A duty granted here survives the next merge of the same (duty-less there) row.
        access.grant(here, "Dee Local", "billing", True, None)
        with here.engine.execution_options(ccm_write=True).begin() as conn:
            merge.merge(conn, rows, keep_audit=False)
        with here.read() as session:
            dee = clinicians.find(session, here, "Dee Local")
            assert access.Duty.BILLING in access.duties_of(dee)
    finally:
        there.close()
        here.close()
