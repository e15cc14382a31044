"""Every location the app writes to, resolved once.

`--data-dir DIR` or `CCM_TIMER_HOME` puts everything under one folder (tests, portable
installs). Otherwise platformdirs gives the per-user *local* data folder: on Windows that is
%LOCALAPPDATA%, never the roaming profile, because SQLite's WAL must not live on a synced or
redirected folder (reliability R1.6).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "ccm-timer"
APP_AUTHOR = "CCMTimer"
ENV_HOME = "CCM_TIMER_HOME"
# In the data folder while someone is signed in at the tray (services/people/access.py):
# the command line then times as that person.
SIGNED_IN = "signed-in.json"


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
        """Create the folders, each for its owner alone: 0700 on POSIX, set after mkdir so no
        umask loosens it (folders an older version left 0755 are tightened here too); on
        Windows an ACL granting the user alone full control, inherited by every file."""
        folders = list(dict.fromkeys(
            (self.data, self.settings_dir, self.logs, self.outbox, self.backups)))
        created = False
        for folder in folders:
            created = created or not folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            if sys.platform != "win32":
                info = folder.stat()
                if info.st_mode & 0o077 and info.st_uid == os.geteuid():
                    folder.chmod(0o700)
        if sys.platform == "win32" and (created or not (self.data / ACL_SET).exists()):
            _owner_only_acl(folders, self.data / ACL_SET)
        return self


ACL_SET = "ccm-timer.acl"  # in the data folder: the folders' Windows ACLs were set


def windows_acl_command(folder: Path, user: str) -> list[str]:
    """icacls: drop the inherited entries and grant `user` alone full control, inherited
    by every file and folder made inside (the database, its -wal, logs, backups)."""
    return ["icacls", str(folder), "/inheritance:r", "/grant:r", f"{user}:(OI)(CI)F"]


def _owner_only_acl(folders: list[Path], done: Path) -> None:
    # Runs on Windows only; the tests check the command lines it builds with sys.platform
    # and subprocess.run faked, since icacls cannot run on the CI's Linux.
    import subprocess

    user = os.environ.get("USERNAME")
    if not user:
        return
    domain = os.environ.get("USERDOMAIN")
    who = f"{domain}\\{user}" if domain else user
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # the windowed tray shows no console
    results = [subprocess.run(windows_acl_command(folder, who), capture_output=True,
                              check=False, creationflags=flags) for folder in folders]
    if all(r.returncode == 0 for r in results):
        done.touch()  # else the next start tries again


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


ENV_CACHE = "CCM_TIMER_CACHE"


def cache_dir() -> Path:
    """Where public reference data derived from an installed package is kept between runs
    (the ICD-10-CM index, services/people/code_set.py): the per-user cache folder, shared
    by every data folder because it holds nothing of a clinic's. CCM_TIMER_CACHE moves it."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


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
