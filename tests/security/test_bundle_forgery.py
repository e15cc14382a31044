"""Bundles carried between workstations, tried as an attacker would (issue 13, defect 4).

Two attackers. One has only the USB stick: whatever they change (a file, its hash in the
manifest, the signature, the sender), the bundle is refused whole with one sentence and
nothing is written. The other is a trusted workstation gone wrong (compromised, or a bug):
its bundles are signed and sealed properly, so they are opened, and then every field is
checked as the command line checks it, and the merge only adds: a rewritten, hidden,
superseded or voided local entry, a renamed patient or a live timer for a local clinician
becomes a recorded conflict that `import-bundle` and `conflicts list` show, and the local
rows stay exactly as they were.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from ccm_timer.errors import UserError
from ccm_timer.services.delivery import bundle_conflicts, hub, targets
from ccm_timer.services.delivery import bundle_format as bundle
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.security import audit, bundle_crypto, bundle_keys
from ccm_timer.services.timing import entries, timers
from ccm_timer.store import merge as records
from ccm_timer.store.models import EntryState
from ccm_timer.sync.worker import Worker
from tests.fixtures.cli import run_cli
from tests.fixtures.delivery import add_minutes, open_workstation, provision_bundles, queue_exports

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ZONE = "America/New_York"
TABLES = ("clinician", "category", "patient", "enrollment", "patient_month", "time_entry",
          "interval", "audit_event", "export", "bundle_conflict", "bundle_key")


def _snapshot(ctx) -> dict[str, list]:
    with ctx.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in TABLES}


@pytest.fixture
def sent(two, tmp_path):
    """ws-north's genuine bundle of a 12-minute call, for ws-south, which has its own
    20-minute call with the same patient (T1001) by its own nurse."""
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(ws1, "usb", kind="folder", url=str(drop))
    add_minutes(ws1, NOV3, 12)
    local = add_minutes(ws2, NOV3.replace(hour=15), 20)
    [export] = queue_exports(ws1, "usb", 1)
    assert Worker(ws1, timeout=2).run_once().delivered == 1
    return ws1, ws2, drop / bundle.name_for(export.id), local


def _forge(sender, receiver, path: Path, tmp_path: Path, edit) -> Path:
    """What a trusted workstation gone wrong sends: the genuine bundle's rows, edited,
    signed with its own key and sealed for the clinic."""
    opened = bundle.open_bundle(path, bundle_keys.opening_key(receiver))
    rows = opened.rows
    edit(rows)
    m = opened.manifest
    files = bundle.build(
        export_id=m["export_id"], export_format=m["export_format"], content=opened.export,
        records_json=records.to_json(rows, workstation=m["workstation"],
                                     export_id=m["export_id"]),
        workstation=m["workstation"], month=m["month"], created_at=m["created_at"],
        sealing=bundle_keys.sealing_keys(sender))
    out = tmp_path / f"forged-{uuid.uuid4().hex[:6]}"
    out.mkdir()
    bundle.write(out, m["bundle"], files)
    return out / m["bundle"]


def _local_rows(ctx, entry_id) -> tuple[dict, list[dict]]:
    with ctx.read() as session:
        everything = records.collect_all(session.connection())
    [entry] = [r for r in everything["time_entry"] if r["id"] == entry_id]
    return entry, [r for r in everything["interval"] if r["entry_id"] == entry_id]


def _minutes(ctx) -> list[int]:
    return sorted(v.seconds // 60 for v in entries.list_entries(ctx, month="2026-11"))


# --- the attacker with only the stick -----------------------------------------------------


def _refused(ctx, path: Path, reason: str) -> None:
    snap = _snapshot(ctx)
    with pytest.raises(UserError) as caught:
        bundles.import_bundle(ctx, path)
    message = str(caught.value)
    assert message.startswith("The bundle was refused, nothing was imported"), message
    assert reason in message, message
    assert len(message.splitlines()) == 1
    assert _snapshot(ctx) == snap


def _rehash(path: Path) -> dict:
    """Recompute every SHA-256 and size in the manifest, as the attacker of the audit did."""
    manifest = json.loads((path / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (path / entry["name"]).read_bytes()
        entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
    (path / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_the_genuine_bundle_is_signed_sealed_and_imports(sent):
    ws1, ws2, path, _ = sent
    names = sorted(p.name for p in path.iterdir())
    assert names == ["manifest.json", "sealed.bin"]  # no plaintext export, no records.json
    assert b"T1001" not in (path / "sealed.bin").read_bytes()
    manifest = bundle.verify(path)
    assert manifest["sender"] == bundle_keys.workstation_key(ws1).public
    report = bundles.import_bundle(ws2, path)
    assert report.conflicts == [] and report.changed_rows > 0
    assert _minutes(ws2) == [12, 20]


def test_a_changed_sealed_file_with_its_hash_recomputed_is_refused(sent):
    _, ws2, path, _ = sent
    sealed = bytearray((path / "sealed.bin").read_bytes())
    sealed[-1] ^= 1
    (path / "sealed.bin").write_bytes(bytes(sealed))
    _rehash(path)
    _refused(ws2, path, "its signature does not match")


def test_an_unsigned_bundle_is_refused(sent):
    _, ws2, path, _ = sent
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["signature"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    _refused(ws2, path, "it is not signed")


def test_a_bundle_signed_by_an_unknown_workstation_is_refused(sent, tmp_path, clock):
    ws1, ws2, path, _ = sent
    stranger = open_workstation(tmp_path / "elsewhere", "ws-north", clock)  # the same name
    try:
        bundle_keys.import_clinic_key(stranger, bundle_keys.clinic_key(ws2).public)
        forged = _forge(stranger, ws2, path, tmp_path, lambda rows: None)
    finally:
        stranger.close()
    _refused(ws2, forged, "not signed by a workstation this clinic trusts")


def test_a_trusted_key_speaking_for_another_workstation_is_refused(sent, tmp_path, clock):
    ws1, ws2, path, _ = sent
    east = open_workstation(tmp_path / "east", "ws-east", clock)
    try:
        provision = bundle_keys.workstation_key(east)
        bundle_keys.trust(ws2, "ws-east", provision.public)
        bundle_keys.import_clinic_key(east, bundle_keys.clinic_key(ws2).public)
        forged = _forge(east, ws2, path, tmp_path, lambda rows: None)  # says "ws-north"
    finally:
        east.close()
    _refused(ws2, forged, "signed by the key of ws-east but says it is from ws-north")


def test_a_bundle_sealed_for_another_clinic_is_refused(sent, tmp_path, clock):
    ws1, ws2, path, _ = sent
    other = open_workstation(tmp_path / "other", "ws-other-clinic", clock)
    try:
        theirs = bundle_keys.init_clinic_key(other)
        bundle_keys.import_clinic_key(ws1, theirs.public, replace=True)  # a mistake, say
        [export] = queue_exports(ws1, "usb", 1)
        assert Worker(ws1, timeout=2).run_once().delivered == 1
    finally:
        other.close()
    _refused(ws2, path.with_name(bundle.name_for(export.id)),
             "it is encrypted for another clinic key")


def test_a_workstation_without_the_clinic_key_cannot_open_bundles(sent, tmp_path, clock):
    _, _, path, _ = sent
    third = open_workstation(tmp_path / "third", "ws-third", clock)
    try:
        _refused(third, path, "this workstation has no clinic key")
    finally:
        third.close()


def test_an_old_unsigned_plaintext_bundle_is_refused(sent, tmp_path):
    _, ws2, path, _ = sent
    old = tmp_path / "old" / "ccm-bundle-0193aaaa-0000-7000-8000-000000000001"
    old.mkdir(parents=True)
    records_json = records.to_json({})
    (old / "records.json").write_bytes(records_json)
    (old / "manifest.json").write_text(json.dumps({
        "format": "ccm-timer-bundle/1", "bundle": old.name, "entries": [],
        "files": [{"name": "records.json", "sha256": hashlib.sha256(records_json).hexdigest(),
                   "size": len(records_json)}]}))
    _refused(ws2, old, "it is an unsigned bundle of an older version")


def test_a_bundle_entry_that_is_not_a_plain_file_is_refused(sent, tmp_path):
    _, ws2, path, _ = sent
    (path / "sealed.bin").unlink()
    (path / "sealed.bin").symlink_to("/dev/zero")
    _refused(ws2, path, "sealed.bin is not a plain file")


# --- a trusted workstation gone wrong: fields ----------------------------------------------


def _set_patient(field, value):
    def edit(rows):
        rows["patient"][0][field] = value
    return edit


def _set_clinician(value):
    def edit(rows):
        rows["clinician"][0]["name"] = value
    return edit


def _set_note(value):
    def edit(rows):
        rows["time_entry"][0]["note"] = value
    return edit


@pytest.mark.parametrize("edit, reason", [
    (_set_patient("family_name", '=HYPERLINK("http://x")'),
     "a patient's family name starts with '='"),
    (_set_patient("given_name", "\x1b[31mRed"), "a patient's given name contains a control"),
    (_set_patient("family_name", "Ev\u202eil"), "invisible text-direction character"),
    (_set_patient("family_name", "A" * 50_000), "longer than 100 characters"),
    (_set_patient("mrn", "T1001; DROP"), "a patient's MRN"),
    (_set_clinician("\x1b]0;owned\x07Nurse"), "a clinician's name contains a control"),
    (_set_note("call\x1b[2J"), "an entry's note contains a control character"),
    (_set_note("x" * 50_000), "an entry's note is longer than"),
], ids=["formula", "escape", "bidi", "50k", "mrn", "clinician-escape", "note-escape",
        "note-50k"])
def test_a_hostile_field_refuses_the_whole_bundle(sent, tmp_path, edit, reason):
    ws1, ws2, path, _ = sent
    forged = _forge(ws1, ws2, path, tmp_path, edit)
    _refused(ws2, forged, reason)


def test_rows_of_the_wrong_type_refuse_the_bundle(sent, tmp_path):
    ws1, ws2, path, _ = sent

    def edit(rows):
        rows["time_entry"][0]["version"] = "1"
    _refused(ws2, _forge(ws1, ws2, path, tmp_path, edit), "a time_entry row has a bad version")


def test_a_bundle_carrying_a_month_approval_is_refused(sent, tmp_path):
    """A sender may not close a month on another workstation: approvals travel only with a
    workstation's own pushes to the hub, never in a bundle."""
    ws1, ws2, path, _ = sent

    def edit(rows):
        rows["month_approval"] = []
    _refused(ws2, _forge(ws1, ws2, path, tmp_path, edit),
             "it carries month_approval rows, which a bundle never holds")


# --- a trusted workstation gone wrong: the merge only adds -----------------------------------


def _conflicts_of(report) -> list[tuple[str, str]]:
    return sorted((c.kind, c.entity) for c in report.conflicts)


def test_a_local_entry_rewritten_in_place_stays_and_is_a_conflict(sent, tmp_path):
    ws1, ws2, path, local = sent
    entry, spans = _local_rows(ws2, local.id)

    def edit(rows):
        longer = dict(spans[0], end_utc=spans[0]["start_utc"] + timedelta(hours=3, minutes=20))
        rows["time_entry"].append(dict(entry, note="Rewritten"))
        rows["interval"].append(longer)
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert _conflicts_of(report) == [("changed", "interval"), ("changed", "time_entry")]
    assert _minutes(ws2) == [12, 20]  # ws-north's call added; the local one untouched
    assert _local_rows(ws2, local.id) == (entry, spans)
    [shown] = [c for c in report.conflicts if c.entity == "time_entry"]
    assert "Rewritten" in shown.summary and str(local.id) == shown.entity_id


def test_hiding_a_local_entry_with_superseded_at_is_a_conflict(sent, tmp_path, clock):
    ws1, ws2, path, local = sent
    entry, spans = _local_rows(ws2, local.id)

    def edit(rows):
        rows["time_entry"].append(dict(entry, superseded_at=clock.now()))
        rows["interval"].extend(spans)
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert _conflicts_of(report) == [("hidden", "time_entry")]
    assert _minutes(ws2) == [12, 20]
    assert _local_rows(ws2, local.id) == (entry, spans)


@pytest.mark.parametrize("voided", [False, True], ids=["superseded", "voided"])
def test_a_new_version_of_a_local_entry_is_a_conflict(sent, tmp_path, clock, voided):
    ws1, ws2, path, local = sent
    entry, spans = _local_rows(ws2, local.id)
    new_id = uuid.uuid4()

    def edit(rows):
        rows["time_entry"].append(dict(
            entry, id=new_id, version=2, supersedes_id=entry["id"], created_at=clock.now(),
            voided=voided, void_reason="gone" if voided else None, change_reason="longer"))
        rows["interval"].append(dict(spans[0], id=uuid.uuid4(), entry_id=new_id,
                                     end_utc=spans[0]["start_utc"] + timedelta(hours=3)))
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert _conflicts_of(report) == [("superseded", "time_entry")]
    assert _minutes(ws2) == [12, 20]
    assert _local_rows(ws2, local.id) == (entry, spans)
    with ws2.read() as session:
        assert session.exec(text("SELECT count(*) FROM time_entry WHERE id = :i")
                            .bindparams(i=new_id.hex)).one()[0] == 0


@pytest.mark.parametrize("whose", ["theirs", "ours"])
def test_a_renamed_patient_keeps_the_local_name_and_is_a_conflict(sent, tmp_path, whose):
    ws1, ws2, path, _ = sent
    with ws2.read() as session:
        [ours] = records.collect_all(session.connection())["patient"][:1]

    def edit(rows):
        if whose == "ours":
            rows["patient"].append(dict(ours, family_name="Renamed"))
        else:
            rows["patient"][0]["family_name"] = "Renamed"
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert _conflicts_of(report) == [("renamed", "patient")]
    from ccm_timer.services.people import patients

    assert patients.get(ws2, "T1001").family_name == "Testpatient"
    assert "Renamed" in report.conflicts[0].summary
    # The minutes still add up under the local patient.
    assert hub.month_seconds(ws2.engine, "2026-11", ZONE) == {
        "T1001": {("clinical_staff", "CCM"): 32 * 60}}


def test_a_live_timer_for_a_local_clinician_is_a_conflict_not_a_timer(sent, tmp_path, clock):
    ws1, ws2, path, local = sent
    entry, spans = _local_rows(ws2, local.id)
    injected = uuid.uuid4()

    def edit(rows):
        rows["time_entry"].append(dict(
            entry, id=injected, origin_id=injected, state=EntryState.RUNNING,
            created_at=clock.now() - timedelta(days=11), workstation="ws-north"))
        rows["interval"].append(dict(spans[0], id=uuid.uuid4(), entry_id=injected,
                                     start_utc=clock.now() - timedelta(days=11), end_utc=None))
    report = bundles.import_bundle(ws2, _forge(ws1, ws2, path, tmp_path, edit))
    assert _conflicts_of(report) == [("live timer", "time_entry")]
    assert timers.status(ws2).state.value == "idle"
    with pytest.raises(UserError):
        timers.stop(ws2)  # nothing to stop: no 265-hour entry can come of it
    assert _minutes(ws2) == [12, 20]


def test_conflicts_are_recorded_once_audited_and_listed(sent, tmp_path):
    ws1, ws2, path, local = sent
    entry, spans = _local_rows(ws2, local.id)

    def edit(rows):
        rows["time_entry"].append(dict(entry, note="Rewritten"))
        rows["interval"].extend(spans)
    forged = _forge(ws1, ws2, path, tmp_path, edit)
    first = bundles.import_bundle(ws2, forged)
    again = bundles.import_bundle(ws2, forged)
    assert len(first.conflicts) == 1 and again.changed == {}
    assert [c.id for c in again.conflicts] == [c.id for c in first.conflicts]  # not twice
    listed = bundle_conflicts.list_conflicts(ws2)
    assert [c.id for c in listed] == [first.conflicts[0].id]
    assert listed[0].sender == "ws-north" and listed[0].bundle == first.bundle
    with ws2.read() as session:
        events = [e for e in audit.history(session, str(local.id))
                  if e.action == "bundle.conflict"]
        assert audit.verify(session).ok
    assert len(events) == 1 and json.loads(events[0].after)["kind"] == "changed"


def test_the_command_line_shows_the_conflicts(sent, tmp_path):
    ws1, ws2, path, local = sent
    entry, spans = _local_rows(ws2, local.id)

    def edit(rows):
        rows["time_entry"].append(dict(entry, note="Rewritten"))
        rows["interval"].extend(spans)
    forged = _forge(ws1, ws2, path, tmp_path, edit)
    home = ws2.paths.data
    done = run_cli(home, "import-bundle", str(forged))
    assert done.returncode == 0, done.stderr
    assert "1 conflict(s)" in done.stdout and "kept the local" in done.stdout
    assert str(local.id)[:8] in done.stdout
    listed = run_cli(home, "conflicts", "list")
    assert listed.returncode == 0, listed.stderr
    assert "changed" in listed.stdout and "ws-north" in listed.stdout
    shown = json.loads(run_cli(home, "conflicts", "list", "--json").stdout)
    assert shown[0]["entity_id"] == str(local.id) and shown[0]["kind"] == "changed"


def test_sealing_uses_the_library_constructions(sent):
    """X25519 + HKDF-SHA256 + AES-256-GCM and Ed25519 from `cryptography`: the manifest says
    which, and the ephemeral key is a real X25519 public key, new for every bundle."""
    ws1, _, path, _ = sent
    manifest = bundle.verify(path)
    assert manifest["seal"]["scheme"] == bundle_crypto.SCHEME
    ephemeral = base64.b64decode(manifest["seal"]["ephemeral"])
    assert len(ephemeral) == 32 and ephemeral != base64.b64decode(
        bundle_keys.clinic_key(ws1).public.split(":", 1)[1])
