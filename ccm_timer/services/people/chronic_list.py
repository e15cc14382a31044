"""The chronic-condition list in use: the shipped resources/chronic_conditions.toml with the
clinic's own chronic_conditions.toml (in its settings folder) laid over it."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from ccm_timer import paths
from ccm_timer.core.conditions import ChronicList, ChronicListError, parse_chronic_list
from ccm_timer.errors import UserError

FILE_NAME = "chronic_conditions.toml"


def _read(path: Path, what: str) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{what} ({path}) is not valid TOML ({exc}); correct it or remove "
                        "it.") from None
    except OSError as exc:
        raise UserError(f"{what} ({path}) cannot be read ({exc.strerror}).") from None


@lru_cache(maxsize=8)
def _load(override: Path | None, stamp: float) -> ChronicList:
    shipped = _read(paths.resource_root() / FILE_NAME, "The shipped chronic-condition list")
    layers = []
    if override is not None:
        layers.append((f"the clinic's {FILE_NAME}", _read(override, "The clinic's "
                                                          "chronic-condition list")))
    try:
        return parse_chronic_list(shipped, layers)
    except ChronicListError as exc:
        raise UserError(f"The chronic-condition list cannot be used: {exc}; correct "
                        f"{FILE_NAME}.") from None


def chronic_list(settings_dir: Path | None = None) -> ChronicList:
    """The list for a clinic whose settings live in `settings_dir` (None: the shipped list
    alone). Re-read when the clinic's file changes."""
    override = settings_dir / FILE_NAME if settings_dir is not None else None
    if override is not None and override.is_file():
        return _load(override, override.stat().st_mtime)
    return _load(None, 0.0)
