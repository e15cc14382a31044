"""An unset clinic time zone means this computer's zone (issue 17: the overview said "Times
in Etc/UTC"): the first start must not write down the zone it found as if someone had chosen
it, so a computer whose zone is set later, or a folder moved to the clinic's own computer,
times in the real zone. The setup window writes the zone a person chose."""

from __future__ import annotations

import tomllib

import pytest
import tzlocal

from ccm_timer.services.context import open_app


@pytest.fixture
def computer_zone(monkeypatch):
    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        tzlocal.reload_localzone()  # tzlocal keeps the zone it found

    yield set_zone
    monkeypatch.delenv("TZ", raising=False)
    tzlocal.reload_localzone()


def test_a_first_start_leaves_the_zone_to_the_computer(tmp_path, computer_zone) -> None:
    home = tmp_path / "data"
    computer_zone("America/Chicago")
    ctx = open_app(str(home))
    try:
        assert ctx.zone.key == "America/Chicago"
        ctx.update_settings(mask_patients=False)  # another change (the first clinician's)
        written = tomllib.loads((home / "settings.toml").read_text(encoding="utf-8"))
        assert written["clinic_timezone"] == ""  # unset: nobody chose it
        assert written["workstation"]  # this one is pinned: entries carry it
        assert written["mask_patients"] is False
    finally:
        ctx.close()
    computer_zone("America/Denver")  # the computer's zone set properly later
    ctx = open_app(str(home))
    try:
        assert ctx.zone.key == "America/Denver"
    finally:
        ctx.close()


def test_a_chosen_zone_stays_whatever_the_computer_says(tmp_path, computer_zone) -> None:
    home = tmp_path / "data"
    computer_zone("America/Chicago")
    ctx = open_app(str(home))
    try:
        ctx.update_settings(clinic_timezone="America/New_York")
    finally:
        ctx.close()
    computer_zone("Europe/Berlin")
    ctx = open_app(str(home))
    try:
        assert ctx.zone.key == "America/New_York"
    finally:
        ctx.close()
