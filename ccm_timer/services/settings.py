"""Settings: one typed declaration, defaults in code, a TOML file written atomically.

Unknown keys are kept (a newer version may have written them); a value of the wrong type
is an error that names the file, never a silent reset.
"""

from __future__ import annotations

import socket
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ccm_timer import fsio
from ccm_timer.errors import UserError


def _system_zone() -> str:
    try:
        import tzlocal

        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # a machine without a configured zone: UTC until the user sets one
        return "UTC"


@dataclass(frozen=True)
class Settings:
    clinic_timezone: str = ""  # IANA name; decides the calendar month for billing
    workstation: str = ""  # names this machine in every entry (not PHI)
    default_clinician: str = ""  # clinician id
    mask_patients: bool = True  # tooltip and notifications show initials + last MRN digits
    reminder_minutes: int = 60  # "timer still running" reminder
    privacy_lock_minutes: int = 10
    start_at_login: bool = False
    # "off" only by an explicit choice (`ccm-timer encrypt --off`): the data folder then keeps
    # an unencrypted database, and the tray and `doctor` say so. Anything else means "on".
    encryption: str = "on"
    extra: dict[str, Any] = field(default_factory=dict)

    def with_defaults(self) -> Settings:
        return replace(
            self,
            clinic_timezone=self.clinic_timezone or _system_zone(),
            workstation=self.workstation or socket.gethostname() or "workstation",
        )


_DECLARED = {f.name: f for f in fields(Settings) if f.name != "extra"}


def load(path: Path) -> Settings:
    if not path.exists():
        return Settings().with_defaults()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(
            f"The settings file {path} is not valid TOML ({exc}); fix or remove it."
        ) from exc
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    defaults = Settings()
    for key, value in raw.items():
        if key not in _DECLARED:
            extra[key] = value
            continue
        expected = type(getattr(defaults, key))
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise UserError(
                f"The setting {key!r} in {path} must be a {expected.__name__}; fix the file."
            )
        values[key] = value
    return Settings(**values, extra=extra).with_defaults()


def save(path: Path, settings: Settings) -> None:
    import tomli_w

    data = {k: v for k, v in asdict(settings).items() if k != "extra"}
    data.update(settings.extra)
    fsio.write_atomic(path, tomli_w.dumps(data).encode("utf-8"))
