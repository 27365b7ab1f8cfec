"""SLA clocks (維護響應計劃) and escalation (上報) when a clock is breached or about to be.

Each active ticket has two clocks that start at ``clock_start`` (opening, reopening, or the end
of a waiver): *respond* (stopped by the first human action) and *resolve* (stopped by
resolution). Durations come from the contract per priority (critical 4 h, urgent 8 h, normal
12 h; ``other`` targets the next release instead of a time). A clock is::

    met       stopped before its deadline          running   less than warning_at used
    warning   warning_at of its time used up       breached  past its deadline, not stopped
    late      stopped after its deadline           release   targets a release, no time limit
    waived    the ticket is waived: clocks are paused (they restart when the waiver ends)

``check_sla(store, contract)`` escalates each newly warned or breached clock once, at the current
time: the ticket records the escalation to the person in charge, the timeline gets the event, and
one notification is queued. ``preview_sla(store, contract, at)`` is the what-if: the same clocks at
any time, and which escalations would be due, read only (nothing is written, by construction: it
opens no write transaction). Remaining time reads ``12 min left`` / ``overdue 3 min``
(:func:`time_left`). ``sla_alerts`` has one row per (ticket, clock, level, cycle), so running
it again — by the scheduler every few minutes — never escalates or notifies the same breach twice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from patrol.models import utcnow
from patrol.store import Store
from patrol.store.schema_tickets import sla_alerts, tickets
from patrol.tickets.contract import ServiceContract
from patrol.tickets.model import ACTIVE_STATES, Ticket
from patrol.tickets.notices import notify
from patrol.tickets.repo import add_event, ticket_from_row

__all__ = ["ClockState", "SlaReport", "check_sla", "clocks", "preview_sla", "time_left"]

_ACTIVE = [s.value for s in ACTIVE_STATES]


@dataclass(frozen=True)
class ClockState:
    """``ClockState(ticket_id=12, clock="resolve", status="breached", deadline=…, remaining=-1h5m,
    target_release=None)``"""

    ticket_id: int
    clock: str
    status: str
    deadline: datetime | None
    remaining: timedelta | None
    target_release: str | None = None


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


_ZH_UNITS = {" d": " 天", " h": " 小時", " min": " 分鐘", " s": " 秒"}


def time_left(remaining: timedelta, zh: bool = False) -> str:
    """``12 min left``, ``2 h 5 min left``, ``40 s left``, ``overdue 3 min``, ``overdue 1 d 2 h``
    (``zh``: ``剩餘 12 分鐘``, ``超時 3 分鐘``, in Traditional characters like every authored zh text)."""
    seconds = math.floor(remaining.total_seconds())
    span = _span(abs(seconds))
    if zh:
        for unit, word in _ZH_UNITS.items():
            span = re.sub(rf"{unit}\b", word, span)
        return f"剩餘 {span}" if seconds >= 0 else f"超時 {span}"
    return f"{span} left" if seconds >= 0 else f"overdue {span}"


def _state(ticket_id: int, clock: str, start: datetime, length: timedelta, stopped: datetime | None,
           now: datetime, warning_at: float) -> ClockState:  # fmt: skip
    deadline = start + length
    if stopped is not None:
        return ClockState(ticket_id, clock, "met" if stopped <= deadline else "late", deadline, deadline - stopped)
    remaining = deadline - now
    if now > deadline:
        status = "breached"
    elif now - start >= length * warning_at:
        status = "warning"
    else:
        status = "running"
    return ClockState(ticket_id, clock, status, deadline, remaining)


def clocks(ticket: Ticket, contract: ServiceContract, now: datetime) -> list[ClockState]:
    """The ticket's respond and resolve clocks at ``now``."""
    clock = contract.clock(ticket.priority)
    channel = contract.channels.get(ticket.channel.value) if ticket.channel else None
    respond = channel.respond if channel else clock.respond
    if ticket.waiver_id is not None and ticket.active:
        return [ClockState(ticket.id, name, "waived", None, None) for name in ("respond", "resolve")]
    start, warn = ticket.clock_start, contract.warning_at
    states = [_state(ticket.id, "respond", start, respond, ticket.responded_at, now, warn)]
    if clock.resolve is None:
        release = ticket.release or contract.next_release
        states.append(ClockState(ticket.id, "resolve", "release", None, None, release))
    else:
        stopped = ticket.resolved_at or ticket.closed_at
        states.append(_state(ticket.id, "resolve", start, clock.resolve, stopped, now, warn))
    return states


@dataclass
class SlaReport:
    """All clocks of the active tickets at ``at`` and the escalations made now."""

    at: datetime
    clocks: list[tuple[Ticket, ClockState]] = field(default_factory=list)
    escalated: list[tuple[Ticket, ClockState]] = field(default_factory=list)
    #: True for a what-if (:func:`preview_sla`): ``escalated`` lists what would be escalated then
    preview: bool = False

    @property
    def breached(self) -> list[tuple[Ticket, ClockState]]:
        return [(t, c) for t, c in self.clocks if c.status == "breached"]

    @property
    def warnings(self) -> list[tuple[Ticket, ClockState]]:
        return [(t, c) for t, c in self.clocks if c.status == "warning"]


def _claim_alert(conn: Connection, ticket: Ticket, state: ClockState, now: datetime) -> bool:
    """Record this (ticket, clock, level, cycle) once; False when it was already escalated."""
    row = {"ticket_id": ticket.id, "clock": state.clock, "level": state.status,
           "cycle": ticket.clock_start.isoformat(), "at": now}  # fmt: skip
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    result = conn.execute(module.insert(sla_alerts).values(row).on_conflict_do_nothing())
    return bool(result.rowcount)


def _escalate(
    conn: Connection, contract: ServiceContract, ticket: Ticket, states: list[ClockState], now: datetime
) -> None:
    """One escalation per ticket per pass: every new clock in the timeline, one notification."""
    person = contract.person_in_charge
    notes = []
    for state in states:
        left = time_left(state.remaining) if state.remaining is not None else ""
        when = "breached" if state.status == "breached" else f"past {int(contract.warning_at * 100)}% of its time"
        deadline = state.deadline.strftime("%Y-%m-%d %H:%M UTC") if state.deadline else "-"
        note = f"{state.clock} clock {when}, {left} (deadline {deadline}): escalated to {person} (上報負責人)"
        add_event(conn, ticket.id, now, f"sla_{state.status}", note=note)
        notes.append(note)
    conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(escalated_at=now, escalated_to=person))
    event = "breach" if any(s.status == "breached" for s in states) else "warning"
    notify(conn, contract, ticket, event, now, "; ".join(notes))


def check_sla(store: Store, contract: ServiceContract) -> SlaReport:
    """Evaluate every active ticket's clocks now and escalate new warnings and breaches once.

    Always at the current time: an escalation dated in the future would claim the breach before
    it happens (and the real one would never be escalated); a what-if is :func:`preview_sla`."""
    report = SlaReport(utcnow())
    with store.write() as conn:
        rows = conn.execute(select(tickets).where(tickets.c.state.in_(_ACTIVE)).order_by(tickets.c.id)).all()
        for ticket in (ticket_from_row(r) for r in rows):
            new = []
            for state in clocks(ticket, contract, report.at):
                report.clocks.append((ticket, state))
                if state.status in ("warning", "breached") and _claim_alert(conn, ticket, state, report.at):
                    new.append(state)
            if new:
                _escalate(conn, contract, ticket, new, report.at)
                report.escalated.extend((ticket, s) for s in new)
    return report


def _escalated_before(conn: Connection, ticket: Ticket, state: ClockState) -> bool:
    a = sla_alerts.c
    query = select(a.ticket_id).where(a.ticket_id == ticket.id, a.clock == state.clock, a.level == state.status,
                                      a.cycle == ticket.clock_start.isoformat())  # fmt: skip
    return conn.execute(query.limit(1)).first() is not None


def preview_sla(store: Store, contract: ServiceContract, at: datetime) -> SlaReport:
    """The clocks at ``at`` and the escalations that would then be due; writes nothing (a read transaction)."""
    report = SlaReport(at, preview=True)
    with store.read() as conn:
        rows = conn.execute(select(tickets).where(tickets.c.state.in_(_ACTIVE)).order_by(tickets.c.id)).all()
        for ticket in (ticket_from_row(r) for r in rows):
            for state in clocks(ticket, contract, at):
                report.clocks.append((ticket, state))
                if state.status in ("warning", "breached") and not _escalated_before(conn, ticket, state):
                    report.escalated.append((ticket, state))
    return report
