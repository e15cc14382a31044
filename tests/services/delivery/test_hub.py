"""The clinic hub on a real PostgreSQL: two workstations push, minutes add up per patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ccm_timer.core.billing import evaluate_patient_month
from ccm_timer.core.billing.inputs import EnrollmentInput, PatientMonthTotals
from ccm_timer.services.delivery import bundle_import as bundles
from ccm_timer.services.delivery import hub, outbox_status, targets
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.services.timing import entries
from ccm_timer.sync.worker import Worker
from tests.fixtures.clinic import corrector
from tests.fixtures.delivery import (
    HUB_PASSWORD,
    add_minutes,
    provision_bundles,
    push_at_once,
    queue_exports,
)

NOV3 = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ZONE = "America/New_York"


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def _lines(seconds: dict) -> list[tuple[str, int]]:
    result = evaluate_patient_month(
        PatientMonthTotals(seconds), [EnrollmentInput("CCM", datetime(2026, 1, 5).date())],
        None, "2026-11", rules_for_month("2026-11"))
    return [(line.code, line.units) for line in result.lines if not line.held]


def test_two_workstations_cross_a_threshold_neither_reaches_alone(two, hub_url):
    ws1, ws2 = two
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws2, NOV3.replace(hour=14), 10)
    for ws in (ws1, ws2):
        alone = hub.month_seconds(ws.engine, "2026-11", ZONE)["T1001"]
        assert sum(alone.values()) < 20 * 60
        assert _lines(alone) == []
    hub.push(ws1, hub_url, HUB_PASSWORD)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        total = hub.month_seconds(engine, "2026-11", ZONE)
        assert total == {"T1001": {("clinical_staff", "CCM"): 22 * 60}}
        assert ("99490", 1) in _lines(total["T1001"])
        assert _count(engine, "patient") == 1  # one patient by MRN, not one per workstation
        assert _count(engine, "clinician") == 2
        chains = hub.verify_chains(engine)
        assert [(c.workstation, c.ok) for c in chains] == [("ws-north", True),
                                                           ("ws-south", True)]
    finally:
        engine.dispose()


def test_pushing_again_changes_nothing_and_edits_arrive(two, hub_url):
    ws1, _ = two
    view = add_minutes(ws1, NOV3, 12)
    first = hub.push(ws1, hub_url, HUB_PASSWORD)
    assert first.changed["time_entry"] == 1
    assert hub.push(ws1, hub_url, HUB_PASSWORD).changed == {}
    edited = entries.edit(ws1, str(view.id), end=NOV3 + timedelta(minutes=21), reason="longer",
                          by=corrector(ws1))
    report = hub.push(ws1, hub_url, HUB_PASSWORD)
    assert report.changed["time_entry"] >= 2  # the new version in, the old one superseded
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert hub.month_seconds(engine, "2026-11", ZONE) == {
            "T1001": {("clinical_staff", "CCM"): 21 * 60}}
        assert _count(engine, "time_entry") == 2  # every version is kept
        with engine.connect() as conn:
            current = conn.execute(text(
                "SELECT id FROM time_entry WHERE superseded_at IS NULL")).scalars().all()
        assert [str(c) for c in current] == [str(edited.id)]
        # The workstation's audit chain arrived whole and still verifies link by link.
        [chain] = hub.verify_chains(engine)
        assert chain.ok and chain.events == _count(ws1.engine, "audit_event")
    finally:
        engine.dispose()


def test_hub_target_pushes_from_sync_and_keeps_the_password_in_the_keyring(two, hub_url):
    ws1, _ = two
    add_minutes(ws1, NOV3, 12)
    targets.add(ws1, "hub", kind="hub", url=hub_url, secret=HUB_PASSWORD)
    assert HUB_PASSWORD not in ws1.paths.settings_file.read_text()
    [export] = queue_exports(ws1, "hub", 1)
    report = Worker(ws1, timeout=5).run_once()
    assert report.hub_errors == [] and report.delivered == 1
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT id FROM export")).scalars().all()
        assert [str(i) for i in ids] == [str(export.id)]
        assert hub.month_seconds(engine, "2026-11", ZONE)["T1001"] == {
            ("clinical_staff", "CCM"): 720}
    finally:
        engine.dispose()
    # The delivery's own audit event goes with the next pass; then nothing is left to push.
    assert Worker(ws1, timeout=5).run_once().hub_pushes == [
        "Pushed to the clinic hub hub: 1 new or changed rows."]
    assert Worker(ws1, timeout=5).run_once().hub_pushes == []


def test_an_unreachable_hub_is_reported_not_raised(two, hub_url):
    ws1, _ = two
    targets.add(ws1, "hub", kind="hub", url=hub_url, secret="wrong-password")
    report = Worker(ws1, timeout=5).run_once()
    assert report.hub_errors and "refused the user or password" in report.hub_errors[0]
    assert "hub hub not reached yet: the clinic hub refused" in outbox_status.summary(ws1)
    assert "wrong-password" not in report.hub_errors[0]


def test_bundle_imported_into_the_hub_twice_changes_nothing(two, hub_url, tmp_path):
    ws1, ws2 = two
    provision_bundles(ws2, ws1)
    drop = tmp_path / "usb"
    drop.mkdir()
    targets.add(ws1, "usb", kind="folder", url=str(drop))
    add_minutes(ws1, NOV3, 12)
    [export] = queue_exports(ws1, "usb", 1)
    Worker(ws1, timeout=5).run_once()
    add_minutes(ws2, NOV3.replace(hour=14), 9)
    hub.push(ws2, hub_url, HUB_PASSWORD)
    path = drop / f"ccm-bundle-{export.id}"
    first = bundles.import_bundle(ws2, path, hub_url=hub_url, password=HUB_PASSWORD)
    assert first.changed_rows > 0 and first.into == "the clinic hub"
    second = bundles.import_bundle(ws2, path, hub_url=hub_url, password=HUB_PASSWORD)
    assert second.changed == {}
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert hub.month_seconds(engine, "2026-11", ZONE)["T1001"] == {
            ("clinical_staff", "CCM"): 21 * 60}
    finally:
        engine.dispose()


def test_workstations_pushing_at_the_same_time(two, hub_url):
    ws1, ws2 = two
    add_minutes(ws1, NOV3, 12)
    add_minutes(ws2, NOV3.replace(hour=14), 10)
    hub.open_engine(hub_url, HUB_PASSWORD).dispose()  # tables exist before the race
    errors = push_at_once((ws1, ws2), hub_url, times=3, timeout=60)
    assert errors == []
    engine = hub.open_engine(hub_url, HUB_PASSWORD)
    try:
        assert hub.month_seconds(engine, "2026-11", ZONE) == {
            "T1001": {("clinical_staff", "CCM"): 22 * 60}}
        assert _count(engine, "patient") == 1
    finally:
        engine.dispose()
