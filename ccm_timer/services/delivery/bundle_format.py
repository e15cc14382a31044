"""Bundles: one export and the records behind it, in a folder that can travel on a USB stick.

    ccm-bundle-<export id>/
        sealed.bin      the export and records.json (every entry version behind it, and
                        what they point at), encrypted for the clinic key
        manifest.json   who sent it, for which clinic key, the entry ids and versions, the
                        SHA-256 and size of sealed.bin, signed by the sending workstation

A stick can be lost or handed to someone else, so nothing on it is readable without the
clinic's key, and nothing on it can be changed without breaking the sender's signature
(services/security/bundle_crypto.py); which senders are trusted is the receiver's
(bundle_import.py). Names carry export ids only, never a patient identifier.

A bundle appears under its final name only when complete: it is written as a hidden
`.ccm-bundle-<id>.partial` folder, every file flushed to disk, then the folder is renamed
and its parent flushed (reliability R5.5).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ccm_timer import fsio
from ccm_timer.exports.filenames import EXTENSIONS
from ccm_timer.services.security import bundle_crypto as crypto
from ccm_timer.store import merge as records

FORMAT = "ccm-timer-bundle/2"
OLD_FORMATS = ("ccm-timer-bundle/1",)  # plaintext, unsigned: refused
CONTENT = "ccm-timer-bundle-content/1"
MANIFEST = "manifest.json"
SEALED = "sealed.bin"
RECORDS = "records.json"
PREFIX = "ccm-bundle-"
MAX_MANIFEST = 16 * 1024 * 1024  # a month of entry ids and versions fits many times over
MAX_SEALED = 512 * 1024 * 1024


class BundleError(ValueError):
    """The bundle cannot be used; the message says why."""


@dataclass(frozen=True)
class Opened:
    """A bundle verified and decrypted: its manifest, the export and the records."""

    manifest: dict[str, Any]
    export_name: str
    export: bytes
    rows: records.Rows


def name_for(export_id: Any) -> str:
    return f"{PREFIX}{export_id}"


def build(*, export_id: str, export_format: str, content: bytes, records_json: bytes,
          workstation: str, month: str, created_at: str,
          sealing: crypto.Sealing) -> dict[str, bytes]:
    """The bundle's files, manifest last: sealed for the clinic and signed."""
    _, rows = records.from_json(records_json)
    export_name = f"export-{export_id}.{EXTENSIONS.get(export_format, 'bin')}"
    inner = crypto.canonical({
        "format": CONTENT, "export_id": export_id,
        "files": {export_name: base64.b64encode(content).decode("ascii"),
                  RECORDS: base64.b64encode(records_json).decode("ascii")},
    })
    header = {
        "format": FORMAT,
        "bundle": name_for(export_id),
        "export_id": export_id,
        "export_format": export_format,
        "workstation": workstation,
        "month": month,
        "created_at": created_at,
        "entries": records.entry_versions(rows),
    }
    manifest, sealed = crypto.seal(header, inner, sealing, SEALED)
    return {SEALED: sealed, MANIFEST: json.dumps(manifest, sort_keys=True, indent=1).encode()}


def write(folder: Path, name: str, files: dict[str, bytes],
          step: Callable[[str], None] = lambda _: None) -> str:
    """Write the bundle atomically; returns "written", or "present" when an identical bundle
    is already there (a retry after a crash that followed the rename)."""
    final = folder / name
    if final.exists():
        # A retry after a crash that followed the rename: the same export (an export never
        # changes) from the same sender for the same clinic key is the same bundle, though
        # sealing it again would give other bytes (a new ephemeral key and nonce).
        there, wanted = verify(final), json.loads(files[MANIFEST])
        if any(there.get(k) != wanted.get(k) for k in ("bundle", "export_id", "sender",
                                                        "recipient", "entries")):
            raise BundleError(f"a different bundle named {name} is already in the folder")
        return "present"
    partial = folder / f".{name}.partial"  # hidden and suffixed: consumers skip it
    if partial.exists():
        shutil.rmtree(partial)  # left by a crash before the rename: start over
    partial.mkdir(mode=0o700)
    os.chmod(partial, 0o700)  # patient data: the owner alone, whatever the umask
    for file_name, data in files.items():  # manifest last (dicts keep insertion order)
        fd = os.open(partial / file_name,
                     os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    fsio.sync_folder(partial)
    step("written")
    os.replace(partial, final)
    step("renamed")
    fsio.sync_folder(folder)
    return "written"


def _read(path: Path, limit: int) -> bytes:
    """A plain file's bytes, at most `limit` (a symlink to /dev/zero is not a bundle file)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        raise BundleError(f"{path.name} is not a plain file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BundleError(f"{path.name} is not a plain file")
        if info.st_size > limit:
            raise BundleError(f"{path.name} is larger than a bundle file may be")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise BundleError(f"{path.name} is larger than a bundle file may be")
    return data


def _checked(path: Path) -> tuple[dict[str, Any], bytes]:
    """(manifest, sealed bytes) of a complete bundle signed by the key it names."""
    path = Path(path)
    if path.is_file() and path.name == MANIFEST:
        path = path.parent
    if not path.is_dir() or not (path / MANIFEST).exists():
        raise BundleError(f"{path} is not a CCM Timer bundle (no {MANIFEST})")
    try:
        manifest = json.loads(_read(path / MANIFEST, MAX_MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError("its manifest is not valid JSON") from None
    if not isinstance(manifest, dict):
        raise BundleError("its manifest is not a CCM Timer bundle manifest")
    if manifest.get("format") in OLD_FORMATS:
        raise BundleError("it is an unsigned bundle of an older version of CCM Timer; "
                          "send it again from an updated workstation")
    if manifest.get("format") != FORMAT:
        raise BundleError("its manifest is not a CCM Timer bundle manifest")
    listed = manifest.get("files")
    if not isinstance(listed, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in listed
    ):
        raise BundleError("its manifest has no list of files")
    names = {f["name"] for f in listed}
    if names != {SEALED}:
        unsafe = sorted(names - {SEALED})
        raise BundleError(f"its manifest lists {unsafe[0]!r}, which a bundle does not hold"
                          if unsafe else f"its manifest does not list {SEALED}")
    present = {p.name for p in path.iterdir()} - {MANIFEST}
    if present - names:
        raise BundleError(f"{sorted(present - names)[0]} is in the bundle but not in its "
                          "manifest")
    if names - present:
        raise BundleError(f"{sorted(names - present)[0]} is missing from the bundle")
    try:
        crypto.check_signature(manifest)
    except crypto.CryptoError as exc:
        raise BundleError(str(exc)) from None
    sealed = _read(path / SEALED, MAX_SEALED)
    [entry] = listed
    if hashlib.sha256(sealed).hexdigest() != entry.get("sha256") or len(sealed) != entry.get(
            "size"):
        raise BundleError(f"{SEALED} does not match its SHA-256 in the manifest")
    return manifest, sealed


def verify(path: Path) -> dict[str, Any]:
    """The manifest of a complete, unchanged bundle signed by the key it names (whether
    that key is trusted is the receiver's question), or BundleError naming the problem."""
    return _checked(path)[0]


def open_bundle(path: Path, key: X25519PrivateKey | Callable[[dict[str, Any]],
                X25519PrivateKey]) -> Opened:
    """Verify and decrypt. `key` is the clinic's private key, or a function that gets the
    verified manifest (to refuse an untrusted sender before anything is decrypted) and
    returns it. BundleError names the problem."""
    manifest, sealed = _checked(path)
    private = key(manifest) if callable(key) else key
    try:
        inner = json.loads(crypto.unseal(manifest, sealed, private).decode("utf-8"))
    except crypto.CryptoError as exc:
        raise BundleError(str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError("its sealed content is not valid JSON") from None
    files = inner.get("files") if isinstance(inner, dict) else None
    if (not isinstance(files, dict) or inner.get("format") != CONTENT
            or inner.get("export_id") != manifest.get("export_id")):
        raise BundleError("its sealed content is not a CCM Timer bundle")
    exports = [n for n in files if isinstance(n, str) and n.startswith("export-")]
    if RECORDS not in files or len(exports) != 1 or len(files) != 2:
        raise BundleError(f"its sealed content does not hold one export and {RECORDS}")
    try:
        export = base64.b64decode(files[exports[0]], validate=True)
        _, rows = records.from_json(base64.b64decode(files[RECORDS], validate=True))
    except (ValueError, TypeError) as exc:
        raise BundleError(str(exc) or "its sealed content is damaged") from None
    if records.entry_versions(rows) != manifest.get("entries"):
        raise BundleError("the entries in records.json differ from those in the manifest")
    return Opened(manifest, exports[0], export, rows)
