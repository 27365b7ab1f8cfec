"""The notification text of a ticket change, queued through the outbox in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from patrol.notify import Message, enqueue
from patrol.tickets.contract import ServiceContract
from patrol.tickets.model import Ticket

__all__ = ["notify", "ticket_payload"]

_HEADLINES = {
    "opened": "opened 新建",
    "reopened": "reopened 重新打開",
    "resolved": "resolved 已解決",
    "moved": "moved 狀態變更",
    "warning": "SLA clock about to breach 即將超時",
    "breach": "SLA clock breached 已超時, escalated 上報",
    "waiver_expired": "waiver expired 豁免已到期",
}


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    keys = ("id", "klass", "state", "priority", "title", "host", "check_id", "object", "fingerprint",
            "occurrences", "recurrence", "assignee", "reporter", "location", "release", "last_run_id")  # fmt: skip
    data = ticket.to_json(include=set(keys))
    return data | {"first_seen": ticket.first_seen.isoformat(), "last_seen": ticket.last_seen.isoformat()}


def _body(ticket: Ticket, event: str, note: str, contract: ServiceContract) -> str:
    lines = [
        f"Ticket {ticket.id} {_HEADLINES.get(event, event)}",
        f"priority: {ticket.priority.value} {ticket.priority.zh}   class: {ticket.klass.value} {ticket.klass.zh}",
        f"state: {ticket.state.value} {ticket.state.zh}",
        f"title: {ticket.title}",
    ]
    if ticket.host:
        lines.append(f"host: {ticket.host}   check: {ticket.check_id}   object: {ticket.object or '-'}")
    if ticket.message:
        lines.append(f"finding: {ticket.message}")
    if note:
        lines.append(f"note: {note}")
    if event in ("warning", "breach"):
        lines.append(f"person in charge (負責人): {contract.person_in_charge}")
    lines.append(f"occurrences: {ticket.occurrences}, recurrence: {ticket.recurrence}")
    lines.append(f"details: patrol ticket show {ticket.id}")
    return "\n".join(lines)


def notify(
    conn: Connection, contract: ServiceContract, ticket: Ticket, event: str, now: datetime, note: str = ""
) -> int:
    """Queue the notification of ``event`` on ``ticket`` for every target that wants it."""
    if not contract.notify:
        return 0
    priority = f"{ticket.priority.value} {ticket.priority.zh}"
    subject = f"[patrol] ticket {ticket.id} {priority}: {_HEADLINES[event]} — {ticket.title}"
    message = Message(event, subject[:300], _body(ticket, event, note, contract),
                      {"event": event, "note": note, "ticket": ticket_payload(ticket)}, ticket.id)  # fmt: skip
    return enqueue(conn, contract.notify, message, ticket.priority, now)
