"""Has anyone committed to the database since we last looked?

The tray re-reads its status when the database's files change (a timer started from the
command line must show within two seconds). File events alone are noisy: every connection
that opens and closes touches the -wal file, so re-reading on each event would make the
tray poll itself. `PRAGMA data_version` on one connection held open for the app's life
changes only when another connection commits, and holding that connection also keeps
SQLite from deleting and re-creating the -wal file at every session close.

The tray's own heartbeat (every 30 s) is a commit on another connection too, and would
cost a full refresh each time. It is told apart by the commit numbers of
store/commit_ledger.py (`PRAGMA user_version`, raised by every write transaction that
changes a row): under our write lock nobody else can commit, so the number before ours
is the newest; if it is the one the watch last saw, and the watch's data_version is
still the one it last saw (no unnumbered commit came first either), then after our commit
the watch is up to date at our number. A later number means someone committed after us.
Simply consuming the data_version change after our commit would hide a commit landing
between ours and the look. Only an unnumbered commit (none of ours: every write goes
through store/engine.write_session) landing after ours is not told apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from ccm_timer.services.context import AppContext
from ccm_timer.services.timing import recovery

# One statement, so one read snapshot: both figures describe the same commits.
_READ = "SELECT data_version, user_version FROM pragma_data_version(), pragma_user_version()"


class DataVersion:
    def __init__(self, ctx: AppContext) -> None:
        self._conn = ctx.engine.raw_connection()
        self._last, self._number = self._read()
        self._own = False  # our own commits came since the last look, and nothing else

    @staticmethod
    def wal_path(database: Path) -> Path:
        return database.with_name(database.name + "-wal")

    def _read(self) -> tuple[int, int]:
        cur = self._conn.cursor()
        try:
            version, number = cur.execute(_READ).fetchone()
            return int(version), int(number or 0)
        finally:
            cur.close()

    def changed(self) -> bool:
        """True once for each batch of commits made by other connections, except this
        app's own writes made through `own_write`."""
        version, number = self._read()
        if version == self._last:
            return False
        own_only = self._own and number == self._number
        self._last, self._number, self._own = version, number, False
        return not own_only

    @contextmanager
    def own_write(self, ctx: AppContext) -> Iterator[Session]:
        """A write transaction of this app whose commit `changed()` does not report: for
        writes that change nothing the tray shows (the heartbeat). Main thread only."""
        with ctx.write() as session:
            conn = session.connection()
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            before = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
            changes = dbapi.total_changes
            yield session
            session.flush()
            numbered = dbapi.total_changes != changes  # commit_ledger.bump's own rule
            # The lock is ours: any commit since the last look came before this one.
            version, _ = self._read()
            quiet = before == self._number and (self._own or version == self._last)
        if numbered and quiet:
            self._number, self._own = before + 1, True

    def close(self) -> None:
        self._conn.close()


def heartbeat(ctx: AppContext, watch: DataVersion) -> None:
    """recovery.beat, as a write the watch does not read back as another program's."""
    with watch.own_write(ctx) as session:
        recovery.mark_alive(session, ctx)
