"""Bundles: one export and the records behind it, in a folder that can travel on a USB stick.

    ccm-bundle-<export id>/
        export-<export id>.<ext>   the rendered export, byte for byte as recorded
        records.json               every entry version (and what it points at) behind it
        manifest.json              entry ids and versions, SHA-256 and size of every file

A bundle appears under its final name only when complete: it is written as a hidden
`.ccm-bundle-<id>.partial` folder, every file flushed to disk, then the folder is renamed
and its parent flushed (reliability R5.5). Names carry export ids only, never a patient
identifier. The manifest catches a changed, missing or extra file; it is not a signature
(someone who rewrites a file and its hash in the manifest is not detected).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccm_timer import fsio
from ccm_timer.exports.filenames import EXTENSIONS
from ccm_timer.store import merge as records

FORMAT = "ccm-timer-bundle/1"
MANIFEST = "manifest.json"
RECORDS = "records.json"
PREFIX = "ccm-bundle-"


class BundleError(ValueError):
    """The bundle cannot be used; the message says why."""


def name_for(export_id: Any) -> str:
    return f"{PREFIX}{export_id}"


def build(*, export_id: str, export_format: str, content: bytes, records_json: bytes,
          workstation: str, month: str, created_at: str) -> dict[str, bytes]:
    """The bundle's files, manifest last; the same export always gives the same bytes."""
    _, rows = records.from_json(records_json)
    files = {
        f"export-{export_id}.{EXTENSIONS.get(export_format, 'bin')}": content,
        RECORDS: records_json,
    }
    manifest = {
        "format": FORMAT,
        "bundle": name_for(export_id),
        "export_id": export_id,
        "export_format": export_format,
        "workstation": workstation,
        "month": month,
        "created_at": created_at,
        "entries": records.entry_versions(rows),
        "files": [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                  for n, d in sorted(files.items())],
    }
    files[MANIFEST] = json.dumps(manifest, sort_keys=True, indent=1).encode()
    return files


def write(folder: Path, name: str, files: dict[str, bytes],
          step: Callable[[str], None] = lambda _: None) -> str:
    """Write the bundle atomically; returns "written", or "present" when an identical bundle
    is already there (a retry after a crash that followed the rename)."""
    final = folder / name
    if final.exists():
        manifest, _ = verify(final)
        if manifest.get("bundle") != name or manifest.get("files") != json.loads(
            files[MANIFEST]
        ).get("files"):
            raise BundleError(f"a different bundle named {name} is already in the folder")
        return "present"
    partial = folder / f".{name}.partial"  # hidden and suffixed: consumers skip it
    if partial.exists():
        shutil.rmtree(partial)  # left by a crash before the rename: start over
    partial.mkdir()
    for file_name, data in files.items():  # manifest last (dicts keep insertion order)
        with open(partial / file_name, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    fsio.sync_folder(partial)
    step("written")
    os.replace(partial, final)
    step("renamed")
    fsio.sync_folder(folder)
    return "written"


def _sha(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def verify(path: Path) -> tuple[dict[str, Any], records.Rows]:
    """(manifest, rows) of a complete, unchanged bundle, or BundleError naming the problem."""
    path = Path(path)
    if path.is_file() and path.name == MANIFEST:
        path = path.parent
    manifest_path = path / MANIFEST
    if not path.is_dir() or not manifest_path.is_file():
        raise BundleError(f"{path} is not a CCM Timer bundle (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError("its manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("its manifest is not a CCM Timer bundle manifest")
    listed = manifest.get("files")
    if not isinstance(listed, list) or not all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in listed
    ):
        raise BundleError("its manifest has no list of files")
    names = {f["name"] for f in listed}
    for name in names:
        if name in ("", MANIFEST) or "/" in name or "\\" in name or name.startswith("."):
            raise BundleError(f"its manifest lists an unsafe file name {name!r}")
    present = {p.name for p in path.iterdir()} - {MANIFEST}
    if present - names:
        raise BundleError(f"{sorted(present - names)[0]} is in the bundle but not in its "
                          "manifest")
    if names - present:
        raise BundleError(f"{sorted(names - present)[0]} is missing from the bundle")
    for entry in listed:
        digest, size = _sha(path / entry["name"])
        if digest != entry.get("sha256") or size != entry.get("size"):
            raise BundleError(f"{entry['name']} does not match its SHA-256 in the manifest")
    if RECORDS not in names:
        raise BundleError(f"the bundle has no {RECORDS}")
    try:
        _, rows = records.from_json((path / RECORDS).read_bytes())
    except ValueError as exc:
        raise BundleError(str(exc)) from None
    if records.entry_versions(rows) != manifest.get("entries"):
        raise BundleError("the entries in records.json differ from those in the manifest")
    return manifest, rows
