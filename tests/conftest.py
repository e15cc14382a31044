"""The suite's environment, and its shared fixtures, which come from tests/fixtures/ through
pytest (never by importing a test module): the synthetic clinic in a real SQLite file of
each test's own, the `ccm-timer` runner, the test keyring, the delivery servers, the tray."""

from __future__ import annotations

import atexit
import os
import shutil

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The fixtures modules import each other: their asserts are rewritten whichever comes first.
pytest.register_assert_rewrite("tests.fixtures")

# Every data folder's database is encrypted; its key goes to a real keyring backend of the
# tests' own (a file per entry in one folder for the session), which `ccm-timer`
# subprocesses find through the same variables. tests/security covers the other keyrings.
from tests.fixtures.keyring import KEYRING_ENV  # noqa: E402

os.environ.update(KEYRING_ENV)
os.environ.pop("CCM_TIMER_PASSPHRASE", None)
atexit.register(shutil.rmtree, KEYRING_ENV["CCM_TEST_KEYRING_DIR"], True)

pytest_plugins = [
    "tests.fixtures.clinic",
    "tests.fixtures.cli",
    "tests.fixtures.keyring_fixtures",
    "tests.fixtures.delivery",
    "tests.fixtures.tray",
    "tests.fixtures.full_disk",
    "tests.fixtures.export_window",
    "tests.fixtures.workstations",
    "tests.fixtures.tray_channel",
]
