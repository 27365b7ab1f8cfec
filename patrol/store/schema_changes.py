"""Tables of the remediation stage: change plans, approvals, per-host backups and results (migration 4).

::

    changes          (id PK "chg-20261126-020003-9f3a", status, created_at, updated_at, source
                      "finding"|"ticket"|"playbook", ticket_id, fingerprint, finding_run_id,
                      check_ids[], severity, playbook, playbook_sha, vars{}, hosts[],
                      inventory[], vault_password_file, profiles[], digest, requested_by,
                      preview_at, preview{host: {...}}, applied_at, verify_run_id, verified,
                      verification{}, rolled_back_at, rollback_run_id, error, options{})
    change_approvals (id PK, change_id FK, approver, at)
    change_hosts     (change_id FK, host) PK; status, backup[], apply{}, rollback{}, error
    change_leases    (change_id PK FK) actor, since, node, pid, proc_token   (migration 9)

A change moves ``previewed | awaiting_approval -> applying`` by compare-and-set (one process
wins); the winner holds its ``change_leases`` row while it touches devices, so a crashed apply
(the owner process gone) is found and marked ``interrupted`` by the next command.

Secrets never land here: diffs and backups are stored as the remediation module returned them
after :func:`patrol.redact.redact_text`; a backup that needed redaction is marked not restorable.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata

__all__ = [
    "LEASE_TABLES",
    "TABLES",
    "change_approvals",
    "change_hosts",
    "change_leases",
    "changes",
    "create",
    "create_leases",
]

changes = Table(
    "changes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(24), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("source", String(16), nullable=False),
    Column("ticket_id", Integer),
    Column("fingerprint", String(64)),
    Column("finding_run_id", String(64)),
    Column("check_ids", JSON, nullable=False),
    Column("severity", String(16)),
    Column("playbook", Text, nullable=False),
    Column("playbook_sha", String(64), nullable=False),
    Column("vars", JSON, nullable=False),
    Column("hosts", JSON, nullable=False),
    Column("inventory", JSON, nullable=False),
    Column("vault_password_file", Text),
    Column("profiles", JSON, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("requested_by", String(200)),
    Column("preview_at", UTCDateTime),
    Column("preview", JSON, nullable=False),
    Column("applied_at", UTCDateTime),
    Column("verify_run_id", String(64)),
    Column("verified", Boolean),
    Column("verification", JSON, nullable=False),
    Column("rolled_back_at", UTCDateTime),
    Column("rollback_run_id", String(64)),
    Column("error", Text),
    Column("options", JSON, nullable=False),
    Index("ix_changes_digest", "digest", "created_at"),
    Index("ix_changes_fingerprint", "fingerprint"),
    Index("ix_changes_ticket", "ticket_id"),
)

change_approvals = Table(
    "change_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_id", String(64), ForeignKey("changes.id", ondelete="CASCADE"), nullable=False),
    Column("approver", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_change_approvals_change", "change_id"),
)

change_hosts = Table(
    "change_hosts",
    metadata,
    Column("change_id", String(64), ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True),
    Column("host", String(255), primary_key=True),
    Column("status", String(24), nullable=False),
    Column("backup", JSON, nullable=False),
    Column("apply", JSON, nullable=False),
    Column("rollback", JSON, nullable=False),
    Column("error", Text),
    Index("ix_change_hosts_host", "host"),
)

change_leases = Table(
    "change_leases",
    metadata,
    Column("change_id", String(64), ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True),
    Column("actor", String(200), nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Column("node", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("proc_token", String(64)),
)

TABLES: list[Table] = [changes, change_approvals, change_hosts]
LEASE_TABLES: list[Table] = [change_leases]


def create(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)


def create_leases(conn: Connection) -> None:
    metadata.create_all(conn, tables=LEASE_TABLES)
