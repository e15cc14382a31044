"""The tray's own heartbeat is not another program's commit, and no other commit is hidden
by it: one made before ours or after it (before the watch looks) is still seen."""

from __future__ import annotations

from ccm_timer.services import change_watch
from ccm_timer.services.change_watch import DataVersion
from ccm_timer.services.timing import timers


def test_our_heartbeat_alone_is_no_change(clinic) -> None:
    change_watch.heartbeat(clinic, DataVersion(clinic))  # the row exists: the next update it
    watch, plain = DataVersion(clinic), DataVersion(clinic)
    try:
        for _ in range(2):  # twice, with no look in between, then once more after one
            clinic.clock.advance(30)  # a heartbeat writes the time it is seen alive
            change_watch.heartbeat(clinic, watch)
        assert plain.changed()  # it did commit: a plain watch reads it as a change
        assert not watch.changed()
        clinic.clock.advance(30)
        change_watch.heartbeat(clinic, watch)
        assert plain.changed()
        assert not watch.changed()
    finally:
        watch.close()
        plain.close()


def test_a_commit_after_ours_is_seen(clinic) -> None:
    watch = DataVersion(clinic)
    try:
        change_watch.heartbeat(clinic, watch)
        # Another connection commits after our heartbeat, before the watch looks.
        timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
        assert watch.changed()
        assert not watch.changed()
    finally:
        watch.close()


def test_a_commit_before_ours_is_seen(clinic) -> None:
    watch = DataVersion(clinic)
    try:
        timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
        change_watch.heartbeat(clinic, watch)
        assert watch.changed()
    finally:
        watch.close()


def test_an_unnumbered_commit_before_ours_is_seen(clinic) -> None:
    """A writer that does not number its commit (not through store/engine.write_session)
    is still caught when it came first: the watch looks while our write holds the lock."""
    watch = DataVersion(clinic)
    raw = clinic.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("UPDATE category SET sort_order = sort_order + 1 WHERE slug = 'phone-call'")
        raw.commit()
        cur.close()
        change_watch.heartbeat(clinic, watch)
        assert watch.changed()
    finally:
        raw.close()
        watch.close()


def test_a_commit_between_two_heartbeats_is_seen_once(clinic) -> None:
    watch = DataVersion(clinic)
    try:
        change_watch.heartbeat(clinic, watch)
        assert not watch.changed()
        timers.start(clinic, patient_mrn="T1001", category_slug="phone-call")
        change_watch.heartbeat(clinic, watch)
        assert watch.changed()
        assert not watch.changed()
    finally:
        watch.close()
