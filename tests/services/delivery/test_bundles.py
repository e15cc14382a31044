"""Folder bundles: atomic appearance, manifest verification, idempotent import. The keys
and the attacks on them: tests/security/test_bundle_keys.py, test_bundle_forgery.py."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.delivery import hub, targets
from ccm_timer.services.security import audit, bundle_keys
from ccm_timer.services.timing import entries
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import corrector
from tests.fixtures.delivery import add_minutes, provision_bundles, queue_exports

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)  # 08:00 in New York


def _snapshot(ctx) -> dict[str, list]:
    tables = ("clinician", "category", "patient", "enrollment", "patient_month", "time_entry",
              "interval", "audit_event", "export")
    with ctx.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in tables}


def _bundle_from(ws, tmp_path: Path, minutes: list[float]) -> tuple[Path, list]:
    drop = tmp_path / "usb"
    drop.mkdir(exist_ok=True)
    targets.add(ws, "usb", kind="folder", url=str(drop))
    made = [add_minutes(ws, NOV3.replace(hour=13 + i), m) for i, m in enumerate(minutes)]
    [export] = queue_exports(ws, "usb", 1)
    assert Worker(ws, timeout=2).run_once().delivered == 1
    return drop / bundle.name_for(export.id), made


def test_reader_polling_the_folder_never_sees_a_partial_bundle(ctx, clinic, tmp_path):
    provision_bundles(ctx)
    drop = tmp_path / "drop"
    drop.mkdir()
    targets.add(ctx, "usb", kind="folder", url=str(drop))
    add_minutes(ctx, NOV3, 12)
    queue_exports(ctx, "usb", 25)
    seen: set[str] = set()
    problems: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set() or len(seen) < 25:
            for path in drop.iterdir():
                if path.name.startswith(".") or path.name in seen:
                    continue  # hidden .partial folders are the writer's
                try:
                    bundle.verify(path)
                    seen.add(path.name)
                except bundle.BundleError as exc:
                    problems.append(f"{path.name}: {exc}")
            if done.is_set() and len(seen) < 25:
                break

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        report = Worker(ctx, timeout=2).run_once()
    finally:
        done.set()
        thread.join(timeout=30)
    assert report.delivered == 25
    assert problems == []
    assert len(seen) == 25
    names = [p.name for p in drop.iterdir()]
    assert all(n.startswith("ccm-bundle-") and "T100" not in n for n in names)
    for path in drop.iterdir():
        assert all("T100" not in f.name for f in path.iterdir())  # no MRN in any file name


def test_bundle_manifest_lists_entries_and_hashes(ctx, clinic, tmp_path):
    provision_bundles(ctx)
    drop = tmp_path / "drop"
    drop.mkdir()
    targets.add(ctx, "usb", kind="folder", url=str(drop))
    view = add_minutes(ctx, NOV3, 12)
    edited = entries.edit(ctx, str(view.id), end=NOV3.replace(minute=15), reason="shorter",
                          by=corrector(ctx))
    [export] = queue_exports(ctx, "usb", 1)
    Worker(ctx, timeout=2).run_once()
    path = drop / bundle.name_for(export.id)
    manifest = bundle.verify(path)
    assert {(e["id"], e["version"]) for e in manifest["entries"]} == {
        (str(view.id), 1), (str(edited.id), 2)}
    assert [f["name"] for f in manifest["files"]] == ["sealed.bin"]
    assert manifest["export_id"] == str(export.id)
    opened = bundle.open_bundle(path, bundle_keys.opening_key(ctx))
    assert opened.export_name == f"export-{export.id}.json"
    assert hashlib.sha256(opened.export).hexdigest() == export.sha256
    assert {r["id"] for r in opened.rows["time_entry"]} == {view.id, edited.id}


def test_import_on_another_workstation_adds_up_and_twice_changes_nothing(two, tmp_path):
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    path, _ = _bundle_from(ws1, tmp_path, [12])
    add_minutes(ws2, NOV3.replace(hour=20), 10)
    before = hub.month_seconds(ws2.engine, "2026-11", "America/New_York")
    assert before == {"T1001": {("clinical_staff", "CCM"): 600}}
    report = bundles.import_bundle(ws2, path)
    assert report.changed_rows > 0 and report.entries == 1
    after = hub.month_seconds(ws2.engine, "2026-11", "America/New_York")
    assert after == {"T1001": {("clinical_staff", "CCM"): 22 * 60}}
    snap = _snapshot(ws2)
    again = bundles.import_bundle(ws2, path)
    assert again.changed == {}
    assert _snapshot(ws2) == snap  # byte for byte the same database content
    with ws2.read() as session:
        assert audit.verify(session).ok
    with ws2.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    # The imported entry shows in the receiving workstation's own entry list.
    assert sorted(v.seconds for v in entries.list_entries(ws2, month="2026-11")) == [600, 720]


def test_an_edit_after_import_travels_in_the_next_bundle(two, tmp_path):
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    path, [view] = _bundle_from(ws1, tmp_path, [12])
    bundles.import_bundle(ws2, path)
    entries.edit(ws1, str(view.id), end=NOV3.replace(hour=13, minute=25), reason="longer call",
                 by=corrector(ws1))
    [export] = queue_exports(ws1, "usb", 1)
    Worker(ws1, timeout=2).run_once()
    bundles.import_bundle(ws2, path.with_name(bundle.name_for(export.id)))
    assert hub.month_seconds(ws2.engine, "2026-11", "America/New_York") == {
        "T1001": {("clinical_staff", "CCM"): 25 * 60}}
    versions = entries.history(ws2, str(view.id))
    assert [v.version for v in versions] == [1, 2]


@pytest.mark.parametrize("tamper, reason", [
    ("edit_sealed", "sealed.bin does not match its SHA-256"),
    ("extend_sealed", "does not match its SHA-256"),
    ("extra_file", "notes.txt is in the bundle but not in its manifest"),
    ("missing_file", "sealed.bin is missing"),
    # The manifest is signed: its entries can no longer be changed to match edited records.
    ("manifest_entries", "its signature does not match"),
])
def test_a_tampered_bundle_is_refused_with_the_reason(two, tmp_path, tamper, reason):
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    path, _ = _bundle_from(ws1, tmp_path, [12])
    sealed = path / "sealed.bin"
    if tamper == "edit_sealed":
        data = bytearray(sealed.read_bytes())
        data[len(data) // 2] ^= 0x01
        sealed.write_bytes(bytes(data))
    elif tamper == "extend_sealed":
        sealed.write_bytes(sealed.read_bytes() + b" ")
    elif tamper == "extra_file":
        (path / "notes.txt").write_text("hello")
    elif tamper == "missing_file":
        sealed.unlink()
    else:
        manifest = json.loads((path / "manifest.json").read_text())
        manifest["entries"][0]["version"] = 7
        (path / "manifest.json").write_text(json.dumps(manifest))
    snap = _snapshot(ws2)
    with pytest.raises(UserError, match="refused") as caught:
        bundles.import_bundle(ws2, path)
    assert reason in str(caught.value)
    assert _snapshot(ws2) == snap
