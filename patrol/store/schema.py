"""Tables of the snapshot store and the ordered migrations that build them.

Tables (SQLAlchemy Core, portable between SQLite and PostgreSQL)::

    schema_version (version PK, applied_at)
    runs          (id PK, status, started_at, finished_at, error, inventory[], profiles[],
                   limit_expr, forks, pid, proc_token, node)
    host_results  (run_id FK, host) PK; status ("pending" | HostStatus), error, collector,
                   device_class, platform, groups[], started_at, finished_at, attempts
    snapshots     (run_id FK, host) PK; collected_at, document {Snapshot JSON}
    check_results (id PK, run_id FK, host, check_id, object, outcome, message, evidence{})
    findings      (id PK, run_id FK, host, check_id, object, severity, domain, title_en,
                   title_zh, message, evidence{}, fingerprint, remediation{})

Tables of later stages live in sibling modules on the same ``metadata``
(``schema_baselines``, ``schema_tickets``); the ordered migrations are in
:mod:`patrol.store.migrations`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Connection

__all__ = [
    "UTCDateTime",
    "check_results",
    "create_v1",
    "findings",
    "host_results",
    "metadata",
    "runs",
    "schema_version",
    "snapshots",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("error", Text),
    Column("inventory", JSON, nullable=False),
    Column("profiles", JSON, nullable=False),
    Column("limit_expr", Text),
    Column("forks", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("proc_token", String(64)),
    Column("node", String(255), nullable=False),
    Index("ix_runs_status_started", "status", "started_at"),
    Index("ix_runs_started", "started_at"),
)


def _run_fk() -> Column[str]:
    return Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)


host_results = Table(
    "host_results",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("host", String(255), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("collector", String(64)),
    Column("device_class", String(16)),
    Column("platform", String(64)),
    Column("groups", JSON, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Index("ix_host_results_host", "host"),
    Index("ix_host_results_status", "run_id", "status"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("host", String(255), primary_key=True),
    Column("collected_at", UTCDateTime, nullable=False),
    Column("document", JSON, nullable=False),
    Index("ix_snapshots_host", "host", "collected_at"),
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("host", String(255), nullable=False),
    Column("check_id", String(200), nullable=False),
    Column("object", String(500), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Index("ix_check_results_run_host", "run_id", "host"),
    Index("ix_check_results_identity", "host", "check_id", "object"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("host", String(255), nullable=False),
    Column("check_id", String(200), nullable=False),
    Column("object", String(500), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("domain", String(16), nullable=False),
    Column("title_en", Text, nullable=False),
    Column("title_zh", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("remediation", JSON),
    Index("ix_findings_run_severity", "run_id", "severity"),
    Index("ix_findings_host", "host"),
    Index("ix_findings_fingerprint", "fingerprint"),
)

_V1_TABLES = [runs, host_results, snapshots, check_results, findings]


def create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=_V1_TABLES)
