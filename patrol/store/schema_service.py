"""Tables of the service stage (migration step in :mod:`patrol.store.migrations`).

::

    schedules  (name PK, cron, timezone, jitter, limit_expr, inventory[], profiles[], forks,
                vault_password_file, report{format, lang, recipients[]}, paused, source
                ("cli" | "file" | "api"), created_at, updated_at, next_due, last_fired, last_run_id,
                last_status, last_error)
    leases     (name PK, holder, acquired_at, expires_at) — "schedule:<name>": one holder at a
               time; a lease past ``expires_at`` may be taken over (its holder crashed)
    api_tokens (name PK, role, token_hash UNIQUE (sha256 hex, never the token), created_at, last_used_at,
               expires_at, revoked_at — these two added by migration 8, :mod:`patrol.store.schema_sessions`)

Claiming a firing is a compare-and-set on ``schedules.next_due`` and running is guarded by the
lease, so two ``patrol serve`` processes on one database never run the same schedule twice.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata

__all__ = ["TABLES", "api_tokens", "create", "leases", "schedules"]

schedules = Table(
    "schedules",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("cron", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("jitter", Integer, nullable=False, default=0),
    Column("limit_expr", Text),
    Column("inventory", JSON, nullable=False),
    Column("profiles", JSON, nullable=False),
    Column("forks", Integer),
    Column("vault_password_file", Text),
    Column("report", JSON, nullable=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("source", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("next_due", UTCDateTime),
    Column("last_fired", UTCDateTime),
    Column("last_run_id", String(64)),
    Column("last_status", String(16)),
    Column("last_error", Text),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

TABLES: list[Table] = [schedules, leases, api_tokens]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
