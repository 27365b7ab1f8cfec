"""The ordered schema migrations of the store.

A database records the migrations applied to it in ``schema_version``. :data:`MIGRATIONS` is
an ordered list of ``(version, description, step)``; opening a store applies every step newer
than the database, each in its own transaction. A database whose version is newer than
:data:`SCHEMA_VERSION` is refused (an older patrol must not write into a newer schema). A step
is appended, never edited: ``(4, "add x", lambda conn: conn.execute(text("ALTER ...")))``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from patrol.store import (
    schema_baselines,
    schema_changes,
    schema_history,
    schema_notify,
    schema_runbooks,
    schema_service,
    schema_sessions,
    schema_tickets,
)
from patrol.store.schema import create_v1

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

#: Ordered ``(version, description, step)``; append only.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "runs, host results, snapshots, check results, findings", create_v1),
    (2, "baselines and drift", schema_baselines.create),
    (3, "tickets, waivers, audit trail, notifications", schema_tickets.create),
    (4, "remediation changes, approvals, backups", schema_changes.create),
    (5, "schedules, leases, API tokens", schema_service.create),
    (6, "metric history index", schema_history.create),
    (7, "notification attachments", schema_notify.create),
    (8, "API token expiry and revocation, dashboard sessions", schema_sessions.create),
    (9, "who applies a change (crash detection)", schema_changes.create_leases),
    (10, "emergency plan drills", schema_runbooks.create),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
