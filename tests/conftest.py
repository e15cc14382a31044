"""Shared fixtures: every test gets its own data folder with a real SQLite file."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Every data folder's database is encrypted; its key goes to a real keyring backend of the
# tests' own (a file per entry in one folder for the session), which `ccm-timer`
# subprocesses find through the same variables. tests/security covers the other keyrings.
_ROOT = str(Path(__file__).resolve().parents[1])
KEYRING_ENV = {
    "CCM_TIMER_KEYRING_BACKEND": "tests.security.keyring_backend.FolderKeyring",
    "CCM_TEST_KEYRING_DIR": tempfile.mkdtemp(prefix="ccm-test-keyring-"),
    "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p),
}
os.environ.update(KEYRING_ENV)
os.environ.pop("CCM_TIMER_PASSPHRASE", None)
atexit.register(shutil.rmtree, KEYRING_ENV["CCM_TEST_KEYRING_DIR"], True)

from ccm_timer.core.clock import ManualClock  # noqa: E402
from ccm_timer.services.context import AppContext, open_app  # noqa: E402
from ccm_timer.services.people import clinicians, patients  # noqa: E402

T0 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York

# Fixtures shared across folders come through pytest, never by importing a test module.
pytest_plugins = ["tests.fixtures.delivery", "tests.fixtures.keyring"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "ws-test-1"\n', encoding="utf-8"
    )
    return folder


@pytest.fixture
def ctx(home: Path, clock: ManualClock) -> AppContext:
    app = open_app(str(home), clock=clock)
    yield app
    app.close()


@pytest.fixture
def clinic(ctx: AppContext) -> AppContext:
    """A small synthetic clinic: a nurse (default), a physician and three patients."""
    clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff",
                   default=True)
    clinicians.add(ctx, name="Dr Blake Test", credential="MD", role="practitioner",
                   npi="1234567893")
    patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                 consent=datetime(2026, 1, 5).date())
    patients.add(ctx, mrn="T1002", name="Sample, José", program="CCM")
    patients.add(ctx, mrn="T1003", name="Example, Chloé", program="RPM",
                 consent=datetime(2026, 2, 1).date())
    return ctx


def run_cli(home: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """The real `ccm-timer` command in a subprocess."""
    env = {k: v for k, v in os.environ.items() if k != "CCM_TIMER_HOME"}
    env["CCM_TIMER_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "ccm_timer", *args],
        capture_output=True, text=True, env=env, input=input, timeout=120,
    )


@pytest.fixture
def cli(home: Path):
    def call(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return run_cli(home, *args, input=input)

    return call
