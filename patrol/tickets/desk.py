"""The service desk's operations on tickets: open, move, assign, comment, write the fault record.

Each operation validates first and changes nothing when it refuses; every change appends to the
audit trail (who, when, from -> to, why) in the same transaction. A human's first action on a
ticket stops its respond clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from patrol.models import Severity, utcnow
from patrol.sanitize import scrub_text
from patrol.store import Store
from patrol.store.schema_tickets import tickets
from patrol.tickets.contract import ServiceContract
from patrol.tickets.errors import RecordMissing, TicketError
from patrol.tickets.model import RECORD_FIELDS, Channel, Source, Ticket, TicketClass, TicketState
from patrol.tickets.notices import notify
from patrol.tickets.repo import add_event, get_ticket
from patrol.tickets.workflow import target_state

__all__ = ["DeskRequest", "assign", "comment", "move", "open_ticket", "write_record"]


@dataclass(frozen=True)
class DeskRequest:
    """A problem reported to the service desk (``patrol ticket new``)."""

    klass: TicketClass
    channel: Channel
    reporter: str
    location: str
    priority: Severity
    description: str
    answer: str | None = None


def _require(value: str, option: str) -> str:
    if not value or not value.strip():
        raise TicketError(f"{option} is empty; give a value")
    return scrub_text(value.strip())


def open_ticket(store: Store, contract: ServiceContract, request: DeskRequest, actor: str,
                now: datetime | None = None) -> Ticket:  # fmt: skip
    """Open a desk ticket; a consultation given its ``answer`` is answered and closed at once."""
    now = now or utcnow()
    description = _require(request.description, "the description")
    if request.answer is not None and request.klass is not TicketClass.CONSULTATION:
        raise TicketError("--answer closes a consultation on the spot; a defect goes through the workflow")
    values: dict[str, Any] = {
        "klass": request.klass.value, "source": Source.DESK.value, "state": TicketState.SUBMITTED.value,
        "priority": request.priority.value, "title": description.splitlines()[0][:200], "description": description,
        "message": "", "channel": request.channel.value, "reporter": _require(request.reporter, "--reporter"),
        "location": _require(request.location, "--location"), "groups": [], "evidence": {}, "record": {},
        "release": contract.next_release if request.priority is Severity.OTHER else None,
        "first_seen": now, "last_seen": now, "clock_start": now, "created_at": now, "updated_at": now,
    }  # fmt: skip
    answer = _require(request.answer, "--answer") if request.answer is not None else None
    with store.write() as conn:
        ticket_id = int(conn.execute(insert(tickets).values(values)).inserted_primary_key[0])  # type: ignore[index]
        channel = f"{request.channel.value} ({request.channel.zh})"
        note = f"reported by {values['reporter']} via {channel} at {values['location']}"
        add_event(conn, ticket_id, now, "opened", actor=actor, to_state=TicketState.SUBMITTED.value, note=note)
        if answer is not None:
            _close_consultation(conn, ticket_id, answer, actor, now)
        ticket = get_ticket(conn, ticket_id)
        notify(conn, contract, ticket, "opened", now)
    return ticket


def _close_consultation(conn: Connection, ticket_id: int, answer: str, actor: str, now: datetime) -> None:
    record = {"answer": answer, "answered_by": actor, "answered_at": now.isoformat()}
    conn.execute(
        update(tickets).where(tickets.c.id == ticket_id).values(
            state=TicketState.CLOSED.value, record=record, responded_at=now, resolved_at=now, closed_at=now,
            updated_at=now)
    )  # fmt: skip
    add_event(conn, ticket_id, now, "state", actor=actor, from_state=TicketState.SUBMITTED.value,
              to_state=TicketState.CLOSED.value, note=f"answered at first line: {answer}")  # fmt: skip


def _touch(ticket: Ticket, now: datetime) -> dict[str, Any]:
    return {"updated_at": now} | ({"responded_at": now} if ticket.responded_at is None else {})


def _close_values(ticket: Ticket, note: str, actor: str, now: datetime) -> dict[str, Any]:
    if ticket.klass is TicketClass.DEFECT:
        missing = ticket.missing_record_fields
        if missing:
            raise RecordMissing(ticket.id, missing)
        return {"closed_at": now, "record": ticket.fault_record}
    answer = note or ticket.record.get("answer", "")
    if not answer:
        raise TicketError(f"ticket {ticket.id} is a consultation: close it with its answer, --note \"...\"", ticket.id)
    record = {**ticket.record, "answer": answer, "answered_by": actor, "answered_at": now.isoformat()}
    return {"closed_at": now, "resolved_at": ticket.resolved_at or now, "record": record}


def move(store: Store, contract: ServiceContract, ref: str, action: str, note: str, actor: str,
         now: datetime | None = None) -> Ticket:  # fmt: skip
    """Apply a workflow action (analyse, confirm, escalate, reply, resolve, close)."""
    now = now or utcnow()
    note = scrub_text(note.strip())
    with store.write() as conn:
        ticket = get_ticket(conn, ref)
        state = target_state(ticket.id, ticket.klass, ticket.state, action)
        values = _touch(ticket, now) | {"state": state.value}
        if state is TicketState.RESOLVED:
            values["resolved_at"] = now
        if state is TicketState.CLOSED:
            values |= _close_values(ticket, note, actor, now)
        if state is TicketState.ESCALATED:
            values |= {"escalated_at": now, "escalated_to": contract.person_in_charge}
        conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(values))
        add_event(conn, ticket.id, now, "state", actor=actor, from_state=ticket.state.value, to_state=state.value,
                  note=note)  # fmt: skip
        moved = get_ticket(conn, ticket.id)
        notify(conn, contract, moved, "resolved" if state is TicketState.RESOLVED else "moved", now, note)
    return moved


def assign(store: Store, ref: str, person: str, actor: str, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    person = _require(person, "PERSON")
    with store.write() as conn:
        ticket = get_ticket(conn, ref)
        values = _touch(ticket, now) | {"assignee": person}
        conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(values))
        add_event(conn, ticket.id, now, "assigned", actor=actor, note=f"{ticket.assignee or '-'} -> {person}")
        return get_ticket(conn, ticket.id)


def comment(store: Store, ref: str, text: str, actor: str, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    text = _require(text, "the comment")
    with store.write() as conn:
        ticket = get_ticket(conn, ref)
        conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(_touch(ticket, now)))
        add_event(conn, ticket.id, now, "comment", actor=actor, note=text)
        return get_ticket(conn, ticket.id)


def write_record(store: Store, ref: str, fields: dict[str, str | None], actor: str,
                 now: datetime | None = None) -> Ticket:  # fmt: skip
    """Fill fields of the written fault record (keys of :data:`RECORD_FIELDS`); None = unchanged."""
    now = now or utcnow()
    given = {k: scrub_text(v.strip()) for k, v in fields.items() if v is not None}
    unknown = sorted(set(given) - set(RECORD_FIELDS))
    if unknown or not given:
        raise TicketError(f"give at least one record field; known: {', '.join(RECORD_FIELDS)}" +
                          (f" (unknown: {', '.join(unknown)})" if unknown else ""))  # fmt: skip
    with store.write() as conn:
        ticket = get_ticket(conn, ref)
        record = {**ticket.record, **given}
        conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(_touch(ticket, now) | {"record": record}))
        add_event(conn, ticket.id, now, "record", actor=actor, note="; ".join(f"{k}: {v}" for k, v in given.items()))
        return get_ticket(conn, ticket.id)
