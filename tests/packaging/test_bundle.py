"""The PyInstaller bundle, built by packaging/build.sh into a temporary folder and run from
there as a clinic would run it: no Python, no source tree, no test keyring on its path.

Runs only with CCM_RUN_PACKAGING=1 (or --run-packaging; see conftest.py). Set
CCM_PACKAGING_DIST=dist to test an existing build (dist/ccm-timer) instead of building.
The tray check photographs the bundle's tray and start dialog into test-artifacts/packaging/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.xdesktop import ARTIFACTS, XDesktop, wait_for
from ccm_timer import __version__
from tests.fixtures.desktop_tools import require_tools

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "packaging-test-passphrase"
NURSE_PASSWORD = "packaging-nurse-1"  # the synthetic nurse's sign-in
# The suite's own keyring and import path must not reach the bundle (tests/conftest.py).
_TEST_ONLY = ("CCM_TIMER_KEYRING_BACKEND", "CCM_TEST_KEYRING_DIR", "PYTHONPATH", "PYTHONHOME",
              "CCM_TIMER_HOME", "CCM_TIMER_PASSPHRASE")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the `ccm-timer` program and its `_internal/`."""
    given = os.environ.get("CCM_PACKAGING_DIST")
    if given:
        return Path(given).resolve() / "ccm-timer"
    out = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "PYTHON": sys.executable, "DIST": str(out / "dist"),
           "WORK": str(out / "work")}
    began = time.monotonic()
    built = subprocess.run([str(ROOT / "packaging" / "build.sh")], env=env, cwd=out,
                           capture_output=True, text=True, timeout=1500)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    folder = out / "dist" / "ccm-timer"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    (ARTIFACTS / "packaging").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "packaging" / "build.txt").write_text(
        f"build: {time.monotonic() - began:.0f} s; bundle: {size / 2**20:.0f} MiB\n")
    shutil.rmtree(out / "work", ignore_errors=True)  # PyInstaller's cache, not the product
    return folder


def _env(home: Path, base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in (base or os.environ).items() if k not in _TEST_ONLY}
    env.update(CCM_TIMER_HOME=str(home), **extra)
    return env


def _run(bundle: Path, home: Path, *args: str, typed: str = "",
         **extra: str) -> subprocess.CompletedProcess:
    """`typed`: standard input, as a person types when asked (a password)."""
    extra.setdefault("CCM_TIMER_PASSPHRASE", PASSPHRASE)
    return subprocess.run([str(bundle / "ccm-timer"), *args], env=_env(home, **extra),
                          cwd=home.parent, capture_output=True, text=True, timeout=120,
                          input=typed)


def _ok(bundle: Path, home: Path, *args: str, typed: str = "") -> str:
    done = _run(bundle, home, *args, typed=typed)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout


def _clinic(bundle: Path, home: Path) -> None:
    _ok(bundle, home, "clinician", "add", "--name", "Avery Nurse", "--credential", "RN",
        "--role", "clinical_staff", "--default")
    _ok(bundle, home, "clinician", "set-password", "Avery Nurse", typed=f"{NURSE_PASSWORD}\n")
    _ok(bundle, home, "patient", "add", "--mrn", "T1001", "--name", "Testpatient, Alma",
        "--program", "CCM", "--consent", "2026-01-05")
    # As at a clinic's setup; else the tray's first start waits in the recovery key dialog.
    assert "-" in _ok(bundle, home, "unlock", "--show-recovery-key")


def test_the_bundle_holds_what_the_app_loads_by_name_or_path(bundle: Path) -> None:
    inside = bundle / "_internal"
    # resources/ goes where an installed wheel has it: ccm_timer/resources (ccm_timer.paths).
    sources = [p.relative_to(ROOT / "resources") for p in (ROOT / "resources").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts]
    packaged = inside / "ccm_timer" / "resources"
    assert sources and all((packaged / p).is_file() for p in sources), "resources/ incomplete"
    assert not (inside / "resources").exists(), "a second copy of resources/"
    migrations = ROOT / "ccm_timer" / "store" / "migrations"
    for script in [migrations / "env.py", *sorted((migrations / "versions").glob("*.py"))]:
        assert (inside / script.relative_to(ROOT)).is_file(), script.name
    assert (packaged / "desktop" / "org.ccmtimer.CCMTimer.desktop").is_file()
    # keyring finds its backends through entry points: its metadata must be there.
    (points,) = inside.glob("keyring-*.dist-info/entry_points.txt")
    assert "keyring.backends.SecretService" in points.read_text()
    assert not list(inside.rglob("libqgtk3.so")), "GTK theme plugin would load system GTK"


def test_version(bundle: Path, tmp_path: Path) -> None:
    done = _run(bundle, tmp_path / "data", "--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"ccm-timer {__version__}")
    assert not (tmp_path / "data").exists()


def test_the_menu_entry_starts_the_bundle(bundle: Path, tmp_path: Path) -> None:
    share = tmp_path / "share"
    done = _run(bundle, tmp_path / "data", "install-desktop-entry", "--json",
                HOME=str(tmp_path), XDG_DATA_HOME=str(share))
    assert done.returncode == 0, done.stderr
    paths = json.loads(done.stdout)
    entry = Path(paths["entry"]).read_text(encoding="utf-8")
    program = str(bundle / "ccm-timer")
    assert f"\nExec={program}\n" in entry and f"\nTryExec={program}\n" in entry
    assert Path(paths["icon"]).read_bytes() == (
        ROOT / "resources" / "icons" / "org.ccmtimer.CCMTimer.svg").read_bytes()
    assert _run(bundle, tmp_path / "data", "install-desktop-entry", "--remove",
                HOME=str(tmp_path), XDG_DATA_HOME=str(share)).returncode == 0
    assert not Path(paths["entry"]).exists() and not Path(paths["icon"]).exists()


def test_the_smoke_test_passes_against_the_bundle(bundle: Path, tmp_path: Path) -> None:
    """packaging/smoke_test.py, as .ci/run runs it against the installed wheel: --version,
    categories, a clinician, a patient, 25 minutes, the report with 99490, the EHR note (the
    bundled templates), a PDF (the bundled Qt, without the tray), doctor (Alembic made the
    schema of a new encrypted database) and the audit trail."""
    env = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY}
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "smoke_test.py"), str(bundle / "ccm-timer"),
         "--expect-version", __version__, "--keep", str(tmp_path / "smoke")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    (ARTIFACTS / "packaging").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "packaging" / "smoke.txt").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke test passed" in done.stdout


def test_doctor_says_where_the_data_is(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "data"
    text = _ok(bundle, home, "doctor")
    assert "Audit chain:      intact" in text and str(home) in text


def test_keyring_backends_load_by_name(bundle: Path, tmp_path: Path) -> None:
    """CCM_TIMER_KEYRING_BACKEND names a backend as module.Class: the bundled one imports
    (and then finds no D-Bus here), where a backend not in the bundle cannot."""
    said = {}
    for name in ("SecretService", "NotBundled"):
        done = _run(bundle, tmp_path / "data", "doctor", CCM_TIMER_PASSPHRASE="",
                    CCM_TIMER_KEYRING_BACKEND=f"keyring.backends.{name}.Keyring",
                    DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent")
        assert done.returncode == 1
        said[name] = done.stderr
    assert "ModuleNotFoundError" in said["NotBundled"]
    assert "SecretService" in said["SecretService"]
    assert "ModuleNotFoundError" not in said["SecretService"]


def test_the_database_key_goes_to_a_real_secret_service(bundle: Path, tmp_path: Path) -> None:
    """keyring picks its backend by itself (entry points), as on a clinic's GNOME desktop."""
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(t)]
    if missing:
        reason = f"needs {', '.join(missing)}: apt-get install dbus gnome-keyring"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    home, user = tmp_path / "data", tmp_path / "user"
    (user / "run").mkdir(parents=True)
    (user / "run").chmod(0o700)
    script = (
        'eval "$(printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock '
        '--components=secrets)" && "$BUNDLE" doctor && "$BUNDLE" doctor --json'
    )
    env = _env(home, HOME=str(user), XDG_DATA_HOME=str(user / "share"),
               XDG_RUNTIME_DIR=str(user / "run"), KEYRING_PASSWORD="login-password",
               BUNDLE=str(bundle / "ccm-timer"))
    done = subprocess.run(["dbus-run-session", "--", "bash", "-c", script], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "the system keyring (keyring.backends.SecretService.Keyring)" in done.stdout
    doctor = json.loads(done.stdout[done.stdout.index("\n{") + 1:])
    assert doctor["encryption"]["key_kept_in"] == "keyring"


def _tray_icon(d: XDesktop) -> tuple[int, int] | None:
    for window in d.search("--class", "ccm-timer"):
        x, y, w, h = d.geometry(window)
        if w <= 48 and h <= 48 and y < 40:  # inside the trayer panel at the top
            return x + w // 2, y + h // 2
    return None


def _menu_open(d: XDesktop) -> bool:
    return any(d.geometry(w)[3] > 60 and d.geometry(w)[1] < 100
               for w in d.search("--class", "ccm-timer"))


def test_the_bundled_tray_starts_hands_over_and_quits(bundle: Path, tmp_path: Path) -> None:
    require_tools()
    home = tmp_path / "data"
    _clinic(bundle, home)
    d = XDesktop(ARTIFACTS / "packaging", tray_host=True)
    try:
        env = _env(home, d.env(), CCM_TIMER_PASSPHRASE=PASSPHRASE)
        log = open(d.artifacts / "bundle-tray.log", "w")  # noqa: SIM115 - closed below
        began = time.monotonic()
        app = subprocess.Popen([str(bundle / "ccm-timer")], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
        icon = wait_for(lambda: _tray_icon(d), 30, "the bundle's tray icon")
        (d.artifacts / "startup.txt").write_text(
            f"bundle: process start to tray icon {time.monotonic() - began:.2f} s\n")
        wait_for(lambda: "ready after" in (home / "logs" / "tray.log").read_text(), 30,
                 "the tray to be ready")
        assert "(system tray)" in (home / "logs" / "tray.log").read_text()
        # Who is working is asked once the icon shows: the nurse, her password, Enter.
        wait_for(lambda: d.search("--name", "who is working"), 20, "the sign-in")
        time.sleep(0.3)
        d.shot("bundle-sign-in")
        d.type(NURSE_PASSWORD)
        d.keys("Return")
        wait_for(lambda: not d.search("--name", "who is working"), 20, "the sign-in to close")
        d.shot("bundle-tray-idle")
        # A second launch (the menu entry, a hotkey) hands over and opens the start dialog.
        second = subprocess.run([str(bundle / "ccm-timer")], env=env, timeout=60)
        assert second.returncode == 0
        wait_for(lambda: d.search("--name", "Start timer"), 20, "the start dialog")
        time.sleep(0.3)
        d.type("alma")
        time.sleep(0.5)
        d.shot("bundle-start-dialog")
        d.keys("Return", "Return")  # the patient, then the first activity
        wait_for(lambda: json.loads(_ok(bundle, home, "status", "--json"))["state"]
                 == "running", 15, "the timer to run")
        time.sleep(1.5)
        d.shot("bundle-tray-running")
        _ok(bundle, home, "stop")
        wait_for(lambda: json.loads(_ok(bundle, home, "status", "--json"))["state"]
                 == "idle", 15, "the timer to stop")
        time.sleep(1.0)  # the tray sees the change made by the command line
        for _ in range(3):  # a busy machine may drop the first click
            d.click(*icon)
            try:
                wait_for(lambda: _menu_open(d), 4, "the tray menu")
                break
            except AssertionError:
                d.keys("Escape")
        d.shot("bundle-menu")
        d.keys("q")  # &Quit: idle, so no question
        assert app.wait(20) == 0
        log.close()
        (entry,) = json.loads(_ok(bundle, home, "entry", "list", "--json"))
        assert (entry["patient"], entry["source"]) == ("T1001", "timer")
    finally:
        d.close()
