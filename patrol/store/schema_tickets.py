"""Tables of the tickets stage (migration step in :mod:`patrol.store.migrations`).

::

    tickets          (id PK, klass, source, state, priority, title, description, message, host,
                      check_id, object, fingerprint UNIQUE (one ticket per finding, ever), domain,
                      groups[], channel, reporter, location, assignee, release, evidence{},
                      occurrences, recurrence, first_seen, last_seen, first_run_id, last_run_id,
                      clock_start, created_at, updated_at, responded_at, resolved_at, closed_at,
                      escalated_at, escalated_to, waiver_id, record{} (the written fault record))
    ticket_events    (id PK, ticket_id FK, at, actor, action, from_state, to_state, note, run_id)
                     append-only: UPDATE and DELETE are refused by the database itself
    ticket_sightings (ticket_id FK, run_id) PK; at — every run that saw the finding
    waivers          (id PK, check_id, host, group_name, reason, approver, created_by, created_at,
                      until, expired_at)
    sla_alerts       (ticket_id, clock, level, cycle) PK; at — an escalation happens once per breach
    outbox           (id PK, created_at, target, event, ticket_id, subject, body, payload{}, state,
                      attempts, last_error, next_attempt_at, sent_at, external_ref)
    ticket_links     (ticket_id, target) PK; external_ref — e.g. the Jira issue key

A finding's fingerprint maps to at most one ticket: the unique index makes a second insert of
the same fingerprint fail in the database, so two runs racing cannot open two tickets; a
finding that comes back after its ticket was resolved reopens that same ticket.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from patrol.store.schema import UTCDateTime, metadata

__all__ = [
    "TABLES",
    "create",
    "outbox",
    "sla_alerts",
    "ticket_events",
    "ticket_links",
    "ticket_sightings",
    "tickets",
    "waivers",
]


def _ticket_fk(primary_key: bool = False) -> Column[int]:
    return Column(
        "ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key
    )


tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("klass", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("host", String(255)),
    Column("check_id", String(200)),
    Column("object", String(500)),
    Column("fingerprint", String(64)),
    Column("domain", String(16)),
    Column("groups", JSON, nullable=False, default=list),
    Column("channel", String(16)),
    Column("reporter", String(200), nullable=False),
    Column("location", String(500), nullable=False, default=""),
    Column("assignee", String(200)),
    Column("release", String(100)),
    Column("evidence", JSON, nullable=False, default=dict),
    Column("occurrences", Integer, nullable=False, default=1),
    Column("recurrence", Integer, nullable=False, default=0),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("first_run_id", String(64)),
    Column("last_run_id", String(64)),
    Column("clock_start", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("responded_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("escalated_at", UTCDateTime),
    Column("escalated_to", String(200)),
    Column("waiver_id", Integer, ForeignKey("waivers.id", ondelete="SET NULL")),
    Column("record", JSON, nullable=False, default=dict),
    Index("ux_tickets_fingerprint", "fingerprint", unique=True),
    Index("ix_tickets_state", "state", "priority"),
    Index("ix_tickets_host", "host"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ticket_fk(),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16)),
    Column("note", Text, nullable=False, default=""),
    Column("run_id", String(64)),
    Index("ix_ticket_events_ticket", "ticket_id", "id"),
)

ticket_sightings = Table(
    "ticket_sightings",
    metadata,
    _ticket_fk(primary_key=True),
    Column("run_id", String(64), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("check_id", String(200), nullable=False),
    Column("host", String(255)),
    Column("group_name", String(255)),
    Column("reason", Text, nullable=False),
    Column("approver", String(200), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("expired_at", UTCDateTime),
    Index("ix_waivers_check", "check_id"),
)

sla_alerts = Table(
    "sla_alerts",
    metadata,
    _ticket_fk(primary_key=True),
    Column("clock", String(16), primary_key=True),
    Column("level", String(16), primary_key=True),
    Column("cycle", String(40), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("target", String(100), nullable=False),
    Column("event", String(32), nullable=False),
    Column("ticket_id", Integer),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("external_ref", String(200)),
    Index("ix_outbox_state", "state", "next_attempt_at"),
)

ticket_links = Table(
    "ticket_links",
    metadata,
    _ticket_fk(primary_key=True),
    Column("target", String(100), primary_key=True),
    Column("external_ref", String(200), nullable=False),
)

TABLES: list[Table] = [waivers, tickets, ticket_events, ticket_sightings, sla_alerts, outbox, ticket_links]

_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events "
    "BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END",
    "CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events "
    "WHEN (SELECT COUNT(*) FROM tickets WHERE id = OLD.ticket_id) > 0 "
    "BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END",
]
_POSTGRES_APPEND_ONLY = [
    "CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END $$",
    "CREATE TRIGGER ticket_events_no_change BEFORE UPDATE ON ticket_events "
    "FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only()",
]


def create(conn: Connection) -> None:
    """Create the tables and make the audit trail append-only in the database."""
    metadata.create_all(conn, tables=TABLES)
    statements = {"sqlite": _SQLITE_APPEND_ONLY, "postgresql": _POSTGRES_APPEND_ONLY}.get(conn.dialect.name, [])
    for statement in statements:
        conn.exec_driver_sql(statement)
