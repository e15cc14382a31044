"""The command line: `target`, `sync`, `import-bundle`, run as real subprocesses; target
tokens go to `token_keyring`, the test's own, for this process and `ccm-timer`'s."""

from __future__ import annotations

import json
import re

from tests.fixtures.delivery import queue_exports


def test_target_add_keeps_the_token_out_of_every_file(cli, home, token_keyring, server):
    done = cli("target", "add", "billing", "--kind", "https", "--url", server.url,
               input="tok-123\n")
    assert done.returncode == 0, done.stderr
    assert "token is in the system keyring" in done.stdout
    assert token_keyring.items == {("ccm-timer-target", "billing"): "tok-123"}
    for path in home.rglob("*"):
        if path.is_file():
            assert b"tok-123" not in path.read_bytes(), path
    listed = cli("target", "list", "--json")
    assert json.loads(listed.stdout) == [{"name": "billing", "kind": "https",
                                          "url": server.url}]


def test_sync_once_delivers_and_reports_a_500_in_one_sentence(cli, ctx, token_keyring, server):
    server.token = "tok-123"
    assert cli("target", "add", "billing", "--kind", "https", "--url", server.url,
               input="tok-123\n").returncode == 0
    queue_exports(ctx, "billing", 2)
    done = cli("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "Delivered 2 export(s). All exports delivered" in done.stdout
    assert set(server.auth_seen) == {"Bearer tok-123"}
    queue_exports(ctx, "billing", 1)
    server.faults.append(500)
    done = cli("sync", "--once")
    assert done.returncode == 1
    assert re.fullmatch(
        r"(ccm-timer: )?The billing server answered 500; the export stays queued and will be "
        r"retried at \d\d:\d\d\.", done.stderr.strip().splitlines()[-1]), done.stderr
    listed = cli("sync", "--list", "--json")
    [item] = json.loads(listed.stdout)
    assert item["state"] == "pending" and item["last_error"] == "the billing server answered 500"
    assert item["attempts"] == 1


def test_bad_target_input_is_one_sentence_and_changes_nothing(cli, home, token_keyring):
    done = cli("target", "add", "b", "--kind", "https", "--url", "http://billing.example.org/x",
               input="t\n")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "ccm-timer: Exports go only over https:// (plain http only to 127.0.0.1).")
    done = cli("target", "add", "b", "--kind", "https", "--url", "https://billing.example.org",
               input="")
    assert done.returncode == 1
    assert "No token was given" in done.stderr
    assert json.loads(cli("target", "list", "--json").stdout) == []
    assert not token_keyring.folder.exists()  # nothing was ever stored
    done = cli("target", "add", "h", "--kind", "hub", "--url", "postgresql://u:pw@db/hub",
               "--no-token")
    assert done.returncode == 1 and "Leave the password out" in done.stderr


def test_remove_refuses_while_exports_wait(cli, ctx, token_keyring, server):
    cli("target", "add", "billing", "--kind", "https", "--url", server.url, "--no-token")
    queue_exports(ctx, "billing", 2)
    done = cli("target", "remove", "billing")
    assert done.returncode == 1 and "2 export(s) still wait for billing" in done.stderr
    done = cli("target", "remove", "billing", "--force")
    assert done.returncode == 0, done.stderr
    assert "2 waiting export(s) marked failed" in done.stdout
    [row, _] = json.loads(cli("sync", "--list", "--json").stdout)
    assert row["state"] == "failed" and row["last_error"] == "the target billing was removed"


def test_import_bundle_command(cli, ctx, clinic, token_keyring, tmp_path):
    from datetime import UTC, datetime

    from tests.fixtures.delivery import add_minutes

    drop = tmp_path / "usb"
    drop.mkdir()
    assert cli("clinic", "key", "init").returncode == 0  # this workstation imports, too
    assert cli("target", "add", "usb", "--kind", "folder", "--url", str(drop)).returncode == 0
    add_minutes(ctx, datetime(2026, 11, 3, 13, 0, tzinfo=UTC), 12)
    [export] = queue_exports(ctx, "usb", 1)
    assert cli("sync", "--once").returncode == 0
    path = drop / f"ccm-bundle-{export.id}"
    done = cli("import-bundle", str(path))
    assert done.returncode == 0, done.stderr
    assert "was already imported into this workstation; nothing changed" in done.stdout
    (path / "sealed.bin").write_bytes(b"{}")
    done = cli("import-bundle", str(path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "ccm-timer: The bundle was refused, nothing was imported: sealed.bin does not "
        "match its SHA-256 in the manifest.")
