"""The command line skips the page-by-page quick_check only when the database files are
exactly as a checked session closed them; any change, or a session that never closed,
means the next open checks again."""

from ccm_timer.services.context import open_app
from ccm_timer.services.security import integrity


def test_unchanged_files_skip_the_check_and_anything_else_does_not(home, clock):
    database = home / "ccm-timer.db"
    open_app(str(home), clock=clock).close()
    assert integrity.unchanged_since_clean_close(database)

    crashed = open_app(str(home), clock=clock)  # this session never closes: a crash
    assert not integrity.unchanged_since_clean_close(database)
    crashed.engine.dispose()
    assert not integrity.unchanged_since_clean_close(database)  # so the next open checks

    open_app(str(home), clock=clock).close()
    assert integrity.unchanged_since_clean_close(database)
    with open(home / "unrelated.txt", "w", encoding="utf-8") as handle:
        handle.write("x")  # other files in the folder do not matter ...
    assert integrity.unchanged_since_clean_close(database)
    (home / "ccm-timer.db-wal").write_bytes(b"")  # ... a touched database file does
    assert not integrity.unchanged_since_clean_close(database)
