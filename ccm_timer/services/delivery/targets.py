"""Delivery targets: where exports go. Configured in the settings file under `[targets.NAME]`
(kind and URL only); a token or password lives only in the OS keyring, never in a file.

    [targets.billing]
    kind = "https"
    url = "https://billing.example.org/ccm/exports"
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ccm_timer.errors import NotFound, UserError
from ccm_timer.services import settings as settings_file
from ccm_timer.services.security import secret_store
from ccm_timer.services.security.secret_store import SecretStoreError
from ccm_timer.services.settings import Target, TargetKind

if TYPE_CHECKING:  # the command line's parser imports this module: no ORM at start-up
    from ccm_timer.services.context import AppContext
    from ccm_timer.services.people.access import Signer

KINDS = tuple(TargetKind)
KEYRING_SERVICE = "ccm-timer-target"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _current(ctx: AppContext) -> tuple[Target, ...]:
    """The targets as the settings file has them now (sorted by name): read afresh, so a
    long-running worker sees a target the command line added a moment ago."""
    path = ctx.paths.settings_file
    return (settings_file.load(path) if path.exists() else ctx.settings).targets


def list_targets(ctx: AppContext) -> list[Target]:
    return list(_current(ctx))


def get(ctx: AppContext, name: str) -> Target:
    known = {t.name: t for t in _current(ctx)}
    if name not in known:
        raise NotFound(
            f"There is no delivery target {name!r} (known: {', '.join(known) or 'none yet'}); "
            "add one with `ccm-timer target add`."
        )
    return known[name]


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def validate(kind: str, url: str) -> str:
    """The URL or path, normalised, or UserError saying what is wrong with it."""
    if kind not in KINDS:
        raise UserError(f"The kind {kind!r} is unknown; use one of {', '.join(KINDS)}.")
    url = url.strip()
    if not url:
        raise UserError("Give the target's --url (a folder path for a folder target).")
    if kind == TargetKind.FOLDER:
        path = Path(url).expanduser()
        if not path.is_absolute():
            raise UserError(f"The folder {url!r} is not an absolute path; give the full path.")
        return str(path)
    parts = urlsplit(url)
    if kind == TargetKind.HUB:
        if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
            raise UserError(
                "A hub URL looks like postgresql://USER@HOST:5432/DATABASE; check --url."
            )
        if parts.password:
            raise UserError(
                "Leave the password out of the hub URL: it is asked for and kept in the "
                "keyring."
            )
        from ccm_timer.services.delivery.hub import secure_url  # hub imports this module

        secure_url(url)  # refused now, not at the first push
        return url
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UserError(f"{url!r} is not an https:// URL; check --url.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        # Exports carry PHI: plain HTTP is allowed only to this machine (tests, a local relay).
        raise UserError("Exports go only over https:// (plain http only to 127.0.0.1).")
    if parts.username or parts.password:
        raise UserError("Leave credentials out of the URL: the token is kept in the keyring.")
    return url


def allowed(ctx: AppContext, by: Signer | None) -> str:
    """The name a target change is audited under, or Refused: targets are an
    administrator's once the clinic has one (open while it is being set up). Called first,
    so nobody is asked for a token, nor waiting exports dropped, for a change refused."""
    from ccm_timer.core.access import Action
    from ccm_timer.services.people import access

    return access.require_admin(ctx, by, Action.SETTINGS)


def add(ctx: AppContext, name: str, *, kind: str, url: str, secret: str | None = None,
        by: Signer | None = None) -> Target:
    """Add or replace a target; its secret (token or password) goes to the keyring first, so
    a keyring failure leaves the settings untouched. Audited under `by` (see `allowed`)."""
    actor = allowed(ctx, by)
    if not _NAME.fullmatch(name or ""):
        raise UserError(
            f"The target name {name!r} must be letters, digits, '.', '_' or '-' (at most 64)."
        )
    url = validate(kind, url)
    if secret is not None:
        set_secret(name, secret)
    target = Target(name, TargetKind(kind), url)
    before = next((t for t in _current(ctx) if t.name == name), None)
    _changed(ctx, actor, "target.add", name, before, target, secret is not None,
             targets=(*(t for t in _current(ctx) if t.name != name), target))
    return target


def remove(ctx: AppContext, name: str, *, by: Signer | None = None) -> Target:
    actor = allowed(ctx, by)
    target = get(ctx, name)
    _changed(ctx, actor, "target.remove", name, target, None, False,
             targets=tuple(t for t in _current(ctx) if t.name != name))
    delete_secret(name)
    return target


def _changed(ctx: AppContext, actor: str, action: str, name: str, before: Target | None,
             after: Target | None, secret: bool, *, targets: tuple[Target, ...]) -> None:
    """The audit event and the settings file together: the file is written inside the
    event's transaction, so a refused file leaves no event and a busy database no change.
    Kind and address only: a token never leaves the keyring."""
    from ccm_timer.services.security import audit

    with ctx.write() as session:
        audit.append(session, ctx=ctx, actor=actor, action=action, entity="target",
                     entity_id=name, before=before.to_dict() if before else None,
                     after={**after.to_dict(), "secret_in_keyring": secret} if after else None)
        ctx.update_settings(targets=targets)


def set_secret(name: str, secret: str) -> None:
    """Into the keyring, read back; refused as the database key's keyring would be."""
    try:
        secret_store.token_store().put(KEYRING_SERVICE, name, secret)
    except SecretStoreError as exc:
        raise UserError(
            f"The token was not stored, and it is never written to a file: {exc.why}. "
            "Nothing was changed; unlock or install a system keyring and try again."
        ) from None


def get_secret(name: str) -> str | None:
    try:
        return secret_store.token_store().get(KEYRING_SERVICE, name)
    except SecretStoreError:  # refused, locked or broken: deliver without it
        return None  # and let the server say 401, which keeps the export queued


def delete_secret(name: str) -> None:
    try:
        secret_store.token_store().delete(KEYRING_SERVICE, name)
    except SecretStoreError:
        pass  # a refused keyring never received it
