"""Token expiry and revocation, and dashboard sessions (migration step 8 in :mod:`patrol.store.migrations`).

::

    api_tokens   + expires_at (NULL: never), revoked_at (NULL: valid) — columns declared in
                 :mod:`patrol.store.schema_service`, added here to databases made before them
    web_sessions (id_hash PK: sha256 hex of the cookie's random id, never the id), token_name ->
                 api_tokens.name (ON DELETE CASCADE), created_at, expires_at, revoked_at
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, inspect
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata
from patrol.store.schema_service import api_tokens

__all__ = ["TABLES", "create", "web_sessions"]

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("token_name", String(100), ForeignKey("api_tokens.name", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

TABLES: list[Table] = [web_sessions]
_NEW_TOKEN_COLUMNS = ("expires_at", "revoked_at")


def create(conn: Connection) -> None:
    """Add the token columns a version-5 database lacks (a fresh one has them already), then the sessions."""
    present = {c["name"] for c in inspect(conn).get_columns("api_tokens")}
    for name in _NEW_TOKEN_COLUMNS:
        if name not in present:
            kind = api_tokens.c[name].type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE api_tokens ADD COLUMN {name} {kind}")
    metadata.create_all(conn, tables=TABLES)
