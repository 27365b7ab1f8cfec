"""API tokens: random, shown once, stored as a SHA-256 hash with a role, an optional expiry and a revocation.

Roles are ordered: ``viewer`` (read) < ``operator`` (ticket workflow, schedules, run-now) <
``approver`` (everything an operator may, plus approvals). A token row::

    {"name": "noc-screen", "role": "viewer", "created_at": "...", "last_used_at": "...",
     "expires_at": "2027-03-04T16:00:00+00:00", "revoked_at": null}

An expired or revoked token authenticates nothing (the API answers 401, its dashboard sessions
end). :func:`authenticate` only *reads* the store — it never takes the write lock, so a flood of
requests with bad tokens cannot hold up writers (and SQLite's WAL keeps readers off writers).
``last_used_at`` is recorded at most once a minute per token (:data:`LAST_USED_EVERY`), in a
background thread, and only for a token that authenticated.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row

from patrol.errors import NotFoundError
from patrol.models import utcnow
from patrol.service.errors import TokenError
from patrol.store import Store
from patrol.store.schema_service import api_tokens
from patrol.store.schema_sessions import web_sessions

__all__ = [
    "LAST_USED_EVERY",
    "ROLES",
    "TokenInfo",
    "add_token",
    "authenticate",
    "digest",
    "find_token",
    "list_tokens",
    "parse_lifetime",
    "remove_token",
    "revoke_token",
    "role_allows",
    "token_status",
]

log = logging.getLogger(__name__)

ROLES = ("viewer", "operator", "approver")
LAST_USED_EVERY = timedelta(minutes=1)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_LIFETIME = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$")


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


def role_allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def digest(secret: str) -> str:
    """The stored form of a token or session id (SHA-256 hex)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_lifetime(text: str) -> timedelta:
    """``"90d"`` -> 90 days (units m, h, d, w); TokenError naming --expires otherwise."""
    found = _LIFETIME.match(text)
    if not found or int(found[1]) == 0:
        raise TokenError(f"--expires {text!r}: expected a count and a unit, e.g. 90d, 12h, 30m or 2w", key="expires")
    return int(found[1]) * _UNITS[found[2]]


def add_token(store: Store, name: str, role: str, expires_in: timedelta | None = None) -> str:
    """Create a token; returns it in clear (the only time it exists in clear)."""
    if role not in ROLES:
        raise TokenError(f"token {name!r}: unknown role {role!r}: use one of {', '.join(ROLES)}", key="role")
    if not name.strip():
        raise TokenError("a token needs a NAME (who or what uses it)", key="name")
    token, now = "ptl_" + secrets.token_urlsafe(32), utcnow()
    expires = now + expires_in if expires_in is not None else None
    with store.write() as conn:
        if conn.execute(select(api_tokens.c.name).where(api_tokens.c.name == name)).first():
            raise TokenError(f"token {name!r} exists already: `patrol token remove {name}` first", key="name")
        conn.execute(insert(api_tokens).values(name=name, role=role, token_hash=digest(token), created_at=now,
                                               expires_at=expires))  # fmt: skip
    return token


def _info(r: Row[Any]) -> TokenInfo:
    return TokenInfo(r.name, r.role, r.created_at, r.last_used_at, r.expires_at, r.revoked_at)


def token_status(info: TokenInfo, now: datetime | None = None) -> str:
    """``valid``, ``expired`` or ``revoked``."""
    if info.revoked_at is not None:
        return "revoked"
    if info.expires_at is not None and info.expires_at <= (now or utcnow()):
        return "expired"
    return "valid"


def authenticate(store: Store, token: str) -> TokenInfo | None:
    """The token's name and role, or None for an unknown, expired or revoked token (a read, never a write)."""
    with store.read() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest(token))).first()
    if row is None:
        return None
    info = _info(row)
    if token_status(info) != "valid":
        return None
    _touch_later(store, info)
    return info


_touched: dict[tuple[int, str], datetime] = {}
_touched_lock = threading.Lock()


def _touch_later(store: Store, info: TokenInfo) -> None:
    """Record ``last_used_at`` at most every :data:`LAST_USED_EVERY`, off the request's path."""
    now, key = utcnow(), (id(store), info.name)
    with _touched_lock:
        if now - _touched.get(key, datetime.min.replace(tzinfo=now.tzinfo)) < LAST_USED_EVERY:
            return
        _touched[key] = now
    threading.Thread(target=_touch, args=(store, info.name, now), name="token-last-used", daemon=True).start()


def _touch(store: Store, name: str, now: datetime) -> None:
    try:
        with store.write() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.name == name).values(last_used_at=now))
    except Exception:  # a busy or closed store: the next use records it
        log.debug("last use of token %s not recorded", name, exc_info=True)


def find_token(store: Store, name: str) -> TokenInfo | None:
    """Token ``name`` whatever its status (a read), or None."""
    with store.read() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.name == name)).first()
    return _info(row) if row is not None else None


def list_tokens(store: Store) -> list[TokenInfo]:
    with store.read() as conn:
        rows = conn.execute(select(api_tokens).order_by(api_tokens.c.name)).all()
    return [_info(r) for r in rows]


def revoke_token(store: Store, name: str) -> TokenInfo:
    """Revoke token ``name`` (kept for the record, refused from now on) and end its dashboard sessions."""
    now = utcnow()
    with store.write() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.name == name)).first()
        if row is None:
            raise NotFoundError("token", name, "`patrol token list` shows the tokens")
        if row.revoked_at is None:
            conn.execute(update(api_tokens).where(api_tokens.c.name == name).values(revoked_at=now))
        conn.execute(update(web_sessions).where(web_sessions.c.token_name == name, web_sessions.c.revoked_at.is_(None))
                     .values(revoked_at=now))  # fmt: skip
        return _info(conn.execute(select(api_tokens).where(api_tokens.c.name == name)).one())


def remove_token(store: Store, name: str) -> None:
    with store.write() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_name == name))
        if not conn.execute(delete(api_tokens).where(api_tokens.c.name == name)).rowcount:
            raise NotFoundError("token", name, "`patrol token list` shows the tokens")
