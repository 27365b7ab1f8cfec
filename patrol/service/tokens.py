"""API tokens: random, shown once, stored as a SHA-256 hash with a role.

Roles are ordered: ``viewer`` (read) < ``operator`` (ticket workflow, schedules, run-now) <
``approver`` (everything an operator may, plus approvals). A token row::

    {"name": "noc-screen", "role": "viewer", "created_at": "...", "last_used_at": "..."}
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from patrol.errors import NotFoundError
from patrol.models import utcnow
from patrol.service.errors import TokenError
from patrol.store import Store
from patrol.store.schema_service import api_tokens

__all__ = ["ROLES", "TokenInfo", "add_token", "authenticate", "list_tokens", "remove_token", "role_allows"]

ROLES = ("viewer", "operator", "approver")


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None


def role_allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(store: Store, name: str, role: str) -> str:
    """Create a token; returns it in clear (the only time it exists in clear)."""
    if role not in ROLES:
        raise TokenError(f"token {name!r}: unknown role {role!r}: use one of {', '.join(ROLES)}", key="role")
    if not name.strip():
        raise TokenError("a token needs a NAME (who or what uses it)", key="name")
    token = "ptl_" + secrets.token_urlsafe(32)
    with store.write() as conn:
        if conn.execute(select(api_tokens.c.name).where(api_tokens.c.name == name)).first():
            raise TokenError(f"token {name!r} exists already: `patrol token remove {name}` first", key="name")
        conn.execute(insert(api_tokens).values(name=name, role=role, token_hash=_hash(token), created_at=utcnow()))
    return token


def authenticate(store: Store, token: str) -> TokenInfo | None:
    """The token's name and role, or None for an unknown token."""
    c = api_tokens.c
    with store.write() as conn:
        row = conn.execute(select(api_tokens).where(c.token_hash == _hash(token))).first()
        if row is None:
            return None
        conn.execute(update(api_tokens).where(c.name == row.name).values(last_used_at=utcnow()))
    return TokenInfo(row.name, row.role, row.created_at, row.last_used_at)


def list_tokens(store: Store) -> list[TokenInfo]:
    with store.read() as conn:
        rows = conn.execute(select(api_tokens).order_by(api_tokens.c.name)).all()
    return [TokenInfo(r.name, r.role, r.created_at, r.last_used_at) for r in rows]


def remove_token(store: Store, name: str) -> None:
    with store.write() as conn:
        if not conn.execute(delete(api_tokens).where(api_tokens.c.name == name)).rowcount:
            raise NotFoundError("token", name, "`patrol token list` shows the tokens")
