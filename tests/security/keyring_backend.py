"""Keyring backends for tests, used through the real `keyring` API.

`FolderKeyring` keeps each entry in its own file under CCM_TEST_KEYRING_DIR, so every
`ccm-timer` subprocess of a test session finds the keys the session made (the suite names it
in CCM_TIMER_KEYRING_BACKEND; see tests/conftest.py). The others stand for the keyring
situations the app must refuse: locked, plaintext-grade, and forgetful.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

ENV_DIR = "CCM_TEST_KEYRING_DIR"


class FolderKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        if ENV_DIR not in os.environ:
            raise RuntimeError(f"{ENV_DIR} is not set")  # not viable outside the tests
        return 1

    def _file(self, service: str, username: str) -> Path:
        name = hashlib.sha256(f"{service}\0{username}".encode()).hexdigest()
        return Path(os.environ[ENV_DIR]) / name

    def get_password(self, service: str, username: str) -> str | None:
        path = self._file(service, username)
        return path.read_text(encoding="utf-8") if path.exists() else None

    def set_password(self, service: str, username: str, password: str) -> None:
        path = self._file(service, username)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(password, encoding="utf-8")
        tmp.replace(path)  # atomic: parallel subprocesses never read half an entry

    def delete_password(self, service: str, username: str) -> None:
        path = self._file(service, username)
        if not path.exists():
            raise PasswordDeleteError("not found")
        path.unlink()


class LockedKeyring(FolderKeyring):
    """A Secret Service whose collection stays locked: every read and write raises."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


class PlaintextGradeKeyring(FolderKeyring):
    """Ranks itself as keyrings.alt's plaintext file backend does (priority 0.5)."""

    priority = 0.5


class ForgetfulKeyring(FolderKeyring):
    """Accepts a secret and keeps nothing (a misconfigured backend)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None
