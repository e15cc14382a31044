"""A real X desktop for the tray benchmarks and the end-to-end tray tests: Xvfb, optionally
trayer as the tray host, xdotool to click and type, ImageMagick `import` for screenshots in
test-artifacts/. The tests skip without these tools (tests/fixtures/desktop_tools.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

TOOLS = ("Xvfb", "trayer", "xdotool", "import")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate, then kill after 5 s: a hung app never outlives its test or bench."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class XDesktop:
    def __init__(self, artifacts: Path, *, tray_host: bool) -> None:
        self.artifacts = artifacts
        artifacts.mkdir(parents=True, exist_ok=True)
        for old in artifacts.glob("*.png"):
            old.unlink()
        self._shots = 0
        self._procs: list[subprocess.Popen] = []
        read, write = os.pipe()
        self._procs.append(subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten",
             "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        self.display = f":{number}"
        if tray_host:
            self._procs.append(subprocess.Popen(
                ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                 "--height", "32", "--transparent", "false", "--tint", "0x2d3748"],
                env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_for(lambda: self.search("--class", "trayer"), 10, "the trayer panel")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",
                                                                 "WAYLAND_DISPLAY")}
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb", **extra)
        return env

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env(), capture_output=True,
                              text=True, timeout=30)
        return done.stdout

    def search(self, *args: str) -> list[str]:
        return self.xdotool("search", "--onlyvisible", *args).split()

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        text = self.xdotool("getwindowgeometry", window)
        x, y = map(int, re.search(r"Position: (-?\d+),(-?\d+)", text).groups())
        w, h = map(int, re.search(r"Geometry: (\d+)x(\d+)", text).groups())
        return x, y, w, h

    def click(self, x: int, y: int) -> None:
        self.xdotool("mousemove", str(x), str(y), "click", "1")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.xdotool("key", key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "40", text)

    def shot(self, name: str) -> Path:
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        subprocess.run(["import", "-window", "root", str(path)], env=self.env(),
                       capture_output=True, timeout=30)
        return path

    def launch_app(self, home: Path, log_name: str = "app", **extra: str) -> subprocess.Popen:
        log = open(self.artifacts / f"{log_name}.log", "w")  # noqa: SIM115 - closed at exit
        proc = subprocess.Popen([sys.executable, "-m", "ccm_timer"],
                                env=self.env(CCM_TIMER_HOME=str(home), **extra),
                                stdout=log, stderr=subprocess.STDOUT)
        self._procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self._procs):
            stop_process(proc)
