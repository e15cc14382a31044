"""Every location the app writes to, resolved once.

`--data-dir DIR` or `CCM_TIMER_HOME` puts everything under one folder (tests, portable
installs). Otherwise platformdirs gives the per-user *local* data folder: on Windows that is
%LOCALAPPDATA%, never the roaming profile, because SQLite's WAL must not live on a synced or
redirected folder (reliability R1.6).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "ccm-timer"
APP_AUTHOR = "CCMTimer"
ENV_HOME = "CCM_TIMER_HOME"


@dataclass(frozen=True)
class AppPaths:
    data: Path
    settings_dir: Path
    logs: Path
    outbox: Path
    backups: Path

    @property
    def database(self) -> Path:
        return self.data / "ccm-timer.db"

    @property
    def settings_file(self) -> Path:
        return self.settings_dir / "settings.toml"

    def ensure(self) -> AppPaths:
        for folder in (self.data, self.settings_dir, self.logs, self.outbox, self.backups):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve(data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    """Resolve the locations from an explicit folder, the environment, or the platform."""
    root = data_dir or os.environ.get(ENV_HOME)
    if root:
        base = Path(root).expanduser().resolve()
        return AppPaths(
            data=base,
            settings_dir=base,
            logs=base / "logs",
            outbox=base / "outbox",
            backups=base / "backups",
        )
    import platformdirs  # imported here: only the default location needs it

    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR, roaming=False)
    data = Path(dirs.user_data_dir)
    return AppPaths(
        data=data,
        settings_dir=Path(dirs.user_config_dir),
        logs=Path(dirs.user_log_dir),
        outbox=data / "outbox",
        backups=data / "backups",
    )


def resource_root() -> Path:
    """Where the resources are (billing rules, categories, note templates, icons, the menu
    entry template): the one answer, for every caller.

    importlib.resources finds the `ccm_timer` package wherever it was imported from. An
    installed wheel carries the repository's top-level `resources/` inside it as
    `ccm_timer/resources` (pyproject.toml, force-include), and so does the PyInstaller bundle
    (packaging/ccm-timer.spec), where the package lives in sys._MEIPASS. A source checkout
    (an editable install, `pip install -e .`) has no copy in the package: its `resources/`
    is the folder beside the package, at the top of the checkout.
    """
    import importlib.resources  # here: most commands never read a resource

    package = Path(str(importlib.resources.files("ccm_timer")))
    inside = package / "resources"
    if inside.is_dir():
        return inside
    checkout = package.parent / "resources"
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return inside  # missing: callers name this path when they say "reinstall"


def resource(*parts: str) -> Path:
    """One file or folder under resource_root()."""
    return resource_root().joinpath(*parts)
