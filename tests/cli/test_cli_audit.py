"""`ccm-timer audit list` (issue 16 point 6): administrators review the trail, changes and
reads; the commands that print patient data leave a read event."""

from __future__ import annotations

import getpass
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccm_timer.core.clock import ManualClock
from ccm_timer.services.context import open_app
from ccm_timer.services.timing import timers
from tests.fixtures.cli import TYPED, run_cli
from tests.fixtures.clinic import NURSE, PASSWORD, T0, add_people

ADMIN = "Casey Admin"
NOTE = "Daughter says the inhaler ran out on Sunday"


@pytest.fixture
def audited(home: Path) -> Path:
    """T1001 and T1002 with a four-minute call in November 2026 (made in-process at that
    clock); no administrator yet."""
    clock = ManualClock(T0)
    ctx = open_app(str(home), clock=clock)
    try:
        add_people(ctx, mrns=("T1001", "T1002"))
        timers.start(ctx, patient_mrn="T1001", category_slug="phone-call", note=NOTE)
        clock.advance(timedelta(minutes=4))
        timers.stop(ctx)
    finally:
        ctx.close()
    return home


@pytest.fixture
def with_admin(audited: Path) -> Path:
    """`audited` with an administrator who has a password: the review is theirs now."""
    for args in (["clinician", "add", "--name", ADMIN, "--credential", "Office", "--role",
                  "office", "--duty", "admin"], ["clinician", "set-password", ADMIN]):
        done = run_cli(audited, *args)
        assert done.returncode == 0, done.stderr
    return audited


def _listed(home: Path, *args: str, input: str = TYPED) -> dict:
    done = run_cli(home, "audit", "list", "--json", *args, input=input)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_reads_are_listed_while_the_clinic_has_no_administrator(audited) -> None:
    for args in (["report", "--month", "2026-11", "--patient", "T1001"], ["patient", "list"]):
        done = run_cli(audited, *args)
        assert done.returncode == 0, done.stderr
    events = _listed(audited)["events"]
    report, listing, review = events[-3:]
    assert (report["action"], report["actor"], report["mrn"], report["month"]) == (
        "read.report", NURSE, "T1001", "2026-11")
    assert report["os_user"] == getpass.getuser() and report["workstation"] == "ws-test-1"
    assert (listing["action"], listing["what"]) == (
        "read.patient", "viewed a patient's record (patient list (2 patients))")
    assert (review["action"], review["actor"]) == ("read.audit", NURSE)
    started = next(e for e in events if e["action"] == "timer.start")
    assert (started["mrn"], started["at"]) == ("T1001", "2026-11-03 10:00:00")
    assert "before" not in started and "after" not in started


def test_listing_entries_conditions_and_the_care_plan_are_reads(audited) -> None:
    for args in (["entry", "list", "--month", "2026-11", "--patient", "T1001"],
                 ["patient", "condition", "list", "--mrn", "T1001"],
                 ["careplan", "show", "--mrn", "T1001"]):
        done = run_cli(audited, *args)
        assert done.returncode == 0, done.stderr
    entry_id = json.loads(run_cli(audited, "entry", "list", "--json").stdout)[0]["id"]
    assert run_cli(audited, "entry", "history", entry_id).returncode == 0
    reads = [(e["action"], e["mrn"]) for e in _listed(audited)["events"]
             if e["action"].startswith("read.")]
    assert reads == [("read.entries", "T1001"), ("read.patient", "T1001"),
                     ("read.patient", "T1001"), ("read.entries", ""),
                     ("read.entries", "T1001"), ("read.audit", "")]


def test_an_administrator_lists_with_their_password(with_admin) -> None:
    done = run_cli(with_admin, "audit", "list", "--as", ADMIN)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["WHEN", "WHO", "OS", "ACCOUNT", "WORKSTATION", "ACTION",
                                "PATIENT", "MONTH", "WHAT"]
    assert ADMIN in lines[-2] and "reviewed the audit trail (audit list)" in lines[-2]
    assert getpass.getuser() in lines[-2]  # the OS account of the read
    assert lines[-1].endswith("oldest first; times are America/New_York time.")
    assert any("T1001" in line and "started a timer" in line for line in lines)
    for text in (done.stdout, done.stderr):
        assert PASSWORD not in text and NOTE not in text and "inhaler" not in text


def test_a_wrong_password_is_refused_and_nothing_is_listed(with_admin) -> None:
    done = run_cli(with_admin, "audit", "list", "--as", ADMIN, input="not-the-password\n")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == f"ccm-timer: That is not {ADMIN}'s password; nothing was " \
        "changed."
    time.sleep(1.05)  # the wait after one wrong password
    events = _listed(with_admin, "--as", ADMIN)["events"]
    assert [e["action"] for e in events if e["action"] == "read.audit"] == ["read.audit"]
    failed = next(e for e in events if e["action"] == "signin.fail")
    assert (failed["actor"], failed["what"]) == (ADMIN, "wrong password (1 in a row)")
    assert "not-the-password" not in json.dumps(events)


def test_a_nurse_is_refused_once_there_is_an_administrator(with_admin) -> None:
    done = run_cli(with_admin, "audit", "list", "--as", NURSE)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert "Avery Nurse (clinical staff) may not review the audit trail: only " \
        "administrators may" in done.stderr
    done = run_cli(with_admin, "audit", "list")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("ccm-timer: Only an administrator may review the audit "
                                  "trail: pass --as")
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_month_filter_is_by_clinic_time_and_json_carries_no_secret(with_admin) -> None:
    november = _listed(with_admin, "--month", "2026-11", "--as", ADMIN)
    assert november["month"] == "2026-11" and november["locked_sign_ins"] == []
    assert november["events"] and all(e["at"].startswith("2026-11")
                                      for e in november["events"])
    assert "timer.start" in [e["action"] for e in november["events"]]
    now = datetime.now(ZoneInfo("America/New_York")).strftime("%Y-%m")
    this_month = _listed(with_admin, "--month", now, "--as", ADMIN)["events"]
    assert [e["actor"] for e in this_month if e["action"] == "read.audit"][-1] == ADMIN
    text = json.dumps(november) + json.dumps(this_month)
    assert PASSWORD not in text and NOTE not in text
    done = run_cli(with_admin, "audit", "list", "--month", "2026-10", "--as", ADMIN)
    assert done.returncode == 0 and done.stdout == "No audit events in 2026-10.\n"
    done = run_cli(with_admin, "audit", "list", "--month", "Nov", "--as", ADMIN)
    assert done.returncode == 2 and "YYYY-MM" in done.stderr and done.stdout == ""
