"""The login item's code (platform/autostart: plistlib, xml, 12 modules) serves only a
settings save, so the tray's start does not load it (issue 18, a lighter tray); the save
itself still writes the entry (tests/ui/test_windows.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = """
import sys
import ccm_timer.ui.tray_icon, ccm_timer.ui.app, ccm_timer.ui.controller, ccm_timer.ui.launch
print(" ".join(sorted(sys.modules)))
"""


def test_the_tray_start_does_not_load_the_login_item() -> None:
    """A fresh interpreter's module table is the thing tested, hence the subprocess."""
    done = subprocess.run([sys.executable, "-c", START], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={"QT_QPA_PLATFORM": "offscreen",
                                                      "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    modules = done.stdout.split()
    assert "ccm_timer.ui.controller" in modules  # the check sees what the start loads
    assert [m for m in modules if m.startswith(("ccm_timer.platform", "plistlib"))] == []
