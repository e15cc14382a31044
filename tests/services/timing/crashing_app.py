"""Stands in for the tray app: starts a timer, then writes heartbeats until killed.

`python -m tests.services.timing.crashing_app HOME` prints the entry id and its start instant.
With `--no-beats` it only starts the timer as the tray does (`watched_by_app=True`) and
writes no heartbeat of its own: a crash before the first periodic heartbeat.
"""

import sys
import time

from ccm_timer.services.context import open_app
from ccm_timer.services.timing import recovery, timers


def main() -> None:
    ctx = open_app(sys.argv[1])
    beats = "--no-beats" not in sys.argv[2:]
    if beats:
        recovery.beat(ctx)
    entry = timers.start(ctx, patient_mrn="T1001", category_slug="phone-call",
                         watched_by_app=not beats)
    print(entry.id, entry.start.isoformat(), flush=True)
    while True:
        time.sleep(0.1)
        if beats:
            recovery.beat(ctx)


if __name__ == "__main__":
    main()
