"""The keys behind bundles, and which senders this clinic trusts.

- Each workstation signs its bundles with its own Ed25519 key, made on first use. The clinic
  learns it from `ccm-timer workstation key` on that workstation and records it with
  `ccm-timer workstation trust NAME KEY`.
- The clinic's X25519 key is made once, on the workstation that imports bundles
  (`ccm-timer clinic key init`); every sender imports its public half (`clinic key
  import`) and seals bundles for it, so only that workstation can read them.

Public halves are rows of the (encrypted) database, every change audited. Trusting,
untrusting and the clinic key are an administrator's settings once the clinic has one
(access.require_admin; open while it is being set up); this workstation's own key is made
on first use by whoever needs it. A private half is
kept as the database key is (keys.py): in the OS keyring, or, when the database key comes
from a passphrase, wrapped under the database key in `ccm-timer.bundle-keys.json` (0600).
A database that is not encrypted has nowhere safe for one, and is refused.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlmodel import Session, col, select

from ccm_timer import fsio
from ccm_timer.core.access import Action
from ccm_timer.core.parse import check_text
from ccm_timer.errors import UserError
from ccm_timer.services.context import AppContext
from ccm_timer.services.people import access
from ccm_timer.services.people.access import Signer
from ccm_timer.services.security import audit, keys
from ccm_timer.services.security import bundle_crypto as crypto
from ccm_timer.store.models import BundleKey
from ccm_timer.store.types import new_id

WRAPPED_FILE = "ccm-timer.bundle-keys.json"
WORKSTATION, CLINIC, TRUSTED = "workstation", "clinic", "trusted"
_WHERE = "`ccm-timer clinic key init` printed on the clinic's receiving workstation"


class KeyMissing(UserError):
    """A key this workstation needs is not here; `why` is the clause, for a longer sentence."""

    def __init__(self, why: str, fix: str) -> None:
        super().__init__(f"{why[0].upper()}{why[1:]}; {fix}.")
        self.why = why


@dataclass(frozen=True)
class KeyInfo:
    kind: str  # "workstation" (this one), "trusted" or "clinic"
    name: str
    public: str
    fingerprint: str
    private_here: bool
    added_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "public": self.public,
                "fingerprint": self.fingerprint, "private_here": self.private_here,
                "added_at": self.added_at.isoformat()}


def _info(row: BundleKey, name: str | None = None) -> KeyInfo:
    return KeyInfo(row.kind, name or row.name, row.public_key, row.fingerprint,
                   bool(row.private_in), row.added_at)


def _current(session: Session, kind: str) -> list[BundleKey]:
    return list(session.exec(select(BundleKey).where(
        BundleKey.kind == kind, col(BundleKey.retired_at).is_(None)).order_by(
        col(BundleKey.added_at))))


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


# --- private halves -----------------------------------------------------------------------


def _keyring_user(row_id: uuid.UUID) -> str:
    return f"bundle-key-{row_id}"


def _wrapped(ctx: AppContext) -> dict[str, str]:
    path = ctx.paths.data / WRAPPED_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise UserError(f"{path} is damaged; restore it from a copy. Nothing was changed.") \
            from None
    return found if isinstance(found, dict) else {}


def _keep(ctx: AppContext, row_id: uuid.UUID, secret: bytes) -> str:
    """Keep a private half where the database key is kept; returns `private_in`."""
    protection = ctx.protection
    if protection.kept_in == "keyring":
        from ccm_timer.services.security.secret_store import SecretStoreError

        store = keys.store_or_explain("The bundle key cannot be kept: {why}. Nothing was "
                                      "changed; unlock the keyring and try again.")
        try:
            store.put(keys.SERVICE, _keyring_user(row_id), secret.hex())
        except SecretStoreError as exc:
            raise UserError(f"The bundle key could not be stored: {exc.why}. Nothing was "
                            "changed; fix the keyring and try again.") from None
        return "keyring"
    if protection.key is None:
        raise UserError("This database is not encrypted, so it has no safe place for a "
                        "bundle key; run `ccm-timer encrypt` first.")
    kept = _wrapped(ctx)
    kept[str(row_id)] = crypto.wrap(secret, protection.key, str(row_id))
    fsio.PendingFile(ctx.paths.data / WRAPPED_FILE, json.dumps(kept, indent=1).encode(),
                     mode=0o600).commit()
    return "wrapped"


def _private(ctx: AppContext, row: BundleKey) -> bytes:
    where = ctx.paths.data / WRAPPED_FILE
    if row.private_in == "keyring":
        from ccm_timer.services.security.secret_store import SecretStoreError

        store = keys.store_or_explain("The bundle key is kept in the system keyring, which "
                                      "cannot be used now: {why}. Unlock it and try again.")
        try:
            value = store.get(keys.SERVICE, _keyring_user(row.id))
        except SecretStoreError as exc:
            raise UserError(f"The bundle key cannot be read: {exc.why}.") from None
        if value is None:
            raise KeyMissing(f"the private half of the {row.kind} key {row.fingerprint} is "
                             f"missing from {store.label}", "it cannot be used here")
        return bytes.fromhex(value)
    if row.private_in == "wrapped" and ctx.protection.key is not None:
        text = _wrapped(ctx).get(str(row.id))
        if text is None:
            raise KeyMissing(f"the private half of the {row.kind} key {row.fingerprint} is "
                             f"missing from {where}", "restore that file from a copy")
        try:
            return crypto.unwrap(text, ctx.protection.key, str(row.id))
        except crypto.CryptoError as exc:
            raise UserError(f"The bundle key in {where} cannot be used: {exc}.") from None
    raise KeyMissing(f"the private half of the {row.kind} key {row.fingerprint} is not "
                     "on this workstation", "it cannot be used here")


def _make(ctx: AppContext, session: Session, kind: str, name: str,
          secret: bytes, public: str, actor: str) -> BundleKey:
    row_id = new_id()
    private_in = _keep(ctx, row_id, secret)
    row = BundleKey(id=row_id, kind=kind, name=name, public_key=public,
                    fingerprint=crypto.fingerprint(public), private_in=private_in,
                    added_at=ctx.now(), added_by=actor)
    session.add(row)
    session.flush()
    audit.append(session, ctx=ctx, actor=actor, action="bundle_key.create",
                 entity="bundle_key", entity_id=row.fingerprint,
                 after={"kind": kind, "name": name, "public": public, "kept": private_in})
    return row


# --- this workstation's signing key -------------------------------------------------------


def _own(ctx: AppContext) -> BundleKey:
    with ctx.read() as session:
        found = _current(session, WORKSTATION)
    if found:
        return found[-1]
    with ctx.write() as session:  # the lock: two first uses at once make one key
        found = _current(session, WORKSTATION)
        if found:
            return found[-1]
        key = Ed25519PrivateKey.generate()
        return _make(ctx, session, WORKSTATION, ctx.workstation, key.private_bytes_raw(),
                     crypto.public_text(key.public_key()), "system")


def workstation_key(ctx: AppContext) -> KeyInfo:
    """This workstation's public signing key (made on first use)."""
    return _info(_own(ctx), ctx.workstation)


def signing_key(ctx: AppContext) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_private(ctx, _own(ctx)))


def public_of(key: Ed25519PrivateKey) -> str:
    return crypto.public_text(key.public_key())


# --- trusted senders ----------------------------------------------------------------------


def trust(ctx: AppContext, name: str, public: str, *, by: Signer | None = None) -> KeyInfo:
    actor = access.require_admin(ctx, by, Action.SETTINGS)
    try:
        name = check_text(name, "workstation name", 100)
    except ValueError as exc:
        raise UserError(f"Cannot trust that workstation: {exc}.") from None
    try:
        crypto.signing_public(public)
    except ValueError:
        raise UserError(f"{_shown(public)} is not a workstation public key; copy the "
                        "ccm-ed25519:... line `ccm-timer workstation key` prints there.") \
            from None
    public = "".join(public.split())
    fingerprint = crypto.fingerprint(public)
    own = _own(ctx)
    with ctx.write() as session:
        rows = _current(session, TRUSTED)
        named = [r for r in rows if r.name == name]
        if named and named[0].public_key == public:
            return _info(named[0])
        if named:
            raise UserError(f"{name} is already trusted with another key (fingerprint "
                            f"{named[0].fingerprint}); run `ccm-timer workstation untrust "
                            f"{name}` first if its key was replaced.")
        same = [r for r in rows if r.public_key == public]
        if same or own.public_key == public:
            who = same[0].name if same else f"{ctx.workstation} (this workstation)"
            raise UserError(f"That key is already trusted as {who}.")
        row = BundleKey(kind=TRUSTED, name=name, public_key=public, fingerprint=fingerprint,
                        added_at=ctx.now(), added_by=actor)
        session.add(row)
        session.flush()
        audit.append(session, ctx=ctx, actor=actor, action="bundle_key.trust",
                     entity="bundle_key", entity_id=fingerprint,
                     after={"name": name, "public": public})
        return _info(row)


def untrust(ctx: AppContext, name: str, *, by: Signer | None = None) -> KeyInfo:
    actor = access.require_admin(ctx, by, Action.SETTINGS)
    with ctx.write() as session:
        named = [r for r in _current(session, TRUSTED) if r.name == name.strip()]
        if not named:
            raise UserError(f"No workstation named {_shown(name)} is trusted; see "
                            "`ccm-timer workstation list`.")
        row = named[0]
        row.retired_at = ctx.now()
        session.add(row)
        audit.append(session, ctx=ctx, actor=actor, action="bundle_key.untrust",
                     entity="bundle_key", entity_id=row.fingerprint, after={"name": row.name})
        return _info(row)


def trusted_sender(ctx: AppContext, public: str) -> str | None:
    """The name this clinic knows the key `public` by, or None when it is not trusted."""
    with ctx.read() as session:
        rows = _current(session, WORKSTATION) + _current(session, TRUSTED)
    for row in rows:
        if row.public_key == public:
            return ctx.workstation if row.kind == WORKSTATION else row.name
    return None


def list_keys(ctx: AppContext) -> list[KeyInfo]:
    own = workstation_key(ctx)
    with ctx.read() as session:
        others = [_info(r) for r in _current(session, TRUSTED) + _current(session, CLINIC)]
    return [own, *others]


# --- the clinic key -----------------------------------------------------------------------


def clinic_key(ctx: AppContext) -> KeyInfo | None:
    with ctx.read() as session:
        found = _current(session, CLINIC)
    return _info(found[-1]) if found else None


def init_clinic_key(ctx: AppContext, *, by: Signer | None = None) -> KeyInfo:
    """Make the clinic's key pair here, on the workstation that will import bundles."""
    actor = access.require_admin(ctx, by, Action.SETTINGS)
    with ctx.write() as session:
        found = _current(session, CLINIC)
        if found:
            raise UserError(f"This workstation already has a clinic key (fingerprint "
                            f"{found[-1].fingerprint}); `ccm-timer clinic key show` prints it.")
        key = X25519PrivateKey.generate()
        return _info(_make(ctx, session, CLINIC, "clinic", key.private_bytes_raw(),
                           crypto.public_text(key.public_key()), actor))


def import_clinic_key(ctx: AppContext, public: str, *, replace: bool = False,
                      by: Signer | None = None) -> KeyInfo:
    """Record the clinic's public key on a sender, which then seals its bundles for it."""
    actor = access.require_admin(ctx, by, Action.SETTINGS)
    try:
        crypto.sealing_public(public)
    except ValueError:
        raise UserError(f"{_shown(public)} is not a clinic public key; copy the "
                        f"ccm-x25519:... line {_WHERE}.") from None
    public = "".join(public.split())
    with ctx.write() as session:
        found = _current(session, CLINIC)
        if found and found[-1].public_key == public:
            return _info(found[-1])
        if found and not replace:
            raise UserError(f"This workstation already has another clinic key (fingerprint "
                            f"{found[-1].fingerprint}); pass --replace to seal bundles for "
                            "the new one instead.")
        for old in found:
            old.retired_at = ctx.now()  # kept: bundles sealed for it can still be opened
            session.add(old)
        row = BundleKey(kind=CLINIC, name="clinic", public_key=public,
                        fingerprint=crypto.fingerprint(public), added_at=ctx.now(),
                        added_by=actor)
        session.add(row)
        session.flush()
        audit.append(session, ctx=ctx, actor=actor, action="bundle_key.import",
                     entity="bundle_key", entity_id=row.fingerprint,
                     after={"public": public, "replaced": [o.fingerprint for o in found]})
        return _info(row)


def sealing_keys(ctx: AppContext) -> crypto.Sealing:
    """What this workstation signs and seals a bundle with."""
    with ctx.read() as session:
        found = _current(session, CLINIC)
    if not found:
        raise KeyMissing("this workstation has no clinic key to encrypt bundles for",
                         f"run `ccm-timer clinic key import KEY` with the key {_WHERE}")
    return crypto.Sealing(signing_key(ctx), crypto.sealing_public(found[-1].public_key))


def opening_key(ctx: AppContext, fingerprint: str | None = None) -> X25519PrivateKey:
    """The clinic's private key (the one a bundle names, when given, retired ones too)."""
    with ctx.read() as session:
        rows = list(session.exec(select(BundleKey).where(BundleKey.kind == CLINIC)
                                 .order_by(col(BundleKey.added_at))))
    held = [r for r in rows if r.private_in
            and (r.fingerprint == fingerprint if fingerprint else r.retired_at is None)]
    if not held:
        if not rows:
            raise KeyMissing("this workstation has no clinic key, so it cannot open "
                             "bundles", "import bundles on the workstation where "
                             "`ccm-timer clinic key init` was run")
        if fingerprint and not any(r.fingerprint == fingerprint for r in rows):
            raise KeyMissing("it is encrypted for another clinic key", "import it on the "
                             "workstation that holds that clinic's key")
        raise KeyMissing("this workstation holds only the clinic's public key and cannot "
                         "open bundles", "import them on the workstation where "
                         "`ccm-timer clinic key init` was run")
    return X25519PrivateKey.from_private_bytes(_private(ctx, held[-1]))
