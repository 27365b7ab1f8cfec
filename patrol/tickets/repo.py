"""Reading and writing ticket rows inside the store's transactions (``Store.read()``/``write()``).

A ticket stores its title in English (``title``, the finding's problem title, refreshed by every
run that sees the finding); its Chinese title is read from the ticket's latest finding
(``Ticket.title_zh``, None for a service-desk ticket or when that run was deleted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import Label

from patrol.errors import NotFoundError
from patrol.models import Severity
from patrol.sanitize import scrub_text
from patrol.store import Store
from patrol.store.schema import findings
from patrol.store.schema_tickets import ticket_events, ticket_sightings, tickets, waivers
from patrol.tickets.model import ACTIVE_STATES, Event, Ticket, TicketState, Waiver

__all__ = [
    "SYSTEM",
    "TicketFilter",
    "event_row",
    "get_ticket",
    "list_tickets",
    "parse_ticket_id",
    "ticket_events_of",
    "ticket_from_row",
    "ticket_runs",
    "title_zh",
    "waiver_from_row",
]

#: the actor of changes made by patrol itself (runs, SLA clocks, waiver expiry)
SYSTEM = "patrol"


def title_zh() -> Label[Any]:
    """Column ``title_zh``: the Chinese title of the ticket's latest finding (select it with ``tickets``)."""
    f = findings.c
    latest = select(f.title_zh).where(f.run_id == tickets.c.last_run_id, f.fingerprint == tickets.c.fingerprint)
    return latest.limit(1).scalar_subquery().label("title_zh")


def ticket_from_row(row: Row[Any]) -> Ticket:
    return Ticket.model_validate(row._mapping)


def waiver_from_row(row: Row[Any]) -> Waiver:
    return Waiver.model_validate(row._mapping)


def parse_ticket_id(ref: str | int) -> int:
    """``12``, ``"12"``, ``"#12"``, ``"T12"`` -> 12; NotFoundError for anything else."""
    text = str(ref).strip().lstrip("#").removeprefix("T").removeprefix("t")
    if not text.isdigit():
        raise NotFoundError("ticket", str(ref), "ticket ids are numbers; `patrol tickets` lists them")
    return int(text)


def get_ticket(conn: Connection, ref: str | int) -> Ticket:
    ticket_id = parse_ticket_id(ref)
    row = conn.execute(select(tickets, title_zh()).where(tickets.c.id == ticket_id)).first()
    if row is None:
        raise NotFoundError("ticket", str(ref), "`patrol tickets --state all` lists the tickets")
    return ticket_from_row(row)


def event_row(
    ticket_id: int,
    at: datetime,
    action: str,
    *,
    actor: str = SYSTEM,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    run_id: str | None = None,
) -> dict[str, Any]:
    """One audit-trail row (insert it with ``conn.execute(insert(ticket_events), rows)``)."""
    return {"ticket_id": ticket_id, "at": at, "actor": actor, "action": action, "from_state": from_state,
            "to_state": to_state, "note": scrub_text(note), "run_id": run_id}  # fmt: skip


def add_event(conn: Connection, ticket_id: int, at: datetime, action: str, **kw: Any) -> None:
    conn.execute(insert(ticket_events).values(event_row(ticket_id, at, action, **kw)))


@dataclass(frozen=True)
class TicketFilter:
    """``state``: a TicketState value, ``open`` (active), ``waived``, ``all`` (``breached`` is
    decided by the SLA clocks, see :mod:`patrol.tickets.sla`)."""

    state: str = "open"
    priority: Sequence[Severity] = ()
    klass: str | None = None
    host: str | None = None


def _state_clause(state: str) -> Any:
    if state in ("open", "breached"):
        return tickets.c.state.in_([s.value for s in ACTIVE_STATES])
    if state == "waived":
        return and_(tickets.c.waiver_id.is_not(None), tickets.c.state.in_([s.value for s in ACTIVE_STATES]))
    if state == "all":
        return or_(tickets.c.id.is_not(None))
    return tickets.c.state == TicketState(state).value


def list_tickets(store: Store, flt: TicketFilter) -> list[Ticket]:
    """Worst priority first, then oldest."""
    clauses = [_state_clause(flt.state)]
    if flt.priority:
        clauses.append(tickets.c.priority.in_([Severity(p).value for p in flt.priority]))
    if flt.klass:
        clauses.append(tickets.c.klass == flt.klass)
    if flt.host:
        clauses.append(tickets.c.host == flt.host)
    with store.read() as conn:
        rows = conn.execute(select(tickets, title_zh()).where(and_(*clauses)).order_by(tickets.c.id)).all()
    found = [ticket_from_row(r) for r in rows]
    return sorted(found, key=lambda t: (-t.priority.rank, t.created_at, t.id))


def ticket_events_of(store: Store, ticket_id: int) -> list[Event]:
    with store.read() as conn:
        rows = conn.execute(
            select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.id)
        ).all()
    return [Event.model_validate(r._mapping) for r in rows]


def ticket_runs(store: Store, ticket_id: int) -> list[tuple[str, datetime]]:
    """Every run that saw the ticket's finding: ``[(run_id, at), ...]`` oldest first."""
    s = ticket_sightings.c
    with store.read() as conn:
        rows = conn.execute(select(s.run_id, s.at).where(s.ticket_id == ticket_id).order_by(s.at, s.run_id)).all()
    return [(r.run_id, r.at) for r in rows]


def active_waivers(conn: Connection, now: datetime) -> list[Waiver]:
    rows = conn.execute(select(waivers).where(waivers.c.expired_at.is_(None), waivers.c.until > now)).all()
    return [waiver_from_row(r) for r in rows]
