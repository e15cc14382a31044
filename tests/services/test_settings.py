"""Settings: each declared once, read from a versioned file, upgraded step by step and written
back atomically; bad files are one sentence naming the file, and nothing is lost on save.
Real files in tmp folders; the app and the command line open real data folders."""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import fields, replace
from pathlib import Path

import pytest

from ccm_timer.errors import UserError
from ccm_timer.exports.fhir import MRN_SYSTEM
from ccm_timer.services import settings as settings_file
from ccm_timer.services import settings_upgrade
from ccm_timer.services.delivery import targets
from ccm_timer.services.settings import SETTINGS, Settings, Target

# A file as CCM Timer wrote it before settings had a version, with the keys it read
# undeclared (date_of_service, fhir_mrn_system, targets) and keys it did not know at all.
VERSION_1 = """\
clinic_timezone = "America/Chicago"
workstation = "ws-front-desk"
encryption = "yes please"
reminder_minutes = 45
date_of_service = "threshold"
fhir_mrn_system = "urn:oid:2.16.840.1.113883.3.999"
from_a_newer_version = "kept"

[targets.shared]
kind = "folder"
url = "/srv/ccm-exports"

[targets.billing]
kind = "https"
url = "https://billing.example.org/ccm"
retries = 3
"""


def write(folder: Path, text: str) -> Path:
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_setting_is_declared_once_with_its_type_default_and_line_of_doc() -> None:
    names = [s.name for s in SETTINGS]
    assert names == [f.name for f in fields(Settings)]  # the registry is the dataclass
    assert len(set(names)) == len(names) and "extra" not in names
    defaults = Settings()
    for declared in SETTINGS:
        assert getattr(defaults, declared.name) == declared.default
        assert declared.problem(declared.default) is None, declared.name
        assert declared.doc and "\n" not in declared.doc, declared.name
    assert SETTINGS[names.index("fhir_mrn_system")].default == MRN_SYSTEM  # one place for it
    assert (defaults.date_of_service, defaults.targets) == ("month_end", ())


def test_no_file_gives_the_defaults_and_writes_nothing(tmp_path: Path) -> None:
    loaded = settings_file.load(tmp_path / "settings.toml")
    assert loaded.clinic_timezone and loaded.workstation  # this computer's zone and name
    assert replace(loaded, clinic_timezone="", workstation="") == Settings()
    assert not (tmp_path / "settings.toml").exists()


def test_a_version_1_file_is_upgraded_into_declared_settings_and_written_back(
        tmp_path: Path) -> None:
    path = write(tmp_path, VERSION_1)
    loaded = settings_file.load(path)
    assert (loaded.clinic_timezone, loaded.workstation, loaded.reminder_minutes) == (
        "America/Chicago", "ws-front-desk", 45)
    assert loaded.date_of_service == "threshold"
    assert loaded.fhir_mrn_system == "urn:oid:2.16.840.1.113883.3.999"
    assert loaded.targets == (Target("billing", "https", "https://billing.example.org/ccm"),
                              Target("shared", "folder", "/srv/ccm-exports"))
    assert loaded.encryption == "on"  # version 1 read any text but "off" as on
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert written["settings_version"] == settings_upgrade.VERSION == 2
    assert written["encryption"] == "on"
    assert written["from_a_newer_version"] == "kept"
    assert written["targets"]["billing"] == {
        "kind": "https", "url": "https://billing.example.org/ccm", "retries": 3}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it names the workstation and targets
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]  # no partial file left
    # Read again, the upgraded file is the same settings and is not written a second time.
    inode = path.stat().st_ino
    assert settings_file.load(path) == loaded
    assert path.stat().st_ino == inode


def test_every_version_after_1_has_one_upgrade_step_saying_what_changed() -> None:
    assert sorted(settings_upgrade.STEPS) == list(range(2, settings_upgrade.VERSION + 1))
    for version, step in settings_upgrade.STEPS.items():
        assert step.__doc__ and len(step.__doc__.split()) > 10, version


@pytest.mark.parametrize(("before", "after"), [
    ("yes please", "on"), ("on", "on"), ("off", "off"), (True, True)])
def test_step_2_narrows_encryption_to_on_or_off(before, after) -> None:
    doc = {"encryption": before, "date_of_service": "threshold", "targets": {"t": {}}}
    upgraded = settings_upgrade.STEPS[2](doc)
    assert upgraded == {**doc, "encryption": after}
    assert doc["encryption"] == before  # the table read from the file is not changed


def test_step_2_keeps_the_version_1_keys_where_they_were() -> None:
    doc = tomllib.loads(VERSION_1)
    upgraded = settings_upgrade.upgrade(doc, 1)
    assert upgraded == {**doc, "encryption": "on", "settings_version": 2}


@pytest.mark.parametrize(("line", "says"), [
    ('reminder_minutes = "ten"', "the setting reminder_minutes must be a whole number, not 'ten'"),
    ("reminder_minutes = true", "the setting reminder_minutes must be a whole number, not True"),
    ("mask_patients = 1", "the setting mask_patients must be true or false, not 1"),
    ("workstation = 7", "the setting workstation must be text in quotes, not 7"),
    ('date_of_service = "whenever"',
     "the setting date_of_service must be one of month_end, threshold, not 'whenever'"),
    ("encryption = false", "the setting encryption must be text in quotes, not False"),
    ('targets = "billing"', "the setting targets must be [targets.NAME] tables"),
    ('[targets.billing]\nkind = "ftp"\nurl = "ftp://x"',
     "the target 'billing' needs kind (folder, https, fhir, hub) and url"),
    ('[targets.billing]\nkind = "https"', "the target 'billing' needs kind"),
])
@pytest.mark.parametrize("version", ["", "settings_version = 2\n"])
def test_a_wrong_value_names_the_setting_and_the_file_and_changes_nothing(
        tmp_path: Path, line: str, says: str, version: str) -> None:
    path = write(tmp_path, f'{version}clinic_timezone = "America/Chicago"\n{line}\n')
    before = path.read_bytes()
    with pytest.raises(UserError) as caught:
        settings_file.load(path)
    message = str(caught.value)
    assert message.startswith(f"In the settings file {path}, {says}")
    assert message.endswith("; fix the file.") and "\n" not in message
    assert path.read_bytes() == before


def test_a_version_2_file_takes_only_the_declared_choices(tmp_path: Path) -> None:
    path = write(tmp_path, 'settings_version = 2\nencryption = "no"\n')
    with pytest.raises(UserError, match="the setting encryption must be one of on, off, not "
                       "'no'; fix the file."):
        settings_file.load(path)


def test_a_broken_file_is_one_sentence_naming_it_and_is_never_overwritten(
        tmp_path: Path) -> None:
    path = write(tmp_path, "clinic_timezone = [")
    with pytest.raises(UserError, match=r"settings file .*settings\.toml is not valid TOML"):
        settings_file.load(path)
    with pytest.raises(UserError, match="not valid TOML .*; fix or remove it."):
        settings_file.save(path, Settings(reminder_minutes=5))  # a half-edited file stays
    assert path.read_text(encoding="utf-8") == "clinic_timezone = ["
    path.write_bytes(b'workstation = "\xff\xfe"\n')
    with pytest.raises(UserError, match=r"is not valid TOML \(it is not UTF-8 text\)"):
        settings_file.load(path)
    write(tmp_path, 'settings_version = "two"\n')
    with pytest.raises(UserError, match=f"In the settings file {path}, settings_version must be "
                       "a whole number such as 2, not 'two'; fix the file."):
        settings_file.load(path)


def test_keys_this_version_does_not_declare_survive_a_save(tmp_path: Path) -> None:
    path = write(tmp_path, VERSION_1 + '\n[plugin.reports]\nfolder = "/srv/reports"\n')
    loaded = settings_file.load(path)
    settings_file.save(path, replace(loaded, reminder_minutes=5, targets=(
        Target("billing", "https", "https://billing.example.org/v2"),)))
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert written["reminder_minutes"] == 5
    assert written["from_a_newer_version"] == "kept"
    assert written["plugin"] == {"reports": {"folder": "/srv/reports"}}
    assert written["targets"] == {"billing": {  # a removed target goes, a kept one keeps its keys
        "kind": "https", "url": "https://billing.example.org/v2", "retries": 3}}
    assert settings_file.load(path).targets == (
        Target("billing", "https", "https://billing.example.org/v2"),)


def test_the_app_and_the_targets_service_keep_undeclared_keys(ctx, tmp_path: Path) -> None:
    path = ctx.paths.settings_file
    path.write_text('from_a_newer_version = "kept"\n' + path.read_text(encoding="utf-8"),
                    encoding="utf-8")
    targets.add(ctx, "shared", kind="folder", url=str(tmp_path / "out"))
    ctx.update_settings(reminder_minutes=15)
    assert targets.list_targets(ctx) == [Target("shared", "folder", str(tmp_path / "out"))]
    targets.remove(ctx, "shared")
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert written["from_a_newer_version"] == "kept" and written["reminder_minutes"] == 15
    assert written["targets"] == {} and targets.list_targets(ctx) == []
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_refused_change_leaves_the_settings_and_the_file_as_they_were(ctx) -> None:
    before = ctx.paths.settings_file.read_bytes()
    with pytest.raises(UserError, match="The setting encryption must be one of on, off, not "
                       "'maybe'."):
        ctx.update_settings(encryption="maybe")
    with pytest.raises(UserError, match="The setting reminder_minutes must be a whole number"):
        ctx.update_settings(reminder_minutes="15")
    with pytest.raises(UserError, match="Each delivery target needs a name of its own"):
        ctx.update_settings(targets=(Target("a", "folder", "/x"), Target("a", "folder", "/y")))
    assert (ctx.settings.encryption, ctx.settings.reminder_minutes) == ("on", 60)
    assert ctx.paths.settings_file.read_bytes() == before


NEWER = """\
settings_version = 3
clinic_timezone = "America/Chicago"
reminder_minutes = 20
a_setting_from_version_3 = "something"
"""


def test_a_file_from_a_newer_version_is_read_but_never_written(tmp_path: Path) -> None:
    path = write(tmp_path, NEWER)
    loaded = settings_file.load(path)
    assert (loaded.clinic_timezone, loaded.reminder_minutes) == ("America/Chicago", 20)
    with pytest.raises(UserError) as caught:
        settings_file.save(path, replace(loaded, reminder_minutes=5))
    assert str(caught.value) == (
        f"The settings file {path} was written by a newer CCM Timer (settings version 3; "
        "this one knows up to 2), so this one does not change it; update CCM Timer to "
        "change settings.")
    assert path.read_text(encoding="utf-8") == NEWER


def test_a_newer_file_this_version_cannot_read_says_to_update(tmp_path: Path) -> None:
    path = write(tmp_path, NEWER + '[[targets]]\nname = "billing"\nkind = "https"\n')
    with pytest.raises(UserError, match=r"written by a newer CCM Timer \(settings version 3; "
                       r"this one knows up to 2\), and here the setting targets must be "
                       r"\[targets.NAME\] tables of kind and url; update CCM Timer.$"):
        settings_file.load(path)


def test_the_command_line_says_one_sentence_for_a_bad_or_newer_file(home: Path, cli) -> None:
    path = home / "settings.toml"
    path.write_text('clinic_timezone = "America/Chicago"\nprivacy_lock_minutes = "10"\n',
                    encoding="utf-8")
    result = cli("status")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"ccm-timer: In the settings file {path}, the setting privacy_lock_minutes must be a whole "
        "number, not '10'; fix the file.")
    path.write_text(NEWER, encoding="utf-8")
    result = cli("target", "add", "shared", "--kind", "folder", "--url", str(home / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "written by a newer CCM Timer (settings version 3" in result.stderr
    assert path.read_text(encoding="utf-8") == NEWER
