"""Issue 13, defect 12: tracebacks on the command line for times at the ends of the
calendar, a non-UTF-8 argument and a senseless network timeout (which also left an export
in flight); entries in 1900 or ten years long were kept, and a 22-hour one was billed
without a question. Each is now one sentence, and nothing is written."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.cli import db_digest, fails, run_cli
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.keyring import KEYRING_ENV

ZONE = ZoneInfo("America/New_York")  # the test clinic's
ADD = ("entry", "add", "--patient", "T1001", "--category", "phone-call")


@pytest.fixture
def clinic_home(home: Path) -> Path:
    setup_clinic(home)
    return home


def _wall(days_ago: float, hour: int, minute: int = 0) -> str:
    """A clinic wall time on a recent day (the command line runs on the real clock)."""
    day = (datetime.now(UTC) - timedelta(days=days_ago)).astimezone(ZONE).date()
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def _entries(home: Path) -> list[dict]:
    done = run_cli(home, "entry", "list", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(("start", "end", "why"), [
    ("0001-01-01T00:00", "0001-01-01T00:10", "The start 0001-01-01 is before 2000-01-01, the "
                                             "earliest date an entry may have; check the year."),
    ("0001-01-01T00:00+05:00", "0001-01-01T00:10+05:00",
     "The start time is wrong: '0001-01-01T00:00+05:00' is too far from today to be a time."),
    ("9999-12-31T23:59", "9999-12-31T23:59", "The start time is wrong: '9999-12-31T23:59' is "
                                             "too far from today to be a time."),
    ("9999-12-31T23:50-05:00", "9999-12-31T23:59-05:00", "too far from today to be a time"),
    ("9999-12-31T23:58+00:00", "9999-12-31T23:59+00:00", "The end is in the future; time can "
                                                         "be added only once it is spent."),
    ("1900-11-02T10:00", "1900-11-02T10:10", "The start 1900-11-02 is before 2000-01-01"),
    ("1999-12-31T10:00", "1999-12-31T10:10", "The start 1999-12-31 is before 2000-01-01"),
])
def test_times_far_from_today_are_one_sentence(clinic_home, start, end, why):
    fails(clinic_home, *ADD, "--start", start, "--end", end, match=why)


def test_a_ten_year_span_is_refused_even_with_yes(clinic_home):
    fails(clinic_home, *ADD, "--start", _wall(3650, 9), "--end", _wall(3, 10), "--yes",
          match="long, more than 24 hours; add one entry per day of work.")


def test_a_long_entry_off_a_terminal_needs_yes(clinic_home):
    start, end = _wall(3, 6), _wall(2, 4)  # 22 hours
    fails(clinic_home, *ADD, "--start", start, "--end", end,
          match="ccm-timer: This entry would be 22 hours long, more than 12 hours; check "
                "the start and end, or pass --yes to keep it as it is.")
    done = run_cli(clinic_home, *ADD, "--start", start, "--end", end, "--yes")
    assert done.returncode == 0, done.stderr
    assert "22:00:00" in done.stdout
    assert [e["seconds"] for e in _entries(clinic_home)].count(22 * 3600) == 1
    # A correction that makes an entry long is asked about the same way.
    short = run_cli(clinic_home, *ADD, "--start", _wall(5, 8), "--end", _wall(5, 9))
    entry = short.stdout.split("entry ")[1].split(" ")[0]
    fails(clinic_home, "entry", "edit", entry, "--reason", "typo", "--end", _wall(5, 21, 30),
          match="This entry would be 13 h 30 min long")
    assert run_cli(clinic_home, "entry", "edit", entry, "--reason", "typo", "--end",
                   _wall(5, 21), "--yes").returncode == 0
    assert [e["seconds"] for e in _entries(clinic_home)].count(13 * 3600) == 1


@pytest.mark.parametrize(("answer", "kept"), [("y\n", True), ("n\n", False), ("", False)])
def test_on_a_terminal_a_long_entry_is_asked_about(clinic_home, answer, kept):
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_HOME"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(clinic_home))
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "ccm_timer", *ADD, "--start", _wall(3, 6), "--end",
             _wall(2, 4)], stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, text=True)
        os.close(follower)
        os.write(leader, answer.encode() or b"\x04")  # Ctrl-D: no answer at all
        out, err = child.communicate(timeout=120)
    finally:
        os.close(leader)
    assert "This entry would be 22 hours long, more than 12 hours. Keep it? [y/N]" in out
    assert "Traceback" not in err
    assert child.returncode == (0 if kept else 1)
    if not kept:
        assert err == "ccm-timer: Nothing was added; check the start and end.\n"
    assert any(e["seconds"] == 22 * 3600 for e in _entries(clinic_home)) is kept


@pytest.mark.parametrize("command", [
    (*ADD, "--start", "2026-11-02T10:00", "--end", "2026-11-02T10:10", "--note"),
    ("start", "--patient", "T1001", "--category", "phone-call", "--note"),
    ("stop", "--note"),
    ("patient", "add", "T1009", "--name"),
])
def test_an_argument_that_is_not_utf8_is_one_sentence(clinic_home, command):
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_HOME"}
    env.update(KEYRING_ENV, CCM_TIMER_HOME=str(clinic_home))
    before = db_digest(clinic_home)
    args = [a.encode() for a in command] + [b"Call \xff back"]
    done = subprocess.run([sys.executable.encode(), b"-m", b"ccm_timer", *args],
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode() == (f"ccm-timer: Argument {len(args)} is not UTF-8 text; type "
                                    "it again, or set the terminal's character set to "
                                    "UTF-8.\n")
    assert db_digest(clinic_home) == before


@pytest.mark.parametrize("timeout", ["-1", "nan", "1e308", "inf", "0", "121", "soon"])
def test_a_senseless_sync_timeout_is_refused_and_nothing_is_left_in_flight(clinic_home,
                                                                          timeout):
    assert run_cli(clinic_home, "target", "add", "web", "--kind", "https", "--url",
                   "https://127.0.0.1:9/in", "--no-token").returncode == 0
    assert run_cli(clinic_home, "export", "--month", "2026-11", "--format", "csv",
                   "--draft", "--send", "web").returncode == 0
    fails(clinic_home, "sync", "--once", "--timeout", timeout, code=2,
          match=f"ccm-timer sync: argument --timeout: the timeout must be a number of "
                f"seconds above 0 and at most 120, not '{timeout}'; see `ccm-timer sync "
                "--help`.")
    listed = run_cli(clinic_home, "sync", "--list", "--json")
    [item] = json.loads(listed.stdout)
    assert item["state"] == "pending" and item["attempts"] == 0
