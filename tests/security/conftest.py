"""Helpers for the security tests: real keyring backends chosen per test, the real CLI in
subprocesses, and fingerprints of every file in a data folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import KEYRING_ENV

FOLDER = "tests.security.keyring_backend.FolderKeyring"
FAIL = "keyring.backends.fail.Keyring"
NULL = "keyring.backends.null.Keyring"
LOCKED = "tests.security.keyring_backend.LockedKeyring"
PLAINTEXT_GRADE = "tests.security.keyring_backend.PlaintextGradeKeyring"
FORGETFUL = "tests.security.keyring_backend.ForgetfulKeyring"
PASSPHRASE = "correct horse battery staple"


def fingerprint(folder: Path) -> dict[str, str]:
    """name -> SHA-256 of every file under `folder` (the whole data folder's state)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def run(home: Path, *args: str, backend: str = FOLDER, input: str | None = None,
        **env: str) -> subprocess.CompletedProcess:
    """`ccm-timer ARGS` with the database key kept by `backend`; `env` adds variables
    (CCM_TIMER_PASSPHRASE...)."""
    full = {k: v for k, v in os.environ.items()
            if k not in ("CCM_TIMER_HOME", "CCM_TIMER_PASSPHRASE")}
    full.update(KEYRING_ENV, CCM_TIMER_HOME=str(home), CCM_TIMER_KEYRING_BACKEND=backend,
                **env)
    return subprocess.run([sys.executable, "-m", "ccm_timer", *args], capture_output=True,
                          text=True, env=full, input=input, timeout=120)


@pytest.fixture
def sh(home: Path) -> Callable[..., subprocess.CompletedProcess]:
    def call(*args: str, **kw) -> subprocess.CompletedProcess:
        return run(home, *args, **kw)

    return call


def setup_clinic(home: Path, note: str = "first call") -> None:
    """A nurse (default), a patient and one stopped five-minute timer with `note`, made
    in-process (the key goes to the suite's keyring, where the subprocesses find it)."""
    from datetime import UTC, date, datetime, timedelta

    from ccm_timer.core.clock import ManualClock
    from ccm_timer.services.context import open_app
    from ccm_timer.services.people import clinicians, patients
    from ccm_timer.services.timing import timers

    clock = ManualClock(datetime(2026, 11, 3, 15, 0, tzinfo=UTC))
    ctx = open_app(str(home), clock=clock)
    try:
        clinicians.add(ctx, name="Avery Nurse", credential="RN", role="clinical_staff",
                       default=True)
        patients.add(ctx, mrn="T1001", name="Testpatient, Alma", program="CCM",
                     consent=date(2026, 1, 5))
        timers.start(ctx, patient_mrn="T1001", category_slug="phone-call", note=note)
        clock.advance(timedelta(minutes=5))
        timers.stop(ctx)
    finally:
        ctx.close()
