"""Baselines: the approved state of a host (or of every member of a group), versioned and attributable.

Two kinds, resolved independently for each host (its own newest baseline of the kind, else the
newest of one of its groups):

* ``snapshot``: a stored snapshot promoted by ``patrol baseline approve`` — its config (already
  redacted, secrets as keyed-hash markers) and its state fields. Drift = what changed since.
* ``template``: a golden config (jinja2) approved by ``patrol baseline template``, rendered per
  host from inventory variables. Compliance = required lines present, forbidden ones absent.

::

    b = approve_snapshot(store, run_id="20261126-020003-9f3a", host="core-sw1",
                         reason="after change CR-1182", approved_by="alice")
    b.version, b.scope, b.target        # 1, "host", "core-sw1"
    effective(store, "core-sw1", ("network", "core"), "snapshot")   # -> b
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Row, and_, func, insert, or_, select
from sqlalchemy.engine import Connection

from patrol.errors import ConfigError, NotFoundError
from patrol.models import utcnow
from patrol.store import Store
from patrol.store.schema_baselines import baselines as table

__all__ = ["Baseline", "BaselineKind", "approve_snapshot", "approve_template", "effective", "history"]

BaselineKind = Literal["snapshot", "template"]


class Baseline(BaseModel):
    """One approved baseline version (a row of ``baselines``)."""

    model_config = ConfigDict(frozen=True)

    id: int
    scope: Literal["host", "group"]
    target: str
    kind: BaselineKind
    version: int
    approved_by: str
    approved_at: datetime
    reason: str
    source_run: str | None = None
    source_host: str | None = None
    platform: str | None = None
    device_class: str | None = None
    config: str | None = None
    state: dict[str, Any] | None = None
    template_path: str | None = None
    template_sha256: str | None = None
    template: str | None = None
    rendered: dict[str, str] | None = None

    @property
    def label(self) -> str:
        """``host core-sw1 v3 (snapshot of run 2026…, approved by alice 2026-11-26 02:10 UTC)``."""
        source = f"snapshot of run {self.source_run}" if self.kind == "snapshot" else f"template {self.template_path}"
        when = self.approved_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"{self.scope} {self.target} v{self.version} ({source}, approved by {self.approved_by} {when})"

    def summary(self) -> dict[str, Any]:
        """What a finding's evidence says about the baseline (no config, no template)."""
        return self.model_dump(
            mode="json", include={"id", "scope", "target", "kind", "version", "approved_by", "approved_at", "reason",
                                  "source_run", "source_host", "template_path"},
        )  # fmt: skip


def _from_row(row: Row[Any]) -> Baseline:
    return Baseline.model_validate(row._asdict())


def _insert(conn: Connection, values: dict[str, Any]) -> Baseline:
    c = table.c
    current = conn.execute(
        select(func.max(c.version)).where(
            c.scope == values["scope"], c.target == values["target"], c.kind == values["kind"]
        )
    ).scalar()
    values = {**values, "version": (current or 0) + 1}
    new_id = conn.execute(insert(table).values(values)).inserted_primary_key[0]  # type: ignore[index]
    return _from_row(conn.execute(select(table).where(c.id == new_id)).one())


def _check_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ConfigError("--reason is required: say why this state is approved (change ticket, review)", key="reason")
    return reason.strip()


def approve_snapshot(
    store: Store,
    *,
    run_id: str,
    host: str,
    reason: str,
    approved_by: str,
    group: str | None = None,
    now: datetime | None = None,
) -> Baseline:
    """Promote ``host``'s snapshot of ``run_id`` to its baseline (or ``group``'s, from this member).

    Raises :class:`NotFoundError` when the run has no snapshot of ``host`` or ``host`` is not a
    member of ``group``; ``ConfigError`` for an empty reason. Nothing is stored then.
    """
    from patrol.drift.state import state_fields

    reason = _check_reason(reason)
    rows = {r.host: r for r in store.host_results(run_id)}
    row = rows.get(host)
    snapshot = store.snapshot(run_id, host) if row else None
    if row is None or snapshot is None:
        inspected = ", ".join(sorted(h for h, r in rows.items() if r.inspected)) or "none"
        why = "is not in that run" if row is None else f"was not inspected ({row.status})"
        raise NotFoundError("snapshot of host", host, f"{host} {why} in run {run_id}; inspected hosts: {inspected}")
    if group is not None and group not in row.groups:
        raise NotFoundError("group member", host, f"{host} is in groups {list(row.groups)}, not in {group!r}")
    values = {
        "scope": "group" if group else "host",
        "target": group or host,
        "kind": "snapshot",
        "approved_by": approved_by,
        "approved_at": now or utcnow(),
        "reason": reason,
        "source_run": run_id,
        "source_host": host,
        "platform": snapshot.platform,
        "device_class": snapshot.device_class.value,
        "config": snapshot.config,
        "state": state_fields(snapshot),
    }
    with store.write() as conn:
        return _insert(conn, values)


def approve_template(
    store: Store,
    *,
    scope: Literal["host", "group"],
    target: str,
    template_path: str,
    template: str,
    template_sha256: str,
    rendered: dict[str, str],
    reason: str,
    approved_by: str,
    now: datetime | None = None,
) -> Baseline:
    """Store a golden template baseline with its (redacted) rendering per member host."""
    values = {
        "scope": scope,
        "target": target,
        "kind": "template",
        "approved_by": approved_by,
        "approved_at": now or utcnow(),
        "reason": _check_reason(reason),
        "template_path": template_path,
        "template_sha256": template_sha256,
        "template": template,
        "rendered": rendered,
    }
    with store.write() as conn:
        return _insert(conn, values)


def _targets(host: str, groups: Sequence[str]) -> Any:
    c = table.c
    return or_(and_(c.scope == "host", c.target == host), and_(c.scope == "group", c.target.in_(list(groups))))


def history(store: Store, host: str, groups: Sequence[str] = ()) -> list[Baseline]:
    """Every baseline that applies or applied to ``host`` (its own and its groups'), newest first."""
    with store.read() as conn:
        rows = conn.execute(select(table).where(_targets(host, groups)).order_by(table.c.id.desc())).all()
    return [_from_row(r) for r in rows]


def effective(store: Store, host: str, groups: Sequence[str], kind: BaselineKind) -> Baseline | None:
    """The baseline of ``kind`` that applies to ``host`` now: its own newest, else its groups' newest."""
    c = table.c
    with store.read() as conn:
        for condition in (and_(c.scope == "host", c.target == host), and_(c.scope == "group", c.target.in_(groups))):
            row = conn.execute(select(table).where(condition, c.kind == kind).order_by(c.id.desc()).limit(1)).first()
            if row is not None:
                return _from_row(row)
    return None
