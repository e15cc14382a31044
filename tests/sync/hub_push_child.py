"""A pushing process for crash tests: one push to the hub target "hub", killing itself
(SIGKILL, as `kill -9`) at a named point. Usage: hub_push_child.py HOME POINT, POINT one of
"merged" (inside the hub's transaction, before it commits) or "committed" (the hub
committed, the local cursor not yet moved)."""

from __future__ import annotations

import os
import signal
import sys

from ccm_timer.services.context import open_app
from ccm_timer.services.delivery import hub_push, targets


def _die_after(fn):
    def wrapped(*args, **kwargs):
        result = fn(*args, **kwargs)
        print("killed", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapped


def _die_before(fn):
    def wrapped(*args, **kwargs):
        print("killed", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)
    return wrapped


def main() -> None:
    home, point = sys.argv[1], sys.argv[2]
    ctx = open_app(home)
    if point == "merged":
        hub_push.merge_rows = _die_after(hub_push.merge_rows)
    else:
        hub_push._move = _die_before(hub_push._move)
    hub_push.push_target(ctx, targets.get(ctx, "hub"), force=True)
    print("pushed", flush=True)


if __name__ == "__main__":
    main()
