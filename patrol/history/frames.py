"""The store's history as pandas DataFrames (read only; one query per frame).

A run's time is when its devices were observed: the earliest ``host_results.started_at``
(falls back to ``runs.started_at``). Frames and their columns::

    runs      run_id, at, status, hosts, inspected
    checks    run_id, at, host, domain, groups (list), check_id, object, outcome
    findings  run_id, at, host, domain, check_id, object, severity
    tickets   id, priority, state, host, check_id, clock_start, created_at, resolved_at, recurrence
    events    ticket_id, at, action ("opened" | "reopened" | "resolved")
    resources run_id, at, host, kind, name, used_percent          (from snapshots, for forecasts)
    versions  host, platform, os_version                          (latest snapshot of each host)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Integer, func, select

from patrol.store import Store
from patrol.store import schema as t

__all__ = ["History", "latest_versions", "load_history", "run_times"]

_EMPTY: dict[str, list[str]] = {
    "runs": ["run_id", "at", "status", "hosts", "inspected"],
    "checks": ["run_id", "at", "host", "domain", "groups", "check_id", "object", "outcome"],
    "findings": ["run_id", "at", "host", "domain", "check_id", "object", "severity"],
    "tickets": ["id", "priority", "state", "host", "check_id", "clock_start", "created_at", "resolved_at",
                "recurrence"],
    "events": ["ticket_id", "at", "action"],
}


@dataclass
class History:
    """Every frame of the history since ``since`` (``None``: all of it)."""

    since: datetime | None
    runs: pd.DataFrame
    checks: pd.DataFrame
    findings: pd.DataFrame
    tickets: pd.DataFrame
    events: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.runs.empty


def _frame(rows: Sequence[Any], name: str) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=_EMPTY[name])
    for column in ("at", "clock_start", "created_at", "resolved_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def run_times(store: Store, since: datetime | None = None) -> pd.DataFrame:
    """``runs`` frame: one row per run, oldest first."""
    hr, r = t.host_results.c, t.runs.c
    first = (select(hr.run_id, func.min(hr.started_at).label("at"), func.count().label("hosts"),
                    func.sum((hr.status == "ok").cast(Integer)).label("inspected"))
             .group_by(hr.run_id).subquery())  # fmt: skip
    at = func.coalesce(first.c.at, r.started_at)
    query = select(r.id, at, r.status, func.coalesce(first.c.hosts, 0), func.coalesce(first.c.inspected, 0))
    query = query.outerjoin(first, first.c.run_id == r.id).where(r.status != "running")
    with store.read() as conn:
        frame = _frame(conn.execute(query).all(), "runs")
    if since is not None:
        frame = frame[frame["at"] >= pd.Timestamp(since)]
    return frame.sort_values("at").reset_index(drop=True)


def _checks(store: Store, runs: pd.DataFrame) -> pd.DataFrame:
    c, hr = t.check_results.c, t.host_results.c
    ids = list(runs["run_id"])
    with store.read() as conn:
        rows = conn.execute(select(c.run_id, c.host, c.check_id, c.object, c.outcome).where(c.run_id.in_(ids))).all()
        hosts = conn.execute(select(hr.run_id, hr.host, hr.device_class, hr.groups).where(hr.run_id.in_(ids))).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["run_id", "host", "check_id", "object", "outcome"])
    meta = pd.DataFrame([tuple(r) for r in hosts], columns=["run_id", "host", "domain", "groups"])
    frame = frame.merge(meta, on=["run_id", "host"], how="inner").merge(runs[["run_id", "at"]], on="run_id")
    return frame[_EMPTY["checks"]]


def _findings(store: Store, runs: pd.DataFrame) -> pd.DataFrame:
    f = t.findings.c
    query = select(f.run_id, f.host, f.domain, f.check_id, f.object, f.severity).where(
        f.run_id.in_(list(runs["run_id"])))  # fmt: skip
    with store.read() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows],
                         columns=["run_id", "host", "domain", "check_id", "object", "severity"])  # fmt: skip
    return frame.merge(runs[["run_id", "at"]], on="run_id", how="inner")[_EMPTY["findings"]]


def _tickets(store: Store, since: datetime | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from patrol.store.schema_tickets import ticket_events, tickets

    k, e = tickets.c, ticket_events.c
    tq = select(k.id, k.priority, k.state, k.host, k.check_id, k.clock_start, k.created_at, k.resolved_at,
                k.recurrence).where(k.klass == "defect")  # fmt: skip
    eq = select(e.ticket_id, e.at, e.action).where(e.action.in_(["opened", "reopened", "resolved"]))
    if since is not None:
        eq = eq.where(e.at >= since)
    with store.read() as conn:
        return _frame(conn.execute(tq).all(), "tickets"), _frame(conn.execute(eq).all(), "events")


def load_history(store: Store, since: datetime | None = None) -> History:
    """Runs since ``since`` and everything they recorded, plus the tickets and their events."""
    runs = run_times(store, since)
    tickets, events = _tickets(store, since)
    return History(since, runs, _checks(store, runs), _findings(store, runs), tickets, events)


def latest_versions(store: Store, h: History) -> pd.DataFrame:
    """``host, platform, os_version`` from each host's latest snapshot among the period's runs."""
    if h.checks.empty:
        return pd.DataFrame(columns=["host", "platform", "os_version"])
    last = h.checks.sort_values("at").groupby("host")["run_id"].last()
    s = t.snapshots.c
    pairs = {(run_id, host) for host, run_id in last.items()}
    with store.read() as conn:
        rows = conn.execute(select(s.run_id, s.host, s.document).where(s.run_id.in_({r for r, _ in pairs}))).all()
    data = [(r.host, r.document.get("platform"), (r.document.get("facts") or {}).get("os_version"))
            for r in rows if (r.run_id, r.host) in pairs]  # fmt: skip
    frame = pd.DataFrame(data, columns=["host", "platform", "os_version"])
    return frame.dropna(subset=["os_version"])
