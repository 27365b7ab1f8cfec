"""Expiring leases in the database: one holder at a time, across processes and hosts.

A lease row ``(name, holder, acquired_at, expires_at)`` is taken by inserting it, or by
updating a row whose ``expires_at`` has passed (its holder crashed or hung); the holder renews
it while working (:class:`Heartbeat`) and deletes it when done. Both happen in one write
transaction (``BEGIN IMMEDIATE`` on SQLite, a row update on PostgreSQL), so exactly one
contender wins.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from patrol.models import utcnow
from patrol.service.errors import LeaseHeld
from patrol.store import Store
from patrol.store.schema_service import leases

__all__ = ["LEASE_SECONDS", "Heartbeat", "acquire", "holder_id", "release", "renew"]

#: a lease not renewed for this long is considered abandoned
LEASE_SECONDS = 120.0


def holder_id() -> str:
    """``hostname:pid`` — who holds a lease."""
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(store: Store, name: str, holder: str, seconds: float = LEASE_SECONDS, now: datetime | None = None) -> None:
    """Take lease ``name`` or raise :class:`LeaseHeld` naming its live holder."""
    now = now or utcnow()
    expires = now + timedelta(seconds=seconds)
    c = leases.c
    with store.write() as conn:
        row = conn.execute(select(leases).where(c.name == name)).first()
        if row is None:
            conn.execute(insert(leases).values(name=name, holder=holder, acquired_at=now, expires_at=expires))
            return
        if row.expires_at > now and row.holder != holder:
            raise LeaseHeld(name, row.holder, row.expires_at)
        conn.execute(update(leases).where(c.name == name).values(holder=holder, acquired_at=now, expires_at=expires))


def renew(store: Store, name: str, holder: str, seconds: float = LEASE_SECONDS) -> bool:
    """Push the expiry forward; False when the lease was lost (taken over after expiry)."""
    c = leases.c
    with store.write() as conn:
        done = conn.execute(
            update(leases)
            .where(c.name == name, c.holder == holder)
            .values(expires_at=utcnow() + timedelta(seconds=seconds))
        )
    return bool(done.rowcount)


def release(store: Store, name: str, holder: str) -> None:
    with store.write() as conn:
        conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))


class Heartbeat:
    """Renews a lease every third of its length until stopped (a context manager)."""

    def __init__(self, store: Store, name: str, holder: str, seconds: float = LEASE_SECONDS) -> None:
        self.store, self.name, self.holder, self.seconds = store, name, holder, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{name}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                renew(self.store, self.name, self.holder, self.seconds)
            except Exception:  # a store hiccup: the next beat retries, expiry is the safety net
                continue
