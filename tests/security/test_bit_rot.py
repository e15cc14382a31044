"""Bit rot that keeps the file's size and mtime: the command line no longer trusts them for
more than a day, every page a command reads is verified as it is read, and a failure
anywhere switches to read-only, cleanly (issue 13, defect 2)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ccm_timer.services.context import open_app
from ccm_timer.services.people import clinicians
from ccm_timer.services.security import integrity
from ccm_timer.services.timing import entries
from ccm_timer.store.engine import ReadOnlyError
from tests.fixtures.cli import fingerprint
from tests.fixtures.clinic import setup_clinic
from tests.fixtures.damage import flip_keeping_mtime

MARKER = "ccm-timer.checked"


def _flip_keeping_mtime(home: Path, table: str, clock=None) -> None:
    """One byte of `table`'s root page, with the file's size and times kept as they were."""
    flip_keeping_mtime(home, table, clock)
    # what the old check trusted
    assert integrity.unchanged_since_clean_close(home / "ccm-timer.db")


def _clean_failure(result, words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "sqlalchemy" not in result.stderr.lower()
    assert words in result.stderr.splitlines()[-1], result.stderr


def test_no_command_writes_into_a_damaged_file_or_shows_a_traceback(home, cli):
    setup_clinic(home)
    _flip_keeping_mtime(home, "time_entry")
    database = (home / "ccm-timer.db").read_bytes()
    for args in (("start", "--patient", "T1001", "--category", "phone-call"), ("stop",),
                 ("entry", "add", "--patient", "T1001", "--category", "phone-call",
                  "--start", "2026-11-02T10:00", "--end", "2026-11-02T10:20")):
        _clean_failure(cli(*args), "read-only")
    for args in (("entry", "list"), ("approve", "--month", "2026-11", "--patient", "T1001")):
        done = cli(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "read-only" in done.stderr or "damaged database cannot be read" in done.stderr
    assert (home / "ccm-timer.db").read_bytes() == database  # not one commit went in
    before = fingerprint(home)
    doctor = cli("doctor")
    assert doctor.returncode == 1, doctor.stdout  # FAILED is a failure for a script too
    assert "Integrity:        FAILED" in doctor.stdout
    assert not (home / MARKER).exists()  # never vouched for over a failed check
    assert fingerprint(home) == before


def test_the_command_line_checks_every_page_at_least_once_a_day(home, clock):
    setup_clinic(home)
    _flip_keeping_mtime(home, "audit_event", clock)
    ctx = open_app(str(home), clock=clock)  # checked minutes ago: trusted, as before
    assert ctx.read_only is None
    ctx.close()
    clock.advance(timedelta(days=1))
    ctx = open_app(str(home), clock=clock)  # a day later: every page is read again
    try:
        assert ctx.read_only and "failed its integrity check" in ctx.read_only
    finally:
        ctx.close()
    assert not (home / MARKER).exists()


def test_a_check_dated_in_the_future_vouches_for_nothing(home, clock):
    setup_clinic(home)
    _flip_keeping_mtime(home, "audit_event", clock)
    clock.advance(timedelta(days=-2))  # the clock was set back
    ctx = open_app(str(home), clock=clock)
    try:
        assert ctx.read_only and "failed its integrity check" in ctx.read_only
    finally:
        ctx.close()


def test_a_damaged_page_met_mid_session_switches_it_to_read_only(home, clock):
    setup_clinic(home)
    _flip_keeping_mtime(home, "time_entry", clock)
    ctx = open_app(str(home), clock=clock)
    try:
        assert ctx.read_only is None  # the open trusted the files
        with pytest.raises(ReadOnlyError, match="read-only"):
            entries.list_entries(ctx)  # SQLCipher fails the page's MAC as it reads it
        assert ctx.read_only
        with pytest.raises(ReadOnlyError, match="nothing can be recorded"):
            clinicians.add(ctx, name="Blake Test", credential="MD", role="practitioner")
        assert clinicians.list_clinicians(ctx)  # intact tables can still be read
    finally:
        ctx.close()
    assert not (home / MARKER).exists()
