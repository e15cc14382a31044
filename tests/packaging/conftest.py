"""The bundle test builds the PyInstaller bundle (about a minute on two cores, more under
load), so it runs only when asked:

    CCM_RUN_PACKAGING=1 .venv/bin/python -m pytest tests/packaging
    .venv/bin/python -m pytest tests/packaging --run-packaging

(`--run-packaging` is known only when tests/packaging is named on the command line, because
pytest reads this file's options after parsing a plain `pytest`; the variable works always.)
The desktop entry tests in this folder are quick and always run.
"""

from __future__ import annotations

import os

import pytest

ENV_RUN = "CCM_RUN_PACKAGING"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-packaging", action="store_true", default=False,
                     help="build the PyInstaller bundle and test it (tests marked packaging)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-packaging", default=False) or os.environ.get(ENV_RUN) == "1":
        return
    skip = pytest.mark.skip(reason=f"builds the bundle (slow): set {ENV_RUN}=1 or pass "
                            "--run-packaging with tests/packaging")
    for item in items:
        if item.get_closest_marker("packaging"):
            item.add_marker(skip)
