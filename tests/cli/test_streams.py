"""Windows' pip launchers print through the ANSI code page: the CLI switches to UTF-8."""

from __future__ import annotations

import io
import sys

import pytest

from ccm_timer.cli.main import _utf8_streams


@pytest.mark.parametrize("platform, expected", [("win32", "utf-8"), ("linux", "cp1252")])
def test_windows_streams_become_utf8(monkeypatch: pytest.MonkeyPatch, platform: str,
                                     expected: str) -> None:
    # A real TextIOWrapper in the code page a Windows console-less pipe would get; only a
    # real Windows run proves the launcher really starts that way.
    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    err = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    _utf8_streams(platform)
    assert out.encoding == expected and err.encoding == expected
    if platform == "win32":
        print("Testpatient, Ngọc Ánh", file=out)
        out.flush()
        assert "Ngọc".encode() in out.buffer.getvalue()
