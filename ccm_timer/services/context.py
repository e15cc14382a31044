"""The opened application: paths, settings, database engine and clock, wired once.

Every service function takes an AppContext; nothing below the UI keeps global state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ccm_timer import paths as app_paths
from ccm_timer.core.clock import Clock, SystemClock
from ccm_timer.errors import DatabaseError, UnreadableError, UserError
from ccm_timer.services import settings as settings_file
from ccm_timer.services.security import keys
from ccm_timer.store import migrate
from ccm_timer.store.engine import check_engine, make_engine, read_session, write_session


@dataclass
class AppContext:
    paths: app_paths.AppPaths
    engine: Engine
    settings: settings_file.Settings
    clock: Clock = field(default_factory=SystemClock)
    pragmas: dict[str, Any] = field(default_factory=dict)
    protection: keys.Protection = field(default_factory=keys.Protection)
    read_only: str | None = None  # why the database may only be read (failed integrity)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with write_session(self.engine) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with read_session(self.engine) as session:
            yield session

    @property
    def workstation(self) -> str:
        return self.settings.workstation

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.settings.clinic_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise UserError(
                f"The clinic time zone {self.settings.clinic_timezone!r} is unknown; set "
                "clinic_timezone in the settings file to a name like America/Chicago."
            ) from exc

    def now(self) -> datetime:
        return self.clock.now()

    def update_settings(self, **changes: Any) -> settings_file.Settings:
        """Change declared settings and write them; a refused value, or a file this version
        must not write, leaves both the settings and the file as they were."""
        changed = replace(self.settings, **changes)
        settings_file.save(self.paths.settings_file, changed)
        self.settings = changed
        return changed

    def close(self) -> None:
        self.engine.dispose()
        if self.read_only is None:  # opened checked (or unchanged since a checked close)
            from ccm_timer.services.security import integrity

            integrity.remember_clean_close(self.paths.database)


def open_app(
    data_dir: str | None = None, clock: Clock | None = None, key: bytes | None = None,
    passphrase: str | None = None, always_check: bool = False,
) -> AppContext:
    """Open (creating on first use) the data folder and database, migrated and seeded.

    The key comes from where the data folder's key record says (services/security/keys.py), or is
    made on first use; `key` bypasses that, `passphrase` stands in for CCM_TIMER_PASSPHRASE.
    A database that fails its quick integrity check is opened read-only, as it is.
    """
    from ccm_timer.services.security import backups, integrity
    from ccm_timer.services.timing import categories

    paths = app_paths.resolve(data_dir)
    try:
        paths.ensure()
    except OSError as exc:
        raise UserError(
            f"Cannot create the data folder {paths.data} ({exc.strerror}); choose another "
            "with --data-dir or CCM_TIMER_HOME."
        ) from exc
    loaded = settings_file.load(paths.settings_file)
    if not paths.settings_file.exists():
        settings_file.save(paths.settings_file, loaded)  # pin the workstation name and zone
    existed = paths.database.exists()
    protection = keys.given(key) if key is not None else keys.unlock(
        paths, loaded, passphrase=passphrase)
    engine = make_engine(paths.database, protection.key)
    try:
        pragmas = check_engine(engine)
    except UnreadableError:
        engine.dispose()
        damage = integrity.damaged_pages(paths.database, protection.key) if (
            protection.key is not None) else []
        if damage:
            raise DatabaseError(
                f"The database file is damaged ({damage[0]}; {len(damage)} page(s) in all), "
                "so it cannot be opened; nothing was changed. Keep it as evidence and ask "
                f"your administrator to restore the latest backup from {paths.backups}."
            ) from None
        raise keys.unreadable(protection) from None
    read_only = None
    # quick_check reads every page: at each tray start, but a command-line call skips it
    # when the files are exactly as a checked session closed them (a 1M-entry database
    # takes seconds to check, and `report` or `status` would pay that every time).
    skip = not always_check and integrity.unchanged_since_clean_close(paths.database)
    problems = integrity.quick_check(engine) if existed and not skip else []
    if not problems:
        integrity.forget_clean_close(paths.database)  # a crash in this session re-checks
    if problems:
        engine.dispose()
        read_only = integrity.read_only_reason(paths.backups, problems)
        engine = make_engine(paths.database, protection.key, read_only=read_only)
        pragmas = check_engine(engine)
        try:
            revision = migrate.current_revision(engine)
        except DBAPIError:
            revision = None  # the damage reaches the schema version itself
        if revision != migrate.SCHEMA_HEAD:
            engine.dispose()
            raise DatabaseError(
                f"The database failed its integrity check ({problems[0]}) and its schema "
                "version is unreadable or older, so it cannot even be opened read-only; "
                "nothing was changed. Ask your administrator to restore the latest backup "
                f"from {paths.backups}."
            )
    else:
        migrate.upgrade(engine, paths.backups)
    ctx = AppContext(paths, engine, loaded, clock or SystemClock(), pragmas, protection,
                     read_only)
    if read_only is None:
        categories.seed(ctx)
        keys.audit_new_key(ctx)
        if existed:
            try:
                backups.daily(ctx)
            except (OSError, DatabaseError):
                pass  # never block time-keeping on a backup; doctor and the tray show its age
    return ctx
