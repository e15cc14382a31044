"""The audit chain's head, kept outside the database, so that a chain cut short is caught.

Someone who holds the database key can delete the newest audit events and nothing inside
the file shows it. So after each commit that adds events, the newest event's number and
hash are written down outside the database:

- where the database key is in the keyring: beside it (user "chain-head-<database id>");
- otherwise (a passphrase, a key given by a tool, no encryption): in `ccm-timer.chain-head`
  beside the database, with an HMAC-SHA256 under a key derived from the database key
  (HKDF), so it cannot be rewritten without the key. An unencrypted database's file has no
  MAC: anyone who can change it can change the database too.

The copy only moves forward: a transaction may write it only when the chain still holds the
head written before (audit.append asks `may_advance`), so a command run after tampering never
hides it. It may lag (a crash between the commit and the write), which only weakens the
check. None of this stops someone with the key who knows the design; the copies that leave
the machine do (every export carries the head, and each hub push records it on the hub).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from ccm_timer import fsio
from ccm_timer.paths import AppPaths
from ccm_timer.services.security import keys
from ccm_timer.services.security.secret_store import SecretStoreError, open_store

log = logging.getLogger(__name__)
HEAD_FILE = "ccm-timer.chain-head"
_INFO = b"ccm-timer audit chain head"


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


class AnchorError(Exception):
    """The head kept outside the database cannot be read, or was altered. The message is a
    clause for the caller's sentence."""


def _keyring_user(paths: AppPaths, protection: keys.Protection) -> str | None:
    record = protection.record or keys.load_record(paths)
    if record is None or record.kept_in != "keyring":
        return None
    return f"chain-head-{record.database_id}"


def where(paths: AppPaths, protection: keys.Protection) -> str:
    """Where the head is kept, for messages."""
    if _keyring_user(paths, protection) is not None:
        return "the system keyring, beside the database key"
    return str(paths.data / HEAD_FILE)


def _signer(key: bytes, head: Head) -> Any:
    """HMAC-SHA256 of the head under a key derived from the database key (imported here:
    a keyring-kept database never pays for it)."""
    from cryptography.hazmat.primitives import hashes as crypto_hashes
    from cryptography.hazmat.primitives import hmac
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=crypto_hashes.SHA256(), length=32, salt=None,
                   info=_INFO).derive(key)
    signer = hmac.HMAC(derived, crypto_hashes.SHA256())
    signer.update(f"{head.seq}:{head.hash}".encode("ascii"))
    return signer


def _parse(text: str) -> tuple[Head, str]:
    raw = json.loads(text)
    head = Head(int(raw["seq"]), str(raw["hash"]))
    if head.seq < 1 or len(head.hash) != 64:
        raise ValueError("out of range")
    return head, str(raw.get("mac", ""))


def read(paths: AppPaths, protection: keys.Protection) -> Head | None:
    """The head written down for this database, None when there is none; AnchorError
    when it cannot be read or does not prove itself."""
    user = _keyring_user(paths, protection)
    if user is not None:
        try:
            store = open_store()
            value = store.get(keys.SERVICE, user)
        except SecretStoreError as exc:
            raise AnchorError(f"the chain head kept in the keyring cannot be read ({exc.why})"
                              ) from None
        if value is None:
            return None
        try:
            return _parse(value)[0]
        except (ValueError, KeyError, TypeError):
            raise AnchorError("the chain head kept in the keyring is damaged") from None
    path = paths.data / HEAD_FILE
    try:
        head, mac = _parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise AnchorError(f"the chain head file {path} is damaged") from None
    if protection.key is not None:
        from cryptography.exceptions import InvalidSignature

        try:
            _signer(protection.key, head).verify(bytes.fromhex(mac))
        except (InvalidSignature, ValueError):
            raise AnchorError(f"the chain head file {path} was altered (its MAC does not "
                              "match the database key)") from None
    return head


def write(paths: AppPaths, protection: keys.Protection, head: Head) -> None:
    """Write the head down; AnchorError when it cannot be kept."""
    user = _keyring_user(paths, protection)
    text = json.dumps({"seq": head.seq, "hash": head.hash})
    if user is not None:
        try:
            open_store().put(keys.SERVICE, user, text)
        except SecretStoreError as exc:
            raise AnchorError(f"the chain head could not be kept in the keyring ({exc.why})"
                              ) from None
        return
    mac = _signer(protection.key, head).finalize().hex() if protection.key else ""
    body = json.dumps({"seq": head.seq, "hash": head.hash, "mac": mac}).encode("ascii")
    try:
        # The bytes are synced before the rename (a power cut never leaves a torn file);
        # the folder is not: a rename lost with it leaves the older head, which is safe.
        pending = fsio.PendingFile(paths.data / HEAD_FILE, body, mode=0o600)
        try:
            os.replace(pending.tmp, pending.target)
        finally:
            pending.discard()
    except OSError as exc:
        raise AnchorError(f"the chain head file could not be written ({exc.strerror or exc})"
                          ) from None


def write_quietly(paths: AppPaths, protection: keys.Protection, head: Head) -> bool:
    """After a commit: the work is saved whatever happens here, so a failure is logged and
    the copy simply lags (the next commit writes it again). True when it was written."""
    try:
        write(paths, protection, head)
    except AnchorError as exc:
        log.warning("the audit chain head was not written down: %s", exc)
        return False
    return True


class Memo:
    """The head this session last read or wrote, so that a write transaction does not read
    the keyring (a D-Bus round trip) or verify the file's MAC each time. It is trusted only
    while the database's commit counter (store/commit_ledger.py: `PRAGMA user_version`, read
    inside the write lock) is the one it was taken at: any commit by another process moves
    the counter, and then the head is read again. The memo only ever holds a head this
    session read or wrote, never one behind what it last saw, so `may_advance` against it is
    at least as strict as against a fresh read. `audit check` always reads the kept copy."""

    def __init__(self) -> None:
        # (commit counter, head, where it is kept) in one tuple: one store, so a thread
        # never sees the counter of one state with the head of another.
        self._known: tuple[int, Head | None, keys.Protection] | None = None

    def read(self, paths: AppPaths, protection: keys.Protection, number: int) -> Head | None:
        """The head kept outside, at commit counter `number` (read inside the write lock);
        AnchorError as from `read`."""
        known = self._known
        if known is not None and known[0] == number and known[2] is protection:
            return known[1]
        self._known = None
        head = read(paths, protection)
        self._known = (number, head, protection)
        return head

    def committed(self, number: int | None, head: Head | None,
                  protection: keys.Protection) -> None:
        """After this session's commit at counter `number`: `head` is what is kept outside
        now (the one just written, or the one read when it could not move)."""
        self._known = None if number is None else (number, head, protection)

    def forget(self) -> None:
        self._known = None


def anchor_if_missing(paths: AppPaths, protection: keys.Protection, engine: Any) -> None:
    """Keep the chain's current head outside when none is kept: an existing database just
    migrated (its evidence hashed at upgrade), or a recovery key brought the database key
    back to a keyring that had lost the head with it."""
    try:
        if read(paths, protection) is not None:
            return
    except AnchorError:
        return  # leave a damaged copy for `audit verify` to report
    with engine.connect() as conn:
        head = head_of(conn.exec_driver_sql(NEWEST).first())
    if head is not None:
        write_quietly(paths, protection, head)


def forget(paths: AppPaths, protection: keys.Protection) -> None:
    """Remove the head kept for this database (before writing it in a new place)."""
    user = _keyring_user(paths, protection)
    if user is None:
        (paths.data / HEAD_FILE).unlink(missing_ok=True)
        return
    try:
        open_store().delete(keys.SERVICE, user)
    except SecretStoreError:
        pass


NEWEST = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"


def may_advance(kept: Head | None, chain_empty: bool, hash_at_kept: str | None) -> bool:
    """Whether a write may move the head kept outside: only forward from itself, so after
    tampering it stays where it was, for `audit check` to report, instead of following the
    damaged chain. `hash_at_kept`: the chain's hash at the kept head's seq (None: no such
    event). A chain with a past but no head kept stays so."""
    if kept is None:
        return chain_empty
    return hash_at_kept is not None and hash_at_kept == kept.hash


def head_of(row: Any) -> Head | None:
    """The head from a row of NEWEST (None: an empty chain)."""
    return Head(int(row[0]), str(row[1])) if row else None
