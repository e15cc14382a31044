"""Build the wheel, install it into a new virtual environment outside the checkout, and run
the smoke test (packaging/smoke_test.py) through that install.

    python packaging/check_wheel.py [--wheel FILE] [--out DIR] [--keep]

Without --wheel, the wheel is built from this checkout with `python -m build --wheel`
(`pip install -e ".[build]"` brings `build`) into --out (default: a temporary folder). The
virtual environment is made in a temporary folder and everything runs from there, so the
checkout is on no import path: what works, works from the wheel alone. Standard library only;
runs on Linux, macOS and Windows (the build workflow runs it on all three).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import smoke_test  # noqa: E402  (beside this file)


def version() -> str:
    """The checkout's version, read as text (this Python need not have ccm_timer)."""
    text = (ROOT / "ccm_timer" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def build_wheel(out: Path) -> Path:
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (wheel,) = out.glob("ccm_timer-*.whl")
    print(f"built {wheel.name} in {time.monotonic() - began:.0f} s, "
          f"{wheel.stat().st_size / 1024:.0f} KiB")
    return wheel


def scripts_dir(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def install(wheel: Path, env: Path) -> Path:
    """A new virtual environment with the wheel and its dependencies; its `ccm-timer`."""
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    python = scripts_dir(env) / ("python.exe" if os.name == "nt" else "python")
    began = time.monotonic()
    done = subprocess.run([str(python), "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", str(wheel)],
                          cwd=env, capture_output=True, text=True)
    if done.returncode != 0:  # pip's warnings only when they matter
        raise SystemExit(f"check_wheel: pip install failed:\n{done.stdout}{done.stderr}")
    print(f"installed into {env} in {time.monotonic() - began:.0f} s")
    program = scripts_dir(env) / ("ccm-timer.exe" if os.name == "nt" else "ccm-timer")
    if not program.is_file():
        raise SystemExit(f"check_wheel: the wheel installed no {program.name} program")
    return python


def where_it_reads(python: Path, work: Path) -> dict[str, str]:
    """Where the installed package and its resources are, asked of the installed Python."""
    code = ("import json, sys, ccm_timer, ccm_timer.paths as p; "
            "print(json.dumps({'package': ccm_timer.__file__, "
            "'resources': str(p.resource_root()), 'path': sys.path}))")
    env = {k: v for k, v in os.environ.items() if k not in smoke_test.SCRUB}
    done = subprocess.run([str(python), "-c", code], cwd=work, env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="test this wheel instead of building one")
    parser.add_argument("--out", type=Path, help="build the wheel into this folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ccm-wheel-")).resolve()
    try:
        wheel = args.wheel.resolve() if args.wheel else build_wheel(
            (args.out or work / "dist").resolve())
        python = install(wheel, work / "venv")
        found = where_it_reads(python, work)
        package = Path(found["package"]).resolve()
        resources = Path(found["resources"]).resolve()
        if ROOT in package.parents or ROOT in resources.parents:
            print(f"check_wheel: the install reads the checkout: {found}", file=sys.stderr)
            return 1
        if resources != package.parent / "resources" or not resources.is_dir():
            print(f"check_wheel: resources not inside the installed package: {found}",
                  file=sys.stderr)
            return 1
        print(f"the installed package reads its resources from {resources}")
        program = scripts_dir(work / "venv") / ("ccm-timer.exe" if os.name == "nt"
                                                else "ccm-timer")
        smoke_work = work / "smoke"
        smoke_work.mkdir()
        return smoke_test.main([str(program), "--expect-version", version(),
                                "--keep", str(smoke_work)])
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
