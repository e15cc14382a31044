"""The OS keyring, thinly: keep one secret, and say plainly when it cannot be kept.

A backend that would not keep a secret safely is refused, never used quietly (reliability
R3.3): keyring's `fail` backend (no keyring at all, as on a headless Linux without a
Secret Service), its `null` backend (keyring switched off), the plaintext files of
`keyrings.alt`, and anything keyring itself ranks below 1. Vorta's fallback kept passwords
in clear in its own database (vorta#1361); we would rather say what to do. A locked keyring
is told apart from an absent entry (vorta#385 said "wrong passphrase" instead).

`CCM_TIMER_KEYRING_BACKEND=module.Class` names the backend that holds the database key when
it should not be keyring's own choice (an admin-approved backend, or the test suite's); the
same refusals apply to it. Delivery-target tokens live in keyring's own choice
(`token_store`), under the same refusals and the same read-back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

ENV_BACKEND = "CCM_TIMER_KEYRING_BACKEND"


class SecretStoreError(Exception):
    """The keyring cannot be used. `reason` is "no-backend", "locked" or "failed"; the message
    is a clause saying why, for the caller to put in a sentence."""

    def __init__(self, reason: str, why: str) -> None:
        super().__init__(why)
        self.reason = reason
        self.why = why


def backend_name(backend: Any) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def refusal(backend: Any) -> str | None:
    """Why this backend must not hold the database key, or None when it may."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return "no system keyring is available (no Secret Service, Keychain or Credential " \
               "Locker was found)"
    if isinstance(backend, null.Keyring):
        return "the keyring is switched off (the null backend)"
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            return "no system keyring is available"
        reasons = [refusal(b) for b in chained]
        return next((r for r in reasons if r), None)
    if type(backend).__module__.startswith("keyrings.alt"):
        return f"{backend_name(backend)} keeps secrets in a plain file"
    try:
        priority = float(backend.priority)
    except Exception:  # a backend that cannot even rank itself is not viable
        return f"{backend_name(backend)} is not usable here"
    if priority < 1:
        return f"{backend_name(backend)} is not a recommended, secure keyring"
    return None


@dataclass(frozen=True)
class SecretStore:
    backend: Any
    what: str = "key"  # what it keeps, for the messages: "key" or "token"

    @property
    def name(self) -> str:
        return backend_name(self.backend)

    @property
    def label(self) -> str:
        return f"the system keyring ({self.name})"

    def get(self, service: str, user: str) -> str | None:
        return self._call("read", self.backend.get_password, service, user)

    def put(self, service: str, user: str, secret: str) -> None:
        """Store, then read back: a backend that accepts and forgets must not pass."""
        self._call("store", self.backend.set_password, service, user, secret)
        if self.get(service, user) != secret:
            raise SecretStoreError("failed",
                                   f"{self.label} did not keep the {self.what} it was given")

    def delete(self, service: str, user: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call("delete", self.backend.delete_password, service, user)
        except SecretStoreError as exc:
            if not isinstance(exc.__cause__, PasswordDeleteError):
                raise

    def _call(self, verb: str, method: Any, *args: str) -> Any:
        from keyring import errors

        try:
            return method(*args)
        except errors.KeyringLocked as exc:
            raise SecretStoreError(
                "locked", f"{self.label} is locked (unlock it, for example by logging in to "
                "the desktop session)") from exc
        except errors.NoKeyringError as exc:
            raise SecretStoreError("no-backend", "no system keyring is available") from exc
        except (errors.KeyringError, OSError, RuntimeError) as exc:
            raise SecretStoreError(
                "failed", f"{self.label} could not {verb} the {self.what} "
                f"({type(exc).__name__})"
            ) from exc


def open_store() -> SecretStore:
    """The keyring that keeps the database key, or SecretStoreError saying why there is none."""
    import keyring
    from keyring.core import load_keyring

    named = os.environ.get(ENV_BACKEND, "").strip()
    try:
        backend = load_keyring(named) if named else keyring.get_keyring()
    except Exception as exc:  # an unimportable or non-viable backend named by the admin
        raise SecretStoreError(
            "no-backend", f"the keyring backend {named!r} named by {ENV_BACKEND} cannot be "
            f"loaded ({type(exc).__name__})") from exc
    return _accepted(backend)


def token_store() -> SecretStore:
    """keyring's own choice of backend, which keeps delivery-target tokens, refused on the
    same grounds as for the database key."""
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # PYTHON_KEYRING_BACKEND names something unloadable
        raise SecretStoreError("no-backend", "the keyring backend cannot be loaded "
                               f"({type(exc).__name__})") from exc
    return _accepted(backend, "token")


def _accepted(backend: Any, what: str = "key") -> SecretStore:
    why = refusal(backend)
    if why:
        raise SecretStoreError("no-backend", why)
    return SecretStore(backend, what)
