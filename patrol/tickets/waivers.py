"""Waivers (豁免): a check accepted for a host or a group until a date, with reason and approver.

A waived finding keeps its ticket, shown as waived (``patrol tickets --state waived``); its SLA
clocks pause. When the waiver expires the tickets it covered are back in force: their clocks
restart, the timeline says so, and a ``waiver_expired`` notification is queued.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from patrol.checks.profile import CHECK_ID_PATTERN
from patrol.errors import NotFoundError
from patrol.models import Finding, RunSummary, Severity, WaiverMark, utcnow
from patrol.store import Store
from patrol.store import schema as t
from patrol.store.schema_tickets import tickets, waivers
from patrol.tickets.contract import ServiceContract
from patrol.tickets.errors import WaiverError
from patrol.tickets.model import ACTIVE_STATES, Source, Waiver
from patrol.tickets.notices import notify
from patrol.tickets.repo import add_event, ticket_from_row, waiver_from_row

__all__ = ["count_waived", "expire_waivers", "grant_waiver", "list_waivers", "mark_waived", "remove_waiver"]

_ACTIVE = [s.value for s in ACTIVE_STATES]


def _validate(check_id: str, host: str | None, group: str | None, until: datetime, reason: str, approver: str,
              now: datetime) -> None:  # fmt: skip
    if not re.match(CHECK_ID_PATTERN, check_id):
        raise WaiverError(f"--check {check_id!r} is not a check id (dotted, like net.telnet.disabled)")
    if bool(host) == bool(group):
        raise WaiverError("a waiver is scoped to one host (--host H) or one group (--group G): give exactly one")
    if until <= now:
        raise WaiverError(f"--until {until:%Y-%m-%d %H:%M} UTC is not in the future; give a later date")
    if not reason.strip():
        raise WaiverError("--reason is empty: say why the finding is accepted")
    if not approver.strip():
        raise WaiverError("--approver is empty: name who approved the waiver")


def _covered(conn: Connection, waiver: Waiver) -> list[int]:
    query = select(tickets).where(
        tickets.c.check_id == waiver.check_id,
        tickets.c.source == Source.INSPECTION.value,
        tickets.c.state.in_(_ACTIVE),
        tickets.c.waiver_id.is_(None),
    )
    if waiver.host:
        query = query.where(tickets.c.host == waiver.host)
    rows = conn.execute(query).all()
    return [r.id for r in rows if waiver.covers(r.check_id, r.host, list(r.groups or []))]


def grant_waiver(
    store: Store,
    *,
    check_id: str,
    until: datetime,
    reason: str,
    approver: str,
    actor: str,
    host: str | None = None,
    group: str | None = None,
    now: datetime | None = None,
) -> tuple[Waiver, list[int]]:
    """Record the waiver and mark the active tickets it covers; returns it and those ticket ids."""
    now = now or utcnow()
    _validate(check_id, host, group, until, reason, approver, now)
    with store.write() as conn:
        values = {"check_id": check_id, "host": host or None, "group_name": group or None, "reason": reason.strip(),
                  "approver": approver.strip(), "created_by": actor, "created_at": now, "until": until}  # fmt: skip
        waiver_id = conn.execute(insert(waivers).values(values)).inserted_primary_key[0]  # type: ignore[index]
        waiver = waiver_from_row(conn.execute(select(waivers).where(waivers.c.id == waiver_id)).one())
        covered = _covered(conn, waiver)
        for ticket_id in covered:
            conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(waiver_id=waiver.id, updated_at=now))
            note = (f"waiver {waiver.id} until {until:%Y-%m-%d %H:%M} UTC, "
                    f"approved by {waiver.approver}: {waiver.reason}")  # fmt: skip
            add_event(conn, ticket_id, now, "waived", actor=actor, note=note)
    return waiver, covered


def expire_waivers(
    store: Store, contract: ServiceContract, now: datetime | None = None
) -> list[tuple[Waiver, list[int]]]:
    """End every waiver whose date passed: its tickets are back in force and notified."""
    now = now or utcnow()
    ended: list[tuple[Waiver, list[int]]] = []
    with store.write() as conn:
        due = conn.execute(select(waivers).where(waivers.c.expired_at.is_(None), waivers.c.until <= now)).all()
        for waiver in (waiver_from_row(r) for r in due):
            conn.execute(update(waivers).where(waivers.c.id == waiver.id).values(expired_at=now))
            ended.append((waiver, _unwaive(conn, contract, waiver, now)))
    return ended


def remove_waiver(
    store: Store, contract: ServiceContract, waiver_id: int, *, actor: str, reason: str, now: datetime | None = None
) -> tuple[Waiver, list[int]]:
    """End waiver ``waiver_id`` now (``patrol waiver remove``): its tickets are back in force, as at expiry."""
    now = now or utcnow()
    if not reason.strip():
        raise WaiverError("--reason is empty: say why the waiver ends early")
    with store.write() as conn:
        row = conn.execute(select(waivers).where(waivers.c.id == waiver_id)).first()
        if row is None:
            raise NotFoundError("waiver", str(waiver_id), "`patrol waivers --all` lists them")
        waiver = waiver_from_row(row)
        if waiver.expired_at is not None:
            raise WaiverError(f"waiver {waiver_id} already ended on {waiver.expired_at:%Y-%m-%d %H:%M} UTC")
        conn.execute(update(waivers).where(waivers.c.id == waiver_id).values(expired_at=now))
        why = f"removed by {actor}: {reason.strip()}"
        return waiver, _unwaive(conn, contract, waiver, now, why)


def _unwaive(conn: Connection, contract: ServiceContract, waiver: Waiver, now: datetime, why: str = "") -> list[int]:
    rows = conn.execute(select(tickets).where(tickets.c.waiver_id == waiver.id)).all()
    back = []
    for row in rows:
        active = row.state in _ACTIVE
        values = {"waiver_id": None, "updated_at": now} | ({"clock_start": now} if active else {})
        conn.execute(update(tickets).where(tickets.c.id == row.id).values(values))
        if not active:
            continue
        ended = why or f"expired on {waiver.until:%Y-%m-%d %H:%M} UTC"
        note = f"waiver {waiver.id} ({waiver.scope}, {waiver.check_id}) {ended}"
        add_event(conn, row.id, now, "waiver_removed" if why else "waiver_expired", note=note + "; SLA clocks restart")
        ticket = ticket_from_row(conn.execute(select(tickets).where(tickets.c.id == row.id)).one())
        notify(conn, contract, ticket, "waiver_expired", now, note)
        back.append(row.id)
    return back


def list_waivers(store: Store, include_expired: bool = False) -> list[Waiver]:
    query = select(waivers).order_by(waivers.c.id)
    if not include_expired:
        query = query.where(waivers.c.expired_at.is_(None))
    with store.read() as conn:
        return [waiver_from_row(r) for r in conn.execute(query).all()]


def _in_force_for(waiver: Waiver, summary: RunSummary, now: datetime) -> bool:
    """A waiver counts for a run when it was in force during the run or is in force now."""
    end = min(waiver.until, waiver.expired_at or waiver.until)
    run_end = summary.finished_at or now
    return end > summary.started_at and (waiver.created_at <= run_end or end > now)


def mark_waived(store: Store, summary: RunSummary, found: list[Finding], now: datetime | None = None) -> list[Finding]:
    """``found`` (findings of the run ``summary``) with ``waiver`` set where a waiver covers them."""
    now = now or utcnow()
    relevant = [w for w in list_waivers(store, include_expired=True) if _in_force_for(w, summary, now)]
    if not relevant:
        return found
    hr = t.host_results.c
    with store.read() as conn:
        groups = dict(conn.execute(select(hr.host, hr.groups).where(hr.run_id == summary.run_id)).tuples().all())
    marked = []
    for finding in found:
        waiver = next((w for w in relevant if w.covers(finding.check_id, finding.host,
                                                       list(groups.get(finding.host) or []))), None)  # fmt: skip
        mark = WaiverMark(id=waiver.id, until=waiver.until, reason=waiver.reason, approver=waiver.approver,
                          scope=waiver.scope) if waiver else None  # fmt: skip
        marked.append(finding.model_copy(update={"waiver": mark}) if mark else finding)
    return marked


def count_waived(summary: RunSummary, found: list[Finding]) -> RunSummary:
    """``summary`` with the waived findings counted apart (``waived_by_severity``), not in the severities."""
    waived: dict[str, int] = {}
    for finding in found:
        if finding.waived:
            waived[finding.severity.value] = waived.get(finding.severity.value, 0) + 1
    if not waived:
        return summary
    open_counts = {s.value: summary.findings_by_severity.get(s.value, 0) - waived.get(s.value, 0) for s in Severity}
    return summary.model_copy(update={"findings_by_severity": {k: v for k, v in open_counts.items() if v},
                                      "waived_by_severity": waived})  # fmt: skip
