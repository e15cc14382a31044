"""The database key: made once, kept apart from the data, never written in clear.

Where a database's key is kept is recorded, without the key, in `ccm-timer.keyinfo.json`
beside the database (so "a database but no key" is known before the file is opened):

- "keyring": 32 random bytes, hex, in the OS keyring under service "ccm-timer" and user
  "database-<uuid>". The uuid is the database's own id, so several data folders never
  collide and a moved folder still finds its key.
- "passphrase": for machines with no usable keyring, the key is derived from
  CCM_TIMER_PASSPHRASE (or the passphrase typed in the tray) with scrypt and the salt
  recorded here. It is derived once per process; each connection gets the raw key.

The recovery key is the database key itself, written for people: base32 in groups of four
with three check bytes, so a typo is caught before the database is even tried. It opens the
database and every backup; `ccm-timer unlock --recovery-key` puts it back in the keyring.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccm_timer import fsio
from ccm_timer.errors import DatabaseError
from ccm_timer.paths import AppPaths

if TYPE_CHECKING:  # services/context.py imports this module: a runtime import would cycle
    from ccm_timer.services.context import AppContext
    from ccm_timer.services.security.secret_store import SecretStore

RECORD_FILE = "ccm-timer.keyinfo.json"
SERVICE = "ccm-timer"
ENV_PASSPHRASE = "CCM_TIMER_PASSPHRASE"
MIN_PASSPHRASE = 10
# OWASP's scrypt floor (N=2^17, r=8, p=1: 128 MiB, under a second); paid once per process.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
_CHECK_BYTES = 3
PASSPHRASE_WHERE = f"a passphrase ({ENV_PASSPHRASE} or typed at start); scrypt, salt on file"
_GROUP = 4


class KeyUnavailable(DatabaseError):
    """The key cannot be had; nothing was opened, created or changed. `needs_passphrase`
    tells the tray to ask for one (again, when `wrong_passphrase`)."""

    def __init__(self, message: str, *, needs_passphrase: bool = False,
                 wrong_passphrase: bool = False, new_database: bool = False) -> None:
        super().__init__(message)
        self.needs_passphrase = needs_passphrase
        self.wrong_passphrase = wrong_passphrase
        self.new_database = new_database  # a passphrase asked for now is a new one


@dataclass(frozen=True)
class KeyRecord:
    database_id: str
    kept_in: str  # "keyring" or "passphrase"
    created_utc: str
    backend: str = ""  # the keyring backend that took the key (R3.3: say which was used)
    salt: str = ""  # passphrase only: scrypt salt and cost
    n: int = 0
    r: int = 0
    p: int = 0
    recovery_key_shown: bool = False

    @property
    def keyring_user(self) -> str:
        return f"database-{self.database_id}"


@dataclass(frozen=True)
class Protection:
    """How the opened database is protected. `key` never appears in a repr."""

    key: bytes | None = field(default=None, repr=False)
    kept_in: str = "none"  # "keyring", "passphrase", "given" or "none" (not encrypted)
    where: str = "nowhere: the database is not encrypted"
    record: KeyRecord | None = None
    created: bool = False  # a new key was made by this open

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def recovery_key(self) -> str | None:
        return format_recovery_key(self.key) if self.key is not None else None


# ---- the record beside the database ------------------------------------------------------

def record_path(paths: AppPaths) -> Path:
    return paths.data / RECORD_FILE


def load_record(paths: AppPaths) -> KeyRecord | None:
    path = record_path(paths)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        record = KeyRecord(**raw)
        uuid.UUID(record.database_id)
        if record.kept_in not in ("keyring", "passphrase"):
            raise ValueError(record.kept_in)
        if record.kept_in == "passphrase":
            bytes.fromhex(record.salt)
            if min(record.n, record.r, record.p) < 1:
                raise ValueError("scrypt cost")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise KeyUnavailable(
            f"The key record {path} is damaged ({type(exc).__name__}); restore it from a copy, "
            "or move it aside and run `ccm-timer unlock --recovery-key`. Nothing was changed."
        ) from None
    return record


def save_record(paths: AppPaths, record: KeyRecord, *, only_if_absent: bool = False) -> bool:
    """Write atomically. With `only_if_absent`, False when another process wrote one first
    (two first starts at once must not make two keys for one database)."""
    pending = fsio.PendingFile(record_path(paths), json.dumps(asdict(record), indent=2).encode(),
                               mode=0o600)  # the scrypt salt: the owner alone
    if only_if_absent:
        return pending.link_if_absent()
    pending.commit()
    return True


# ---- the recovery key --------------------------------------------------------------------

def format_recovery_key(key: bytes) -> str:
    check = hashlib.sha256(key).digest()[:_CHECK_BYTES]
    text = base64.b32encode(key + check).decode("ascii").rstrip("=")
    return "-".join(text[i:i + _GROUP] for i in range(0, len(text), _GROUP))


def parse_recovery_key(text: str) -> bytes:
    """The key from what a person typed: case, spaces and dashes do not matter, and the
    digits 0, 1 and 8 are read as the letters O, I and B they are mistaken for."""
    clean = "".join(text.split()).replace("-", "").upper()
    clean = clean.translate(str.maketrans("018", "OIB"))
    if len(clean) != 56:
        raise ValueError(
            f"a recovery key has 56 letters and digits in 14 groups; this one has {len(clean)}"
        )
    try:
        raw = base64.b32decode(clean)
    except ValueError:
        raise ValueError("a recovery key uses only the letters A-Z and digits 2-7") from None
    key, check = raw[:32], raw[32:]
    if hashlib.sha256(key).digest()[:_CHECK_BYTES] != check:
        raise ValueError("the recovery key has a typo (its check letters do not match); "
                         "compare each group with what you wrote down")
    return key


# ---- finding (or making) the key ---------------------------------------------------------

def _passphrase(given: str | None) -> str | None:
    value = given if given is not None else os.environ.get(ENV_PASSPHRASE)
    return value if value else None


def derive(passphrase: str, record: KeyRecord) -> bytes:
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=bytes.fromhex(record.salt), n=record.n, r=record.r,
        p=record.p, maxmem=256 * record.r * record.n + 2**20, dklen=32,
    )


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unlock(paths: AppPaths, settings: Any, *, passphrase: str | None = None,
           create: bool = True) -> Protection:
    """The key of the database in `paths`, from wherever its record says it is kept. With no
    record and no database, a new key is made (unless `create` is False or the settings say
    `encryption = "off"`). Raises KeyUnavailable with what to do; never touches the file."""
    record = load_record(paths)
    if record is None:
        if paths.database.exists():
            # An older, unencrypted database (or a lost record: opening it will tell).
            return Protection(where="nowhere: the database is not encrypted; run "
                              "`ccm-timer encrypt`")
        if getattr(settings, "encryption", "on") == "off":
            return Protection(where='nowhere: encryption is off by choice (encryption = "off")')
        if not create:
            raise KeyUnavailable("There is no database here yet; start CCM Timer once.")
        return _create(paths, passphrase, settings)
    if record.kept_in == "passphrase":
        return _from_passphrase(record, passphrase)
    return _from_keyring(record)


def _create(paths: AppPaths, passphrase: str | None, settings: Any) -> Protection:
    try:
        fresh = new_key(
            passphrase,
            no_keyring="No usable keyring can keep the key of a new encrypted database: "
            f"{{why}}. Set {ENV_PASSPHRASE} to protect it with a passphrase instead, or run "
            "`ccm-timer encrypt --off` to keep this data folder unencrypted on purpose.",
        )
    except KeyUnavailable as exc:
        exc.new_database = True
        raise
    assert fresh.record is not None
    if not save_record(paths, fresh.record, only_if_absent=True):
        forget(fresh.record)  # another process made the key first: use theirs
        return unlock(paths, settings, passphrase=passphrase, create=False)
    return fresh


def new_key(passphrase: str | None, *, no_keyring: str, shown: bool = False) -> Protection:
    """A new random key in the keyring, or one derived from a passphrase (given, or from
    CCM_TIMER_PASSPHRASE), with its record, not yet saved. `no_keyring` is the message when
    neither can be had ({why} is filled in); the tray then asks for a passphrase."""
    phrase = _passphrase(passphrase)
    if phrase is not None:
        if len(phrase) < MIN_PASSPHRASE:
            raise KeyUnavailable(
                f"The passphrase must be at least {MIN_PASSPHRASE} characters long; choose a "
                "longer one. Nothing was changed.", needs_passphrase=True,
                wrong_passphrase=True)
        record = KeyRecord(uuid.uuid4().hex, "passphrase", now_text(), salt=secrets.token_hex(16),
                           recovery_key_shown=shown, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        return Protection(derive(phrase, record), "passphrase", PASSPHRASE_WHERE, record,
                          created=True)
    store = store_or_explain(no_keyring, needs_passphrase=True)
    key = secrets.token_bytes(32)
    record = KeyRecord(uuid.uuid4().hex, "keyring", now_text(), backend=store.name,
                       recovery_key_shown=shown)
    put_key(store, record, key)
    return Protection(key, "keyring", store.label, record, created=True)


def forget(record: KeyRecord) -> None:
    """Remove a keyring entry this process made and will not use (best effort)."""
    if record.kept_in != "keyring":
        return
    from ccm_timer.services.security.secret_store import SecretStoreError, open_store

    try:
        open_store().delete(SERVICE, record.keyring_user)
    except SecretStoreError:
        pass


def _from_passphrase(record: KeyRecord, passphrase: str | None) -> Protection:
    phrase = _passphrase(passphrase)
    if phrase is None:
        raise KeyUnavailable(
            f"This database is protected by a passphrase; set {ENV_PASSPHRASE} or start the "
            "tray app to type it. Nothing was changed.", needs_passphrase=True)
    return Protection(derive(phrase, record), "passphrase", PASSPHRASE_WHERE, record)


def store_or_explain(template: str, **flags: bool) -> SecretStore:
    from ccm_timer.services.security.secret_store import SecretStoreError, open_store

    try:
        return open_store()
    except SecretStoreError as exc:
        raise KeyUnavailable(template.format(why=exc.why), **flags) from None


def put_key(store: SecretStore, record: KeyRecord, key: bytes) -> None:
    from ccm_timer.services.security.secret_store import SecretStoreError

    try:
        store.put(SERVICE, record.keyring_user, key.hex())
    except SecretStoreError as exc:
        raise KeyUnavailable(
            f"The database key could not be stored: {exc.why}. Nothing was changed; fix the "
            f"keyring, or set {ENV_PASSPHRASE} to use a passphrase instead.") from None


def _from_keyring(record: KeyRecord) -> Protection:
    from ccm_timer.services.security.secret_store import SecretStoreError

    store = store_or_explain(
        "The database key is kept in the system keyring, which cannot be used now: {why}. "
        "Nothing was changed; open CCM Timer where that keyring is available and unlocked, "
        "or run `ccm-timer unlock --recovery-key` where one is.")
    try:
        value = store.get(SERVICE, record.keyring_user)
    except SecretStoreError as exc:
        raise KeyUnavailable(
            f"The database key cannot be read: {exc.why}. Nothing was changed; unlock the "
            "keyring and try again.") from None
    if value is None:
        raise KeyUnavailable(
            f"The database key is missing from {store.label}. Nothing was changed; run "
            "`ccm-timer unlock --recovery-key` and type the recovery key you wrote down.")
    try:
        key = bytes.fromhex(value)
        if len(key) != 32:
            raise ValueError
    except ValueError:
        raise KeyUnavailable(
            f"The database key entry in {store.label} is damaged. Nothing was changed; run "
            "`ccm-timer unlock --recovery-key` and type the recovery key you wrote down."
        ) from None
    return Protection(key, "keyring", store.label, record)


def unreadable(protection: Protection) -> KeyUnavailable:
    """What to say when the first read of the database fails with this protection."""
    if protection.kept_in == "passphrase":
        return KeyUnavailable(
            f"The passphrase does not open this database; check {ENV_PASSPHRASE} or type it "
            "again. Nothing was changed.", needs_passphrase=True, wrong_passphrase=True)
    if protection.kept_in == "keyring":
        return KeyUnavailable(
            f"The database cannot be read with the key kept in {protection.where} (the key "
            "belongs to another database). Nothing was changed; run "
            "`ccm-timer unlock --recovery-key` with the recovery key you wrote down.")
    if protection.kept_in == "given":
        return KeyUnavailable("The database cannot be read with the key given. Nothing was "
                              "changed.")
    return KeyUnavailable(
        f"The database cannot be read: it is encrypted but this data folder has no "
        f"{RECORD_FILE} saying where its key is kept, or it is not a CCM Timer database. "
        "Nothing was changed; run `ccm-timer unlock --recovery-key` with the recovery key "
        "you wrote down.")


def given(key: bytes) -> Protection:
    """A key the caller already holds (tools, tests): nothing is looked up or stored."""
    return Protection(key, "given", "the caller (a key passed in)")


# ---- after the database opened -----------------------------------------------------------

def restore(paths: AppPaths, key: bytes) -> KeyRecord:
    """Put a key that was just proven to open the database into the keyring, under a fresh
    record (the old entry may be gone or damaged). Used by `unlock --recovery-key`."""
    old = load_record(paths) if record_path(paths).exists() else None
    store = store_or_explain(
        "The recovery key is right, but no usable keyring can keep it: {why}. Nothing was "
        "changed; run this where the system keyring works.")
    record = KeyRecord(uuid.uuid4().hex, "keyring", now_text(), backend=store.name,
                       recovery_key_shown=True)
    put_key(store, record, key)
    save_record(paths, record)
    if old is not None and old.kept_in == "keyring":
        from ccm_timer.services.security.secret_store import SecretStoreError

        try:
            store.delete(SERVICE, old.keyring_user)  # a stale or damaged entry
        except SecretStoreError:
            pass
    return record


def mark_recovery_key_shown(paths: AppPaths) -> None:
    record = load_record(paths)
    if record is not None and not record.recovery_key_shown:
        save_record(paths, replace(record, recovery_key_shown=True))


def recovery_key_pending(protection: Protection) -> bool:
    """True until the recovery key of this database was shown to someone once."""
    record = protection.record
    return bool(protection.encrypted and record is not None and not record.recovery_key_shown)


def audit_new_key(ctx: AppContext) -> None:
    """Record, once, that this database got its key and where it is kept (never the key)."""
    protection: Protection = ctx.protection
    if not protection.created or protection.record is None:
        return
    from ccm_timer.services.security import audit  # the ORM: not on the command line's fast path

    record = protection.record
    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor="system", action="key.create", entity="database",
                     entity_id=record.database_id,
                     after={"kept_in": record.kept_in, "backend": record.backend or None})


def pending_recovery_key(ctx: AppContext) -> str | None:
    """The recovery key to show once (tray dialog, or the CLI on a terminal), until
    `recovery_key_was_shown` is called; None when it was shown or there is no key."""
    return ctx.protection.recovery_key() if recovery_key_pending(ctx.protection) else None


def recovery_key_was_shown(ctx: AppContext) -> None:
    mark_recovery_key_shown(ctx.paths)
    if ctx.protection.record is not None:
        ctx.protection = replace(
            ctx.protection, record=replace(ctx.protection.record, recovery_key_shown=True))
