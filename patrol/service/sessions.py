"""Dashboard sessions: the ``/ui`` cookie holds a random server-side session id, never the API token.

Logging in with a token (:func:`open_session`) stores the SHA-256 of a fresh random id with the
token's name; the cookie carries the id. A session ends at logout (:func:`close_session`), after
:data:`SESSION_LIFETIME`, at its token's expiry, or when the token is revoked or removed —
whichever comes first. Looking a session up (:func:`session_token`) only reads the store::

    web_sessions: {"id_hash": "<sha256 hex>", "token_name": "noc-screen",
                   "created_at": "...", "expires_at": "...", "revoked_at": null}
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import insert, select, update

from patrol.models import utcnow
from patrol.service.tokens import TokenInfo, digest, find_token, token_status
from patrol.store import Store
from patrol.store.schema_sessions import web_sessions

__all__ = ["COOKIE", "SESSION_LIFETIME", "close_session", "open_session", "session_token"]

SESSION_LIFETIME = timedelta(hours=12)
#: the dashboard's cookie: the session id
COOKIE = "patrol_session"


def open_session(store: Store, who: TokenInfo) -> str:
    """A new session of token ``who``; returns its id (for the cookie, the only time it exists in clear)."""
    session, now = secrets.token_urlsafe(32), utcnow()
    expires = min(now + SESSION_LIFETIME, who.expires_at or now + SESSION_LIFETIME)
    with store.write() as conn:
        conn.execute(insert(web_sessions).values(id_hash=digest(session), token_name=who.name, created_at=now,
                                                 expires_at=expires))  # fmt: skip
    return session


def session_token(store: Store, session: str) -> TokenInfo | None:
    """The token behind a live session, or None (unknown, ended, expired, or its token no longer valid)."""
    c = web_sessions.c
    with store.read() as conn:
        row = conn.execute(select(c.token_name, c.expires_at, c.revoked_at).where(c.id_hash == digest(session))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    token = find_token(store, row.token_name)
    return token if token is not None and token_status(token) == "valid" else None


def close_session(store: Store, session: str) -> None:
    """End a session (logout); an unknown id changes nothing."""
    c = web_sessions.c
    with store.write() as conn:
        conn.execute(update(web_sessions).where(c.id_hash == digest(session), c.revoked_at.is_(None))
                     .values(revoked_at=utcnow()))  # fmt: skip
