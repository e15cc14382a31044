"""The end-to-end tests skip without their X tools, except on CI, where they must fail."""

from __future__ import annotations

import shutil

import pytest

from tests.fixtures import desktop_tools


def test_missing_tools_skip_with_the_reason(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "trayer" else "/bin/x")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="need trayer: apt-get install"):
        desktop_tools.require_tools()


def test_missing_tools_fail_on_ci(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Xvfb, trayer, xdotool, import"):
        desktop_tools.require_tools()


def test_all_tools_present_neither_skips_nor_fails(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv("CI", "true")
    desktop_tools.require_tools()
