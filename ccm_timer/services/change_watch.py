"""Has anyone committed to the database since we last looked?

The tray re-reads its status when the database's files change (a timer started from the
command line must show within two seconds). File events alone are noisy: every connection
that opens and closes touches the -wal file, so re-reading on each event would make the
tray poll itself. `PRAGMA data_version` on one connection held open for the app's life
changes only when another connection commits, and holding that connection also keeps
SQLite from deleting and re-creating the -wal file at every session close.
"""

from __future__ import annotations

from pathlib import Path

from ccm_timer.services.context import AppContext


class DataVersion:
    def __init__(self, ctx: AppContext) -> None:
        self._conn = ctx.engine.raw_connection()
        self._last = self._read()

    @staticmethod
    def wal_path(database: Path) -> Path:
        return database.with_name(database.name + "-wal")

    def _read(self) -> int:
        cur = self._conn.cursor()
        try:
            return int(cur.execute("PRAGMA data_version").fetchone()[0])
        finally:
            cur.close()

    def changed(self) -> bool:
        """True once for each batch of commits made by other connections."""
        current = self._read()
        if current == self._last:
            return False
        self._last = current
        return True

    def close(self) -> None:
        self._conn.close()
