"""Who applies a change, exactly once: approvals and the claim in one transaction (compare-and-set).

The engine's use::

    ready = record_approval(store, change.id, "bob", needed=1)  # True: this process claimed it:
                                                                 # status applying, lease held
    ...backups stored, hosts changed...
    finish(store, change.id, ChangeStatus.APPLIED, applied_at=utcnow())   # lease dropped
    interrupt_orphaned(store)   # (every CLI command) applying changes whose process is gone
                                # -> interrupted, restorable with `patrol rollback`

Two approvals at the same moment are written one transaction after the other (SQLite
``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR UPDATE`` on the change row). The status moves
by ``UPDATE changes SET status='applying' WHERE id=? AND status=<the status read>``: exactly one
process sees its row updated and applies; every other one gets :class:`ApprovalError` naming who
applies the change since when (``patrol remediate`` exits 2, the API answers 409), and its
approval is not recorded.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from patrol.errors import NotFoundError
from patrol.models import utcnow
from patrol.remediate.errors import ApprovalError
from patrol.remediate.model import ChangeStatus, HostStatus
from patrol.store import Store
from patrol.store.process import ProcessOwner
from patrol.store.schema_changes import change_approvals, change_hosts, change_leases, changes

__all__ = ["OPEN", "finish", "interrupt", "interrupt_orphaned", "record_approval", "refusal", "release"]

log = logging.getLogger(__name__)

#: The states in which a change takes approvals.
OPEN = (ChangeStatus.PREVIEWED.value, ChangeStatus.AWAITING_APPROVAL.value)


def record_approval(store: Store, change_id: str, approver: str, needed: int, at: datetime | None = None) -> bool:
    """Record ``approver``; True when the approvals are complete and this process claimed the change."""
    owner, now = ProcessOwner.current(), utcnow()
    with store.write() as conn:
        row = conn.execute(select(changes.c.status).where(changes.c.id == change_id).with_for_update()).first()
        if row is None:
            raise NotFoundError("change", change_id, "`patrol changes` lists the change log")
        if row.status not in OPEN:
            raise ApprovalError(refusal(conn, change_id, row.status), change_id)
        approvers = (
            conn.execute(select(change_approvals.c.approver).where(change_approvals.c.change_id == change_id))
            .scalars()
            .all()
        )
        if approver in approvers:
            raise ApprovalError(
                f"{approver} already approved {change_id}; the second approval must come from someone else", change_id
            )
        conn.execute(insert(change_approvals).values(change_id=change_id, approver=approver, at=at or now))
        ready = len(approvers) + 1 >= needed
        status = ChangeStatus.APPLYING if ready else ChangeStatus.AWAITING_APPROVAL
        moved = conn.execute(
            update(changes)
            .where(changes.c.id == change_id, changes.c.status == row.status)
            .values(status=status.value, updated_at=now, error=None)
        )
        if moved.rowcount != 1:  # the row lock makes this unreachable; the compare-and-set says so anyway
            raise ApprovalError(f"change {change_id} changed state while being approved: look at `patrol changes`")
        if ready:
            lease = {"actor": approver, "since": now, "node": owner.node, "pid": owner.pid, "proc_token": owner.token}
            conn.execute(insert(change_leases).values(change_id=change_id, **lease))
    return ready


def refusal(conn: Connection, change_id: str, status: str) -> str:
    """Why a change in ``status`` takes no approval, and what to do instead."""
    if status == ChangeStatus.APPLYING.value:
        lease = conn.execute(select(change_leases).where(change_leases.c.change_id == change_id)).first()
        who = (
            ""
            if lease is None
            else (f" by {lease.actor} since {lease.since:%Y-%m-%d %H:%M:%S} UTC (pid {lease.pid} on {lease.node})")
        )
        return (
            f"change {change_id} is already being applied{who}; it applies once: "
            f"`patrol changes {change_id}` shows how it went. Nothing was done"
        )
    if status == ChangeStatus.INTERRUPTED.value:
        return (
            f"change {change_id} was interrupted while being applied: `patrol rollback {change_id}` restores "
            "the backups taken before it; then preview again"
        )
    return (
        f"change {change_id} is {status}: a change applies once; preview the plan again "
        "(--check) to make another change"
    )


def _drop_lease(conn: Connection, change_id: str) -> None:
    conn.execute(delete(change_leases).where(change_leases.c.change_id == change_id))


def _move(store: Store, change_id: str, status: ChangeStatus, **values: Any) -> bool:
    """``applying -> status`` (compare-and-set) and the lease dropped; False if it was not applying."""
    with store.write() as conn:
        moved = conn.execute(
            update(changes)
            .where(changes.c.id == change_id, changes.c.status == ChangeStatus.APPLYING.value)
            .values(status=status.value, updated_at=utcnow(), **values)
        )
        _drop_lease(conn, change_id)
    return bool(moved.rowcount)


def release(store: Store, change_id: str, error: str) -> None:
    """Give a claimed change back (no host was touched): previewed again, with ``error`` saying why."""
    _move(store, change_id, ChangeStatus.PREVIEWED, error=error)


def finish(store: Store, change_id: str, status: ChangeStatus, **values: Any) -> None:
    """The apply is over: ``status`` (applied or failed) and ``values`` stored, the lease dropped."""
    _move(store, change_id, status, **values)


def interrupt(store: Store, change_id: str, why: str) -> bool:
    """Mark an applying change ``interrupted`` (its hosts may be half-changed; their backups are stored)."""
    with store.read() as conn:
        pending = (
            conn.execute(
                select(change_hosts.c.host).where(
                    change_hosts.c.change_id == change_id,
                    change_hosts.c.status.in_([HostStatus.PENDING.value, HostStatus.APPLIED.value]),
                )
            )
            .scalars()
            .all()
        )
    hosts = ", ".join(sorted(pending)) or "none"
    message = (
        f"interrupted: {why}; hosts that may be changed: {hosts}. `patrol rollback {change_id}` restores "
        "the backups taken before the apply"
    )
    done = _move(store, change_id, ChangeStatus.INTERRUPTED, error=message)
    if done:
        log.warning("change %s %s", change_id, message)
    return done


def interrupt_orphaned(store: Store) -> list[str]:
    """Mark ``interrupted`` the changes of this node left ``applying`` by a process that is gone."""
    with store.read() as conn:
        held = conn.execute(
            select(change_leases)
            .join(changes, changes.c.id == change_leases.c.change_id)
            .where(changes.c.status == ChangeStatus.APPLYING.value)
        ).all()
    found = []
    for lease in held:
        if ProcessOwner(lease.node, lease.pid, lease.proc_token).alive():
            continue
        why = (
            f"the process applying it (pid {lease.pid} on {lease.node}, approved by {lease.actor} at "
            f"{lease.since:%Y-%m-%d %H:%M:%S} UTC) is gone"
        )
        if interrupt(store, lease.change_id, why):
            found.append(lease.change_id)
    return found
