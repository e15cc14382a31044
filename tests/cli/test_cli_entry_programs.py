"""The command line records time toward a program the patient is not enrolled in, and says
so on standard error (it would count toward no bill); a correction that fits says nothing."""

from __future__ import annotations

from tests.fixtures.cli import run_cli

WARNING = ("Warning: This patient is enrolled in CCM, not RPM, so this time would count "
           "toward no bill.")


def test_start_and_entries_warn_about_a_program_not_theirs(cli_clinic):
    added = run_cli(cli_clinic, "entry", "add", "--patient", "T1002", "--category",
                    "rpm-phone-call", "--start", "2026-11-02T09:00", "--end",
                    "2026-11-02T09:10")
    assert added.returncode == 0 and added.stdout.startswith("Added entry")
    assert added.stderr.startswith(WARNING) and "`ccm-timer category list`" in added.stderr
    entry = added.stdout.split()[2]
    fixed = run_cli(cli_clinic, "entry", "edit", entry, "--category", "phone-call",
                    "--reason", "a CCM call")
    assert (fixed.returncode, fixed.stderr) == (0, "")
    started = run_cli(cli_clinic, "start", "--patient", "T1001", "--category",
                      "bhi-phone-call")
    assert started.returncode == 0 and "not BHI" in started.stderr
