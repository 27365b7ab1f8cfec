"""The change log: changes, approvals and per-host results in the store (tables in ``schema_changes``).

Typical use (the engine)::

    change = create_change(store, plan, preview={"core-sw1": {...}}, requested_by="alice")
    matching_preview(store, plan, window=timedelta(hours=1))   # the newest previewed change or None
    add_approval(store, change.id, "alice")
    save_host(store, change.id, ChangeHost(host="core-sw1", status="applied", backup=[...]))
    update_change(store, change.id, status=ChangeStatus.APPLIED, applied_at=utcnow())
    list_changes(store, host="core-sw1")                        # newest first

Every text written here passes :func:`patrol.sanitize.scrub_value` (previews, errors,
verification, host results); a restorable backup holds no secret by construction.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from patrol.errors import NotFoundError
from patrol.models import utcnow
from patrol.remediate.model import Approval, Change, ChangeHost, ChangeStatus, Plan
from patrol.sanitize import scrub_value
from patrol.store import Store
from patrol.store.schema_changes import change_approvals, change_hosts, changes

__all__ = [
    "add_approval",
    "create_change",
    "get_change",
    "latest_preview",
    "list_changes",
    "matching_preview",
    "new_change_id",
    "save_host",
    "update_change",
]


def new_change_id() -> str:
    """Time-sortable and unique: ``chg-20261126-020003-9f3a``."""
    return "chg-" + time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def _plan_columns(plan: Plan) -> dict[str, Any]:
    return {
        "source": plan.source,
        "ticket_id": plan.ticket_id,
        "fingerprint": plan.fingerprint,
        "finding_run_id": plan.finding_run_id,
        "check_ids": list(plan.check_ids),
        "severity": plan.severity,
        "playbook": plan.playbook,
        "playbook_sha": plan.playbook_sha,
        "vars": plan.vars,
        "hosts": list(plan.hosts),
        "inventory": list(plan.inventory),
        "vault_password_file": plan.vault_password_file,
        "profiles": list(plan.profiles),
        "digest": plan.digest,
    }


def create_change(
    store: Store, plan: Plan, *, preview: dict[str, Any], requested_by: str | None, options: dict[str, Any]
) -> Change:
    """Record a previewed plan; returns the new change."""
    now = utcnow()
    change_id = new_change_id()
    with store.write() as conn:
        conn.execute(
            insert(changes).values(
                id=change_id,
                status=ChangeStatus.PREVIEWED.value,
                created_at=now,
                updated_at=now,
                requested_by=requested_by,
                preview_at=now,
                preview=scrub_value(preview),
                verification={},
                options=options,
                **_plan_columns(plan),
            )
        )
    return get_change(store, change_id)


def update_change(store: Store, change_id: str, **values: Any) -> None:
    """Set columns of a change (``status`` may be a :class:`ChangeStatus`)."""
    if isinstance(values.get("status"), ChangeStatus):
        values["status"] = values["status"].value
    values = scrub_value(values)  # error and verification texts come from exceptions and device output
    with store.write() as conn:
        conn.execute(update(changes).where(changes.c.id == change_id).values(updated_at=utcnow(), **values))


def add_approval(store: Store, change_id: str, approver: str, at: datetime | None = None) -> None:
    with store.write() as conn:
        conn.execute(insert(change_approvals).values(change_id=change_id, approver=approver, at=at or utcnow()))


def save_host(store: Store, change_id: str, result: ChangeHost) -> None:
    """Insert or replace one host's result."""
    row = scrub_value(result.model_dump(mode="json"))
    with store.write() as conn:
        conn.execute(
            delete(change_hosts).where(change_hosts.c.change_id == change_id, change_hosts.c.host == row["host"])
        )
        conn.execute(insert(change_hosts).values(change_id=change_id, **row))


def _plan(row: Row[Any]) -> Plan:
    return Plan(
        playbook=row.playbook,
        playbook_sha=row.playbook_sha,
        vars=row.vars or {},
        hosts=tuple(row.hosts),
        inventory=tuple(row.inventory),
        vault_password_file=row.vault_password_file,
        profiles=tuple(row.profiles),
        source=row.source,
        fingerprint=row.fingerprint,
        finding_run_id=row.finding_run_id,
        check_ids=tuple(row.check_ids),
        severity=row.severity,
        ticket_id=row.ticket_id,
    )


def _change(conn: Connection, row: Row[Any]) -> Change:
    approvals = conn.execute(
        select(change_approvals).where(change_approvals.c.change_id == row.id).order_by(change_approvals.c.id)
    ).all()
    hosts = conn.execute(
        select(change_hosts).where(change_hosts.c.change_id == row.id).order_by(change_hosts.c.host)
    ).all()
    return Change(
        id=row.id,
        status=ChangeStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        plan=_plan(row),
        requested_by=row.requested_by,
        preview_at=row.preview_at,
        preview=row.preview or {},
        approvals=[Approval(approver=a.approver, at=a.at) for a in approvals],
        host_results=[ChangeHost.model_validate(h._asdict()) for h in hosts],
        applied_at=row.applied_at,
        verify_run_id=row.verify_run_id,
        verified=row.verified,
        verification=row.verification or {},
        rolled_back_at=row.rolled_back_at,
        rollback_run_id=row.rollback_run_id,
        error=row.error,
        options=row.options or {},
    )


def get_change(store: Store, change_id: str) -> Change:
    """The change ``change_id`` (a unique prefix works too); :class:`NotFoundError` otherwise."""
    with store.read() as conn:
        row = conn.execute(select(changes).where(changes.c.id == change_id)).first()
        if row is None:
            rows = conn.execute(select(changes).where(changes.c.id.startswith(change_id, autoescape=True))).all()
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            raise NotFoundError("change", change_id, "`patrol changes` lists the change log")
        return _change(conn, row)


def matching_preview(store: Store, plan: Plan, window: timedelta, now: datetime | None = None) -> Change | None:
    """The newest change with the same plan digest, previewed within ``window``, not yet applied."""
    since = (now or utcnow()) - window
    open_states = [ChangeStatus.PREVIEWED.value, ChangeStatus.AWAITING_APPROVAL.value]
    with store.read() as conn:
        row = conn.execute(
            select(changes)
            .where(changes.c.digest == plan.digest, changes.c.status.in_(open_states), changes.c.preview_at >= since)
            .order_by(changes.c.preview_at.desc())
            .limit(1)
        ).first()
        return _change(conn, row) if row is not None else None


def latest_preview(store: Store, plan: Plan, window: timedelta, now: datetime | None = None) -> Change | None:
    """The newest change of the same plan digest previewed within ``window``, in whatever state
    (an approval of a change already applying or applied is refused by name, not "no preview")."""
    since = (now or utcnow()) - window
    with store.read() as conn:
        row = conn.execute(
            select(changes)
            .where(changes.c.digest == plan.digest, changes.c.preview_at >= since)
            .order_by(changes.c.preview_at.desc())
            .limit(1)
        ).first()
        return _change(conn, row) if row is not None else None


def list_changes(store: Store, host: str | None = None, limit: int = 50) -> list[Change]:
    """Newest first; ``host`` keeps the changes that touched (or planned to touch) that host."""
    with store.read() as conn:
        rows = conn.execute(select(changes).order_by(changes.c.created_at.desc(), changes.c.id.desc())).all()
        found = [row for row in rows if host is None or host in (row.hosts or [])]
        return [_change(conn, row) for row in found[:limit]]
