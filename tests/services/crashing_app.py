"""Stands in for the tray app: starts a timer, then writes heartbeats until killed.

`python -m tests.services.crashing_app HOME` prints the entry id and its start instant.
"""

import sys
import time

from ccm_timer.services import recovery, timers
from ccm_timer.services.context import open_app


def main() -> None:
    ctx = open_app(sys.argv[1])
    recovery.beat(ctx)
    entry = timers.start(ctx, patient_mrn="T1001", category_slug="phone-call")
    print(entry.id, entry.start.isoformat(), flush=True)
    while True:
        time.sleep(0.1)
        recovery.beat(ctx)


if __name__ == "__main__":
    main()
