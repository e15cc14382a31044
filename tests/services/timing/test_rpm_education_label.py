"""RPM's education activity is treatment-management time (99457/99458/99470): teaching the
patient the device is 99453's one-time set-up, so the label must not invite logging it."""

from __future__ import annotations

from ccm_timer.services.timing import categories


def test_rpm_education_is_self_management_from_the_readings_not_device_set_up() -> None:
    seeds = {s["slug"]: s for s in categories.load_seed()}
    education = seeds["rpm-education"]  # the slug stays: entries already name it
    assert education["program"] == "RPM"
    assert education["label"] == "Self-management education from the readings"
    assert "device" not in education["label"].lower()
