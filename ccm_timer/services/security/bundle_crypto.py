"""Signing and sealing bundles, with `cryptography`'s constructions only (nothing hand-made).

- Signature: Ed25519 over the canonical JSON of the manifest (all of it but the signature),
  by the sending workstation's key. The manifest names the SHA-256 of the sealed file, so the
  signature covers every byte of the bundle.
- Sealing for the clinic (an ECIES "sealed box"): a new X25519 key pair per bundle; the
  shared secret with the clinic's X25519 public key goes through HKDF-SHA256 (salt: both
  public keys) to a 256-bit key for AES-GCM with a random 96-bit nonce, as the
  `cryptography` documentation composes them. The associated data is the manifest's header
  (sender, recipient, export, month, entries, the ephemeral key and nonce), so a sealed file
  cannot be moved under another manifest or another sender's signature.

Public keys are written for people as "ccm-ed25519:BASE64" and "ccm-x25519:BASE64"; a
fingerprint (16 base32 letters of their SHA-256, in groups of four) is what two people read
to each other to check a key on the phone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SCHEME = "X25519-HKDF-SHA256-AES256GCM"
SIGNING = "ccm-ed25519"
SEALING = "ccm-x25519"
_INFO = b"ccm-timer bundle seal v2"
_NOT_SIGNED = ("signature",)
_NOT_BOUND = ("signature", "files")  # the sealed file's hash comes after the sealing


class CryptoError(ValueError):
    """The bundle fails a cryptographic check; the message is a clause saying which."""


@dataclass(frozen=True)
class Sealing:
    """What a sender needs: its signing key, and the clinic key to seal for."""

    signer: Ed25519PrivateKey
    recipient: X25519PublicKey


# --- keys as text -------------------------------------------------------------------------


def public_text(key: Ed25519PublicKey | X25519PublicKey) -> str:
    prefix = SIGNING if isinstance(key, Ed25519PublicKey) else SEALING
    return f"{prefix}:{base64.b64encode(key.public_bytes_raw()).decode('ascii')}"


def fingerprint(public: str) -> str:
    digest = hashlib.sha256(public.encode("ascii")).digest()[:10]
    letters = base64.b32encode(digest).decode("ascii")
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def _raw(text: str, prefix: str) -> bytes:
    kind, _, body = "".join(text.split()).partition(":")
    if kind != prefix:
        raise ValueError(text)
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(text) from None
    if len(raw) != 32:
        raise ValueError(text)
    return raw


def signing_public(text: str) -> Ed25519PublicKey:
    """ValueError unless `text` is a workstation (Ed25519) public key."""
    return Ed25519PublicKey.from_public_bytes(_raw(text, SIGNING))


def sealing_public(text: str) -> X25519PublicKey:
    """ValueError unless `text` is a clinic (X25519) public key."""
    return X25519PublicKey.from_public_bytes(_raw(text, SEALING))


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


# --- sealing and signing ------------------------------------------------------------------


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=_INFO).derive(shared)


def seal(header: dict[str, Any], plaintext: bytes, sealing: Sealing,
         sealed_name: str) -> tuple[dict[str, Any], bytes]:
    """(the signed manifest, the sealed file) for `plaintext`."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes_raw()
    recipient_raw = sealing.recipient.public_bytes_raw()
    nonce = os.urandom(12)
    manifest = {
        **header,
        "sender": public_text(sealing.signer.public_key()),
        "recipient": fingerprint(public_text(sealing.recipient)),
        "seal": {"scheme": SCHEME, "ephemeral": base64.b64encode(ephemeral_raw).decode(),
                 "nonce": base64.b64encode(nonce).decode()},
    }
    key = _key(ephemeral.exchange(sealing.recipient), ephemeral_raw, recipient_raw)
    sealed = AESGCM(key).encrypt(nonce, plaintext, canonical(manifest))
    manifest["files"] = [{"name": sealed_name, "sha256": hashlib.sha256(sealed).hexdigest(),
                          "size": len(sealed)}]
    body = {k: v for k, v in manifest.items() if k not in _NOT_SIGNED}
    manifest["signature"] = base64.b64encode(sealing.signer.sign(canonical(body))).decode()
    return manifest, sealed


def check_signature(manifest: dict[str, Any]) -> None:
    """CryptoError unless the manifest is signed by the key it names as its sender (whether
    that sender is trusted is the receiver's question)."""
    signature = manifest.get("signature")
    if not isinstance(signature, str) or not signature:
        raise CryptoError("it is not signed")
    try:
        sender = signing_public(str(manifest.get("sender", "")))
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raise CryptoError("its sender key or signature is malformed") from None
    body = {k: v for k, v in manifest.items() if k not in _NOT_SIGNED}
    try:
        sender.verify(raw, canonical(body))
    except InvalidSignature:
        raise CryptoError("its signature does not match its content (it was changed after "
                          "it was signed)") from None


def unseal(manifest: dict[str, Any], sealed: bytes, key: X25519PrivateKey) -> bytes:
    """The plaintext, or CryptoError (another clinic's key, or a changed file)."""
    if manifest.get("recipient") != fingerprint(public_text(key.public_key())):
        raise CryptoError("it is encrypted for another clinic key")
    seal_info = manifest.get("seal")
    if not isinstance(seal_info, dict) or seal_info.get("scheme") != SCHEME:
        raise CryptoError("it is sealed with a scheme this version does not know")
    try:
        ephemeral_raw = base64.b64decode(str(seal_info.get("ephemeral")), validate=True)
        nonce = base64.b64decode(str(seal_info.get("nonce")), validate=True)
        ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
    except (ValueError, binascii.Error):
        raise CryptoError("its sealing header is malformed") from None
    if len(nonce) != 12:
        raise CryptoError("its sealing header is malformed")
    aead = AESGCM(_key(key.exchange(ephemeral), ephemeral_raw,
                       key.public_key().public_bytes_raw()))
    bound = {k: v for k, v in manifest.items() if k not in _NOT_BOUND}
    try:
        return aead.decrypt(nonce, sealed, canonical(bound))
    except InvalidTag:
        raise CryptoError("it cannot be decrypted with the clinic key (it was changed or "
                          "damaged)") from None


# --- private keys wrapped under the database key (passphrase mode) -------------------------


def wrap(secret: bytes, database_key: bytes, label: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key(database_key)).encrypt(nonce, secret, label.encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def unwrap(text: str, database_key: bytes, label: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
        return AESGCM(_wrapping_key(database_key)).decrypt(raw[:12], raw[12:], label.encode())
    except (ValueError, binascii.Error, InvalidTag):
        raise CryptoError("the wrapped key cannot be opened with this database's key") from None


def _wrapping_key(database_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"ccm-timer bundle key wrap v1").derive(database_key)
