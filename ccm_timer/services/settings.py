"""Settings: each one declared once below (type, default, one line on what it does), read
from a TOML file that names the settings version that wrote it, upgraded step by step
(settings_upgrade.py) and written back atomically, readable by its owner only (it names the
workstation and the delivery targets).

- A value of the wrong type, or a file that is not TOML, is a UserError naming the setting
  and the file, never a silent reset.
- Keys this version does not declare are kept as found and written back: a newer CCM Timer
  may add a setting without a new settings version. (Comments are not: the file is written
  afresh from its values, each declared one under its line of doc.)
- A file from a newer settings version is read for the settings this version knows, and
  never written: a save says to update CCM Timer.
"""

from __future__ import annotations

import contextlib
import socket
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from ccm_timer import fsio
from ccm_timer.errors import UserError
from ccm_timer.exports.fhir import MRN_SYSTEM
from ccm_timer.services.settings_upgrade import VERSION, VERSION_KEY, upgrade


class TargetKind(StrEnum):
    """Where exports can go."""

    FOLDER = "folder"
    HTTPS = "https"
    FHIR = "fhir"
    HUB = "hub"


# How each kind is named in a sentence a person reads.
TARGET_KINDS = {
    TargetKind.FOLDER: "the export folder",
    TargetKind.HTTPS: "the billing server",
    TargetKind.FHIR: "the FHIR server",
    TargetKind.HUB: "the clinic hub",
}
DOS_RULES = ("month_end", "threshold")  # a billing line's date of service (see below)
# Minutes a practitioner other than the patient's billing practitioner logs never count
# toward a code that needs the billing practitioner's own time (99491/99437, 99424/99425,
# G0181/G0182: NGS Medicare, "time only the billing practitioner spends"). Whether they count
# as clinical-staff time under general supervision is the clinic's to decide:
# "incident_to": only a practitioner recorded as working incident to the billing
#   practitioner (`ccm-timer clinician set --incident-to yes`); the default;
# "never": toward no code at all;
# "staff": every other practitioner's minutes count as clinical-staff time.
OTHER_PRACTITIONER_TIME = ("incident_to", "never", "staff")


@dataclass(frozen=True)
class Target:
    """A delivery target, `[targets.NAME]` with its kind and URL (a folder target: a path);
    its token or password lives only in the OS keyring, never in the file."""

    name: str
    kind: TargetKind
    url: str

    @property
    def label(self) -> str:
        return TARGET_KINDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "url": self.url}


class _Bad(Exception):
    """What is wrong with a value, as the middle of a sentence ("the setting x must be...")."""


def _targets_from_toml(value: Any) -> tuple[Target, ...]:
    if not isinstance(value, dict):
        raise _Bad("the setting targets must be [targets.NAME] tables of kind and url")
    found = []
    for name, table in value.items():
        if not isinstance(table, dict) or table.get("kind") not in TARGET_KINDS or (
                not isinstance(table.get("url"), str)):
            raise _Bad(f"the target {name!r} needs kind ({', '.join(TARGET_KINDS)}) and url")
        found.append(Target(name, TargetKind(table["kind"]), table["url"]))
    return tuple(found)


def _targets_to_toml(targets: tuple[Target, ...], found: Any) -> dict[str, Any]:
    """Each target over what the file had for it, so a key a newer version keeps in a
    target's table survives."""
    before = found if isinstance(found, dict) else {}
    out = {}
    for t in targets:
        kept = before.get(t.name)
        out[t.name] = {**(kept if isinstance(kept, dict) else {}), "kind": t.kind, "url": t.url}
    return out


def _setting(default: Any, doc: str, *, choices: tuple[str, ...] = (),
             from_toml: Callable[[Any], Any] | None = None,
             to_toml: Callable[[Any, Any], Any] | None = None) -> Any:
    return field(default=default, metadata={
        "doc": doc, "choices": choices, "from_toml": from_toml, "to_toml": to_toml})


@dataclass(frozen=True)
class Settings:
    """Every setting, declared here once. Constructing one checks every value, so a refused
    change (a wrong choice) leaves the settings and their file as they were."""

    clinic_name: str = _setting(
        "", "the clinic's name, shown in windows and printed on billing files")
    clinic_timezone: str = _setting(
        "", "IANA time zone that decides the calendar month for billing (empty: this computer's)")
    workstation: str = _setting(
        "", "names this computer in every time entry, not PHI (empty: its host name)")
    clinic_id: str = _setting(
        "", "the clinic's key on a shared clinic hub, made once by `hub add-workstation` or "
        "`hub init` (keep it: the hub keeps each clinic's patients apart by it)")
    default_clinician: str = _setting("", "id of the clinician whose time the tray records")
    mask_patients: bool = _setting(
        True, "the tooltip and notifications show initials and the last MRN digits only")
    reminder_minutes: int = _setting(
        60, "remind that a timer is still running after this many minutes (0: never)")
    worklist_reminder: bool = _setting(
        True, "in a month's last days, a daily message counts the patients still short of time")
    privacy_lock_minutes: int = _setting(
        10, "cover patient data in open windows after this many idle minutes (0: never)")
    credential_min_length: int = _setting(
        8, "the shortest password or PIN a person may set (never fewer than 6)")
    signin_lock_minutes: int = _setting(
        15, "minutes a person's sign-in stays locked after five wrong credentials in a row")
    start_at_login: bool = _setting(False, "start the tray when the user logs in")
    encryption: str = _setting(
        "on", "off only by `ccm-timer encrypt --off`, which keeps the database unencrypted",
        choices=("on", "off"))
    date_of_service: str = _setting(
        "month_end", "a billing line's date of service: the month's last day, or the day "
        "its time reached the code", choices=DOS_RULES)
    other_practitioner_time: str = _setting(
        "incident_to", "another practitioner's minutes on a patient count as clinical-staff "
        "time: incident_to (only one working incident to the billing practitioner), never, "
        "or staff (always); never as the billing practitioner's own",
        choices=OTHER_PRACTITIONER_TIME)
    fhir_mrn_system: str = _setting(
        MRN_SYSTEM, "identifier system URI of the clinic's MRNs in FHIR exports")
    targets: tuple[Target, ...] = _setting(
        (), "where exports are delivered: [targets.NAME] tables of kind and url",
        from_toml=_targets_from_toml, to_toml=_targets_to_toml)

    def __post_init__(self) -> None:
        for declared in SETTINGS:
            problem = declared.problem(getattr(self, declared.name))
            if problem is not None:
                raise UserError(f"The setting {declared.name} {problem}.")
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise UserError("Each delivery target needs a name of its own.")
        object.__setattr__(self, "targets", tuple(sorted(self.targets, key=lambda t: t.name)))

    def with_defaults(self) -> Settings:
        return replace(
            self,
            clinic_timezone=self.clinic_timezone or _system_zone(),
            workstation=self.workstation or socket.gethostname() or "workstation",
        )


# What a value of each declared type must be, said as a person reads it.
_TYPES: dict[Any, tuple[type, str]] = {
    str: (str, "text in quotes"),
    bool: (bool, "true or false"),
    int: (int, "a whole number"),
    tuple[Target, ...]: (tuple, "a list of delivery targets"),
}


@dataclass(frozen=True)
class Setting:
    """One declared setting, as the registry `SETTINGS` lists it."""

    name: str
    type: Any
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    from_toml: Callable[[Any], Any] | None = None  # a structured value, read from its table
    to_toml: Callable[[Any, Any], Any] | None = None  # (value, what the file had) -> TOML

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` for this setting ("must be ..."), or None."""
        kind, said = _TYPES[self.type]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"must be {said}, not {value!r}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, not {value!r}"
        if isinstance(value, tuple) and not all(
                isinstance(t, Target) and t.kind in TARGET_KINDS and isinstance(t.url, str)
                for t in value):
            return f"must hold targets of kind {', '.join(TARGET_KINDS)} with a url"
        return None


_HINTS = typing.get_type_hints(Settings)
SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, _HINTS[f.name], f.default, f.metadata["doc"], f.metadata["choices"],
            f.metadata["from_toml"], f.metadata["to_toml"])
    for f in fields(Settings))


def _system_zone() -> str:
    try:
        import tzlocal

        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # a machine without a configured zone: UTC until the user sets one
        return "UTC"


def _read(path: Path) -> dict[str, Any] | None:
    """The file's table, or None when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise UserError(f"The settings file {path} is not valid TOML (it is not UTF-8 text); "
                        "fix or remove it.") from None
    except OSError as exc:
        raise UserError(f"The settings file {path} cannot be read ({exc.strerror}); check "
                        "its permissions.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(
            f"The settings file {path} is not valid TOML ({exc}); fix or remove it."
        ) from None


def _version(doc: dict[str, Any], path: Path) -> int:
    found = doc.get(VERSION_KEY, 1)  # version 1 files carry no version
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise UserError(f"In the settings file {path}, {VERSION_KEY} must be a whole number "
                        f"such as {VERSION}, not {found!r}; fix the file.")
    return found


def _newer(path: Path, version: int) -> str:
    return (f"The settings file {path} was written by a newer CCM Timer (settings version "
            f"{version}; this one knows up to {VERSION})")


def _from_doc(doc: dict[str, Any], path: Path, version: int) -> Settings:
    values: dict[str, Any] = {}
    try:
        for declared in SETTINGS:
            if declared.name not in doc:
                continue
            value = doc[declared.name]
            if declared.from_toml is not None:
                value = declared.from_toml(value)
            problem = declared.problem(value)
            if problem is not None:
                raise _Bad(f"the setting {declared.name} {problem}")
            values[declared.name] = value
    except _Bad as bad:
        if version > VERSION:
            raise UserError(f"{_newer(path, version)}, and here {bad}; update CCM "
                            "Timer.") from None
        raise UserError(f"In the settings file {path}, {bad}; fix the file.") from None
    return Settings(**values)


def load(path: Path) -> Settings:
    """The settings in `path` (defaults when there is none). A file from an older settings
    version is upgraded and written back; one from a newer version is only read."""
    doc = _read(path)
    if doc is None:
        return Settings().with_defaults()
    version = _version(doc, path)
    if version > VERSION:
        return _from_doc(doc, path, version).with_defaults()
    settings = _from_doc(upgrade(doc, version), path, version)
    if version < VERSION:
        # A folder that cannot be written to keeps the old file, upgraded again when read.
        with contextlib.suppress(OSError):
            save(path, settings)
    return settings.with_defaults()


def save(path: Path, settings: Settings) -> None:
    """Write `settings` to `path`, keeping the keys of the file there that are not declared;
    a file from a newer settings version, or one that is not TOML, is left as it is."""
    import tomli_w  # only a save pays for it

    found = _read(path)
    if found is None:
        current: dict[str, Any] = {}
    else:
        version = _version(found, path)
        if version > VERSION:
            raise UserError(f"{_newer(path, version)}, so this one does not change it; "
                            "update CCM Timer to change settings.")
        current = upgrade(found, version)
    declared = {s.name for s in SETTINGS}
    kept = {k: v for k, v in current.items() if k not in declared and k != VERSION_KEY}
    # The file reads top to bottom: the version, each declared value under its one line of
    # doc, the undeclared keys as found, then the declared tables (TOML puts tables last).
    head = [f"# The form of this file; CCM Timer upgrades an older one as it reads it.\n"
            f"{VERSION_KEY} = {VERSION}\n"]
    tables = []
    for s in SETTINGS:
        value = getattr(settings, s.name)
        if s.to_toml is not None:
            tables.append(f"# {s.doc}\n" + tomli_w.dumps({s.name: s.to_toml(value, current.get(
                s.name))}))
        else:
            head.append(f"# {s.doc}\n" + tomli_w.dumps({s.name: value}))
    text = "\n".join([*head, *([tomli_w.dumps(kept)] if kept else []), *tables])
    fsio.write_atomic(path, text.encode("utf-8"), mode=0o600)
