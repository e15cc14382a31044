"""Types (issue 12): mypy finds no error in the layers below the UI, with the per-package
ratchet of pyproject.toml's [tool.mypy]."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = [
    "ccm_timer/core", "ccm_timer/store", "ccm_timer/services",
    "ccm_timer/errors.py", "ccm_timer/fsio.py", "ccm_timer/paths.py",
]


def _mypy(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    mypy = Path(sys.executable).with_name("mypy")
    return subprocess.run(
        [str(mypy), "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache),
         *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )


def test_the_configuration_checks_the_layers_below_the_ui() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert sorted(config["files"]) == sorted(CHECKED)  # a plain `mypy` checks the same


def test_mypy_finds_no_error(tmp_path: Path) -> None:
    # Every module is read: a run that checked nothing would also say "no issues".
    modules = sum(len(list((ROOT / p).rglob("*.py"))) if (ROOT / p).is_dir() else 1
                  for p in CHECKED)
    result = _mypy(*CHECKED, cache=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"no issues found in (\d+) source files", result.stdout)
    assert found and int(found.group(1)) == modules, result.stdout


def test_the_ratchet_refuses_an_unannotated_service(tmp_path: Path) -> None:
    """The strict part of the configuration reaches the services: a function without
    annotations there is an error, not skipped."""
    probe = tmp_path / "ccm_timer" / "services"
    probe.mkdir(parents=True)
    (tmp_path / "ccm_timer" / "__init__.py").write_text("")
    (probe / "__init__.py").write_text("")
    (probe / "probe.py").write_text("def total(ctx, mrn):\n    return ctx.now()\n")
    result = _mypy("--no-site-packages", str(probe / "probe.py"), cache=tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "probe.py:1: error: Function is missing a type annotation" in result.stdout
