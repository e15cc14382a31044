from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture
def setup(home: Path):
    """A nurse (default), a physician and two patients, through the command line."""
    for args in (
        ["clinician", "add", "--name", "Avery Nurse", "--credential", "RN",
         "--role", "clinical_staff", "--default"],
        ["clinician", "add", "--name", "Dr Blake Test", "--credential", "MD",
         "--role", "practitioner", "--npi", "1234567893"],
        ["patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma", "--dob",
         "1950-02-03", "--program", "CCM", "--consent", "2026-01-05"],
        ["patient", "add", "--mrn", "T1002", "--name", "Sample, José", "--program", "CCM"],
    ):
        result = run_cli(home, *args)
        assert result.returncode == 0, result.stderr
    return home
