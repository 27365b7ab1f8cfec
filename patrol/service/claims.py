"""Claiming firings and naming leases: what the scheduler and the delivery timer share.

:func:`claim_due` moves each due schedule's ``next_due`` forward with a compare-and-set
(``UPDATE ... WHERE next_due = <the value read>``): of several ``patrol serve`` processes on one
database exactly one claims a firing. A firing then runs under the lease :func:`lease_name`
(``schedule:NAME`` or ``report:NAME``, :mod:`patrol.service.lease`) held by :func:`new_holder`,
and its outcome is written on the schedule with :func:`record`. Inspections are run by
:mod:`patrol.service.scheduler`, report schedules by :mod:`patrol.service.deliveries`; neither
imports the other for these.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from patrol.models import utcnow
from patrol.service.lease import holder_id
from patrol.service.schedules import MISFIRE_GRACE, Schedule, next_fire, schedule_from_row
from patrol.store import Store
from patrol.store.schema_service import schedules

__all__ = ["Claim", "claim_due", "lease_name", "new_holder", "record"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A firing this process won: ``schedule`` was due at ``due``."""

    schedule: Schedule
    due: datetime


def claim_due(store: Store, now: datetime | None = None, kind: str = "inspection") -> list[Claim]:
    """Claim every due, unpaused schedule of ``kind`` (misfire policy in :mod:`patrol.service.schedules`)."""
    now = now or utcnow()
    c = schedules.c
    claims = []
    with store.write() as conn:
        rows = conn.execute(select(schedules).where(c.paused.is_(False), c.next_due <= now)).all()
        for row in rows:
            s = schedule_from_row(row)
            if s.kind != kind:
                continue
            missed = now - row.next_due > MISFIRE_GRACE
            values = {"next_due": next_fire(s, now)} | ({"last_status": "missed"} if missed else {"last_fired": now})
            done = conn.execute(update(schedules).where(c.name == s.name, c.next_due == row.next_due).values(values))
            if done.rowcount == 1 and not missed:
                claims.append(Claim(s, row.next_due))
            elif missed:
                log.warning("schedule %s missed its firing at %s (past the misfire grace)", s.name, row.next_due)
    return claims


def record(store: Store, name: str, **values: object) -> None:
    """Set columns of schedule ``name`` (last status, error, run)."""
    with store.write() as conn:
        conn.execute(update(schedules).where(schedules.c.name == name).values(values))


def lease_name(s: Schedule) -> str:
    """The lease one firing of ``s`` holds: ``schedule:NAME`` (inspection) or ``report:NAME``."""
    return f"{'report' if s.kind == 'report' else 'schedule'}:{s.name}"


def new_holder() -> str:
    return f"{holder_id()}:{secrets.token_hex(3)}"
