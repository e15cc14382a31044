"""The opened application: paths, settings, database engine and clock, wired once.

Every service function takes an AppContext; nothing below the UI keeps global state.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ccm_timer import fsio
from ccm_timer import paths as app_paths
from ccm_timer.core.clock import Clock, SystemClock
from ccm_timer.errors import DamagedError, DatabaseError, UnreadableError, UserError
from ccm_timer.services import settings as settings_file
from ccm_timer.services.security import chain_anchor, keys
from ccm_timer.store import commit_ledger, migrate
from ccm_timer.store.engine import (
    ReadOnlyError,
    check_engine,
    checkpoint,
    make_engine,
    read_session,
    write_session,
)


@dataclass
class AppContext:
    paths: app_paths.AppPaths
    engine: Engine
    settings: settings_file.Settings
    clock: Clock = field(default_factory=SystemClock)
    pragmas: dict[str, Any] = field(default_factory=dict)
    protection: keys.Protection = field(default_factory=keys.Protection)
    read_only: str | None = None  # why the database may only be read (failed integrity)
    checked_at: datetime | None = None  # the last full check that vouches for the files
    notices: list[str] = field(default_factory=list)  # said once at open (a skipped backup)
    # Whether the settings file names the clinic's zone. Unset, the zone is this computer's,
    # found again at each start, and never written down as if someone had chosen it.
    zone_chosen: bool = True
    # The settings file as last read or written (mtime_ns, size): another program's change
    # (`ccm-timer clinician add` naming the default clinician) is read again, not missed.
    settings_stamp: tuple[int, int] | None = None
    # The full check runs apart (ui/integrity_watch.py, on its own connection): the tray's
    # heartbeat leaves it to that (integrity.scheduled_check).
    checks_apart: bool = False
    # The audit chain's head kept outside, as this session last read or wrote it.
    chain_memo: chain_anchor.Memo = field(default_factory=chain_anchor.Memo, repr=False)
    # A zone changed inside a write (a settings change with its audit event) rebuilds the
    # rollup after that write commits: its own write would wait on the held lock.
    _writing: int = field(default=0, repr=False)
    _rollup_stale: bool = field(default=False, repr=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        self._writing += 1
        try:
            with write_session(self.engine) as session:
                yield session
        except DamagedError as exc:
            raise self.damaged(exc.detail) from exc
        finally:
            self._writing -= 1
        if self._rollup_stale and not self._writing:
            self._rollup_stale = False
            build_month_rollup(self)

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with read_session(self.engine) as session:
                yield session
        except DamagedError as exc:
            raise self.damaged(exc.detail) from exc

    def damaged(self, problem: str) -> DatabaseError:
        """A page failed its check (SQLCipher verifies each page as it is read, and a full
        check may find one): from here on the database is only read, and this session never
        vouches for the files at close. Returns the error to raise."""
        from ccm_timer.services.security import integrity

        if self.read_only is not None:
            return DatabaseError(integrity.part_unreadable(self.paths.backups))
        self.read_only = integrity.read_only_reason(self.paths.backups, [problem])
        self.engine.dispose()
        self.engine = make_engine(self.paths.database, self.protection.key,
                                  read_only=self.read_only)
        integrity.forget_clean_close(self.paths.database)
        return ReadOnlyError(self.read_only)

    def checkpoint(self) -> bool:
        """Copy every commit from the -wal file into the database (the tray at its end)."""
        try:
            return checkpoint(self.engine)
        except DatabaseError:
            return False

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
        chosen = self.zone_chosen or "clinic_timezone" in changes
        settings_file.save(self.paths.settings_file,
                           changed if chosen else replace(changed, clinic_timezone=""))
        was = self.settings.clinic_timezone
        self.settings, self.zone_chosen = changed, chosen
        self.settings_stamp = _stamp(self.paths.settings_file)
        if changed.clinic_timezone != was:
            self._zone_changed()
        return changed

    def _zone_changed(self) -> None:
        """The report reads the new zone's months at once: the rollup is built in it now,
        or after the write this change was made in."""
        if self._writing:
            self._rollup_stale = True
        else:
            build_month_rollup(self)

    def reload_settings(self) -> bool:
        """Read the settings file again if another program changed it since; True when it
        did. A file that no longer reads keeps the settings that work (the command line
        says what is wrong with it)."""
        stamp = _stamp(self.paths.settings_file)
        if stamp == self.settings_stamp:
            return False
        try:
            loaded = settings_file.load(self.paths.settings_file)
        except UserError:
            return False
        was, self.settings = self.settings.clinic_timezone, loaded
        self.zone_chosen = _zone_in_file(self.paths.settings_file)
        self.settings_stamp = stamp
        if loaded.clinic_timezone != was:
            self._zone_changed()
        return True

    def close(self) -> None:
        self.engine.dispose()
        if self.read_only is None:  # opened checked (or unchanged since a checked close)
            from ccm_timer.services.security import integrity

            integrity.remember_clean_close(self.paths.database, self.checked_at)


def open_app(
    data_dir: str | None = None, clock: Clock | None = None, key: bytes | None = None,
    passphrase: str | None = None, always_check: bool = False, build_rollup: bool = True,
    check_later: bool = False,
) -> AppContext:
    """Open (creating on first use) the data folder and database, migrated and seeded.

    The key comes from where the data folder's key record says (services/security/keys.py), or is
    made on first use; `key` bypasses that, `passphrase` stands in for CCM_TIMER_PASSPHRASE.
    A used folder whose database is missing or empty is refused (first_use.py). A database
    that fails its quick integrity check is opened read-only, as it is.
    `check_later` (the tray): when the files are exactly as a checked session closed them
    and only the check's age asks for one, open without it and leave `checked_at` None for
    integrity.check_apart after the tray is up; files changed since (a crash, another
    program) are checked here first, as on the command line.
    `build_rollup` False leaves a missing month rollup to build_month_rollup() later
    (bench/rollup_build.py times the build alone); everything else builds it here, the
    tray too: once after an upgrade, about 7 s of one core at 1,000,000 entries.
    """
    from ccm_timer.services.security import first_use, integrity, lost_commits

    paths = app_paths.resolve(data_dir)
    try:
        paths.ensure()
    except OSError as exc:
        raise UserError(
            f"Cannot create the data folder {paths.data} ({exc.strerror}); choose another "
            "with --data-dir or CCM_TIMER_HOME."
        ) from exc
    first_use.refuse_if_gone(paths)
    _owner_only(paths)
    loaded = settings_file.load(paths.settings_file)
    zone_chosen = _zone_in_file(paths.settings_file)
    if not paths.settings_file.exists():  # pin the workstation name (entries carry it)
        settings_file.save(paths.settings_file, replace(loaded, clinic_timezone=""))
    existed = paths.database.exists()
    protection = keys.given(key) if key is not None else keys.unlock(
        paths, loaded, passphrase=passphrase)
    engine = make_engine(paths.database, protection.key)
    acknowledged = commit_ledger.written(paths.database)  # before the database's own number
    try:
        pragmas = check_engine(engine)
    except UnreadableError:
        engine.dispose()
        raise keys.unreadable(protection) from None  # page 1 fails: another key
    clock = clock or SystemClock()
    # quick_check reads every page: whenever the files are not exactly as a checked session
    # closed them or the last check is a day old (a 1M-entry database takes seconds, which
    # `status` must not pay each time, nor the tray before its icon: `check_later`).
    checked_at = None if always_check else integrity.trusted_check(paths.database, clock.now())
    later = check_later and checked_at is None and integrity.unchanged_since_clean_close(
        paths.database) and _at_head(engine)  # an upgrade writes: checked first
    problems = integrity.quick_check(engine) if existed and checked_at is None and not later \
        else []
    read_only = None
    if not problems or integrity.unchanged_since_clean_close(paths.database):
        # A crash in this session re-checks; a damaged file is otherwise left as it is.
        integrity.forget_clean_close(paths.database)
    if problems:
        engine.dispose()
        read_only = integrity.read_only_reason(paths.backups, problems)
        engine, pragmas = _open_read_only(paths, protection, read_only, problems)
    else:
        checked_at = checked_at or (None if later else clock.now())
        if migrate.upgrade(engine, paths.backups) is not None:  # an existing database
            chain_anchor.anchor_if_missing(paths, protection, engine)
    ctx = AppContext(paths, engine, loaded, clock, pragmas, protection, read_only, checked_at,
                     zone_chosen=zone_chosen, settings_stamp=_stamp(paths.settings_file))
    if read_only is None:
        lost_commits.check(ctx, acknowledged)  # before this session's own writes
        _set_up(ctx, existed, build_rollup or not existed)
    return ctx


def _at_head(engine: Engine) -> bool:
    try:
        return migrate.current_revision(engine) == migrate.SCHEMA_HEAD
    except (DBAPIError, DatabaseError):
        return False


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _zone_in_file(path: Path) -> bool:
    """Whether the settings file names a zone (load() fills in the computer's when not; a
    file load() refused never gets here)."""
    try:
        return bool(tomllib.loads(path.read_text(encoding="utf-8")).get("clinic_timezone"))
    except (OSError, ValueError):
        return False


def _owner_only(paths: app_paths.AppPaths) -> None:
    """Files an older version left 0644 (the folder is 0700 now, but a copy of it, or a
    folder opened up later, would show them): the database's own are tightened as they
    are opened, tray.log by its handler, these here."""
    from ccm_timer.services.security import integrity, lost_commits

    fsio.owner_only(paths.settings_file, keys.record_path(paths), lost_commits.notice_path(
        paths), commit_ledger.ledger_path(paths.database), paths.data / integrity.CHECKED,
        *paths.backups.glob("*.db"))


def _open_read_only(paths: app_paths.AppPaths, protection: keys.Protection, reason: str,
                    problems: list[str]) -> tuple[Engine, dict[str, Any]]:
    engine = make_engine(paths.database, protection.key, read_only=reason)
    pragmas = check_engine(engine)
    try:
        revision = migrate.current_revision(engine)
    except (DBAPIError, DatabaseError):
        revision = None  # the damage reaches the schema version itself
    if revision != migrate.SCHEMA_HEAD:
        engine.dispose()
        raise DatabaseError(
            f"The database failed its integrity check ({problems[0]}) and its schema "
            "version is unreadable or older, so it cannot even be opened read-only; "
            "nothing was changed. Ask your administrator to restore the latest backup "
            f"from {paths.backups}."
        )
    return engine, pragmas


def month_rollup_built(ctx: AppContext) -> bool:
    """Whether the month rollup is built in the clinic's zone, so a month report reads a row
    per patient instead of counting the month's entries (False for a misnamed zone too)."""
    from ccm_timer.store import month_rollup

    try:
        zone = ctx.zone
    except UserError:
        return False
    with ctx.engine.connect() as conn:
        return month_rollup.usable(conn, zone)


def build_month_rollup(ctx: AppContext) -> bool:
    """Build the month rollup (store/month_rollup.py) when it is missing or counted in
    another zone than the clinic's, in one write transaction (an interrupted build leaves
    the rollup as it was, and the report counts from the entries until it is built). A
    read-only database, or a zone the settings misname (the command line says so), never
    builds it. True when it was built."""
    from ccm_timer.store import month_rollup

    if ctx.read_only is not None:
        return False
    try:
        zone = ctx.zone
    except UserError:
        return False
    with ctx.engine.connect() as conn:  # the usual answer, without the write lock
        if month_rollup.usable(conn, zone) or conn.dialect.name != "sqlite":
            return False
    with ctx.write() as session:
        return month_rollup.ensure(session.connection(), zone, ctx.now())


def _set_up(ctx: AppContext, existed: bool, build_rollup: bool) -> None:
    """Seed what a new database needs, and take the day's backup. A backup never blocks
    time-keeping: when it cannot be taken (a full disk) the user is told and work goes on."""
    from ccm_timer.services.people import roster_batches
    from ccm_timer.services.security import backups
    from ccm_timer.services.timing import categories, entry_import_batches

    categories.seed(ctx)
    keys.audit_new_key(ctx)
    if existed:
        roster_batches.take_back_interrupted(ctx)  # a roster import killed part-way
        entry_import_batches.take_back_interrupted(ctx)  # an entry import killed part-way
    if build_rollup:  # always on a new database: kept from its first entry, at no cost
        build_month_rollup(ctx)
    if existed:
        try:
            backups.daily(ctx)
        except DatabaseError as exc:
            ctx.notices.append(str(exc))
        except OSError as exc:
            ctx.notices.append(f"Today's backup was not taken ({exc.strerror or exc}); fix "
                               f"{ctx.paths.backups}, then run `ccm-timer backup`.")
