"""Relay throughput: deliver N queued exports to an HTTPS-style endpoint on 127.0.0.1.

    python bench/sync_throughput.py [--count 10000] [--keep DIR]

Prints the time to queue them and the time for the worker to drain the queue (one pass,
real SQLite with synchronous=FULL, a kept-alive HTTP/1.1 connection, one audit event per
delivery). The server keeps Idempotency-Keys and counts copies, so the figure is for
exactly-once delivery, not for fire-and-forget.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import func, select  # noqa: E402

from ccm_timer.services.context import open_app  # noqa: E402
from ccm_timer.services.delivery import outbox, targets
from ccm_timer.services.exports import history as export_records  # noqa: E402
from ccm_timer.store.models import OutboxItem, OutboxState  # noqa: E402
from ccm_timer.sync.worker import Worker  # noqa: E402


def serve() -> tuple[ThreadingHTTPServer, dict[str, int]]:
    copies: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["Idempotency-Key"]
            with lock:
                copies[key] = 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="use (and keep) this data folder")
    args = parser.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="ccm-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(
        'clinic_timezone = "America/New_York"\nworkstation = "bench"\n', encoding="utf-8")
    server, copies = serve()
    ctx = open_app(str(home))
    try:
        targets.add(ctx, "billing", kind="https",
                    url=f"http://127.0.0.1:{server.server_address[1]}/exports")
        t0 = time.perf_counter()
        for start in range(0, args.count, 500):
            with ctx.write() as session:
                for n in range(start, min(start + 500, args.count)):
                    body = json.dumps({"export": n, "synthetic": True, "pad": "x" * 400})
                    export = export_records.record_export(
                        session, ctx, month="2026-11", scope="all", fmt="json",
                        content=body.encode(), actor="bench", filename_hint=f"ccm-{n}.json")
                    outbox.enqueue(session, ctx, export, "billing")
        queued = time.perf_counter() - t0
        t1 = time.perf_counter()
        report = Worker(ctx, timeout=30).run_once()
        drained = time.perf_counter() - t1
        with ctx.read() as session:
            delivered = session.exec(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.state == OutboxState.DELIVERED)).one()
        print(f"queued {args.count} exports in {queued:.1f} s")
        print(f"delivered {report.delivered} in {drained:.1f} s: "
              f"{report.delivered / drained:.0f} exports/s, "
              f"{drained / max(report.delivered, 1) * 1000:.2f} ms each")
        print(f"server holds {len(copies)} exports (one copy each); "
              f"{delivered} items marked delivered")
        return 0 if len(copies) == delivered == args.count else 1
    finally:
        ctx.close()
        server.shutdown()
        if args.keep is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
