"""The month report of a clinic of many patients equals an independent count (issue 18: the
report was made to read a whole clinic at once; its figures must not move). Sixty synthetic
patients with entries before, inside and across the month's edges, a consent day inside the
month for some, the billing practitioner's own time, and a few overlapping entries; the
expected figures are counted here in Python from the rows as written and priced by the
engine one patient at a time, and the report must give them from the entries and through
the month rollup alike."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

from ccm_timer.core.billing import Overlap, PatientMonthTotals, evaluate_patient_month
from ccm_timer.core.month import day_start_utc, month_bounds_utc, parse_month
from ccm_timer.services.month import report
from ccm_timer.services.month.billing_rules import rules_for_month
from ccm_timer.store import month_rollup
from ccm_timer.store.instants import to_db_text

MONTH = parse_month("2026-11")
ZONE_KEY = "America/New_York"


def _write_clinic(ctx, rng: random.Random) -> dict[str, dict]:
    """The clinic in raw rows; per MRN what the test needs to count it again."""
    lo, hi = month_bounds_utc(MONTH, ctx.zone)
    nurses = [uuid.uuid4().hex for _ in range(3)]
    doctor = uuid.uuid4().hex
    expected: dict[str, dict] = {}
    with ctx.engine.begin() as conn:
        run = conn.exec_driver_sql
        category = run("SELECT id FROM category WHERE slug = 'phone-call'").scalar()
        for i, c in enumerate([*nurses, doctor]):
            run("INSERT INTO clinician (id, name, credential, role, active) "
                "VALUES (?, ?, ?, ?, 1)",
                (c, f"Many Clinician {i}", "MD" if c == doctor else "RN",
                 "PRACTITIONER" if c == doctor else "CLINICAL_STAFF"))
        for n in range(60):
            patient, mrn = uuid.uuid4().hex, f"M{n:04d}"
            consent = date(2026, 11, 10) if n % 5 == 0 else date(2025, 1, 1)
            run("INSERT INTO patient (id, mrn, family_name, given_name, active, "
                "billing_practitioner_id) VALUES (?, ?, ?, ?, 1, ?)",
                (patient, mrn, f"Manypatient{n:03d}", "Test", doctor))
            run("INSERT INTO enrollment (id, patient_id, program, consent_date, start_date, "
                "consent_method, consent_by, disclosed_cost_sharing, "
                "disclosed_one_practitioner, disclosed_right_to_stop) VALUES "
                "(?, ?, 'CCM', ?, ?, 'verbal', 'Many Clinician 0', 1, 1, 1)",
                (uuid.uuid4().hex, patient, consent.isoformat(), consent.isoformat()))
            spans = []
            at = lo - timedelta(hours=30)  # the first may cross the month's start
            for _ in range(rng.randint(0, 14)):
                at += timedelta(seconds=rng.randint(3600, 5 * 86400))
                if at >= hi + timedelta(hours=10):
                    break
                length = timedelta(seconds=rng.randint(60, 3 * 3600))
                overlap = spans and rng.random() < 0.1  # starts inside the one before
                start = spans[-1][1] - timedelta(minutes=5) if overlap else at
                spans.append((start, start + length, rng.choice([*nurses, doctor])))
                at = max(at, start + length)
            if n == 7:  # the month's last night, into December
                spans.append((hi - timedelta(hours=2), hi + timedelta(hours=1), nurses[0]))
            rows = []
            for start, end, who in spans:
                entry = uuid.uuid4().hex
                run("INSERT INTO time_entry (id, origin_id, version, clinician_id, "
                    "patient_id, category_id, program, note, source, state, workstation, "
                    "tz_name, voided, created_at) VALUES (?, ?, 1, ?, ?, ?, 'CCM', '', "
                    f"'TIMER', 'STOPPED', 'test', '{ZONE_KEY}', 0, ?)",
                    (entry, entry, who, patient, category, to_db_text(lo)))
                run("INSERT INTO interval (id, entry_id, start_utc, end_utc) "
                    "VALUES (?, ?, ?, ?)",
                    (uuid.uuid4().hex, entry, to_db_text(start), to_db_text(end)))
                rows.append((str(uuid.UUID(entry)), start, end, who == doctor))
            expected[mrn] = {"rows": rows, "consent": consent}
    return expected


def _counted(ctx, clinic: dict) -> PatientMonthTotals:
    """One patient's month counted from the rows: each interval's whole seconds inside the
    month (and from the consent day's start), the overlapping pairs' shared seconds."""
    lo, hi = month_bounds_utc(MONTH, ctx.zone)
    cut = day_start_utc(clinic["consent"], ctx.zone) if clinic["consent"] > MONTH.first_day \
        else lo
    seconds: dict[tuple[str, str], int] = {}
    before = 0
    for _, start, end, own in clinic["rows"]:
        inside = int((min(end, hi) - max(start, lo)).total_seconds())
        if inside <= 0:
            continue
        counted = max(0, int((min(end, hi) - max(start, cut)).total_seconds()))
        role = "practitioner" if own else "clinical_staff"
        seconds[(role, "CCM")] = seconds.get((role, "CCM"), 0) + counted
        before += inside - counted
    # Overlaps as the report defines them: an entry of the month starting before an earlier
    # entry of the month has ended is paired with every entry it shares time with.
    rows = clinic["rows"]
    window = sorted((r for r in rows if r[1] < hi and r[2] > lo),
                    key=lambda r: (r[1], uuid.UUID(r[0]).hex))
    found: dict[tuple[str, str], int] = {}
    for i, (entry, start, end, _) in enumerate(window):
        if not any(earlier[2] > start for earlier in window[:i]):
            continue
        for other, o_start, o_end, _ in rows:
            shared = (min(end, o_end) - max(start, o_start)).total_seconds()
            if other != entry and shared > 0:
                pair = tuple(sorted((entry, other)))
                found[pair] = max(found.get(pair, 0), int(shared))
    overlaps = [Overlap(a, b, secs) for (a, b), secs in found.items()]
    return PatientMonthTotals(seconds, tuple(overlaps), (), (),
                              {"CCM": before} if before else {}, True)


def _plain(result) -> str:
    data = result.to_dict()
    data["warnings"] = sorted(json.dumps(w, sort_keys=True) for w in data["warnings"])
    return json.dumps(data, sort_keys=True)


def _check(ctx, clinic: dict[str, dict]) -> None:
    month = report.month_report(ctx, str(MONTH))
    rules = rules_for_month(MONTH)
    assert {p.mrn for p in month.patients} == set(clinic)
    for patient in month.patients:
        expected = evaluate_patient_month(
            _counted(ctx, clinic[patient.mrn]), patient.enrollments, None, MONTH, rules,
            patient.record.engine_input(ctx.zone, patient.qmb))
        assert _plain(patient.result) == _plain(expected), patient.mrn


def test_a_clinic_of_many_patients_reads_as_counted_one_by_one(ctx, clock):
    clock.advance(datetime(2026, 12, 15, 15, 0, tzinfo=UTC) - ctx.now())  # the month is over
    clinic = _write_clinic(ctx, random.Random(18))
    assert sum(len(c["rows"]) for c in clinic.values()) > 300
    with ctx.engine.begin() as conn:  # first as a database from before the rollup
        conn.exec_driver_sql("DELETE FROM month_rollup_state")
        conn.exec_driver_sql("DELETE FROM month_rollup")
        conn.exec_driver_sql("DELETE FROM month_rollup_dirty")
    _check(ctx, clinic)
    with ctx.write() as session:
        month_rollup.ensure(session.connection(), ctx.zone, ctx.now())
    with ctx.engine.connect() as conn:
        assert month_rollup.usable(conn, ctx.zone)
    _check(ctx, clinic)
    # Some patients have overlapping entries and some a consent day inside the month.
    results = report.month_report(ctx, str(MONTH)).patients
    assert any(p.result.seconds_before_consent for p in results)
    assert any("overlap" in json.dumps(p.result.to_dict()["warnings"]) for p in results)
    assert any(p.result.seconds_by_role.get("practitioner") for p in results)
