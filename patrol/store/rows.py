"""Typed rows read back from the store, and the run summary computed from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row

from patrol.models import DeviceClass, Finding, HostStatus, RunStatus, RunSummary, Severity
from patrol.store import schema as t

__all__ = ["PENDING", "HostRow", "finding_from_row", "host_row", "summary"]

#: Status of a planned host whose result has not arrived (yet).
PENDING = "pending"


class HostRow(BaseModel):
    """One planned host of one run, as stored.

    ``{"host": "branch-sw9", "status": "unreachable", "error": "connection refused",
    "device_class": "network", "platform": "cisco_ios", "groups": ["network", "access"],
    "collector": "netmiko", "started_at": ..., "finished_at": ..., "attempts": 2}``
    """

    model_config = ConfigDict(frozen=True)

    host: str
    status: HostStatus | Literal["pending"]
    error: str | None = None
    device_class: DeviceClass | None = None
    platform: str | None = None
    groups: tuple[str, ...] = ()
    collector: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0

    @property
    def inspected(self) -> bool:
        return self.status == HostStatus.OK


def finding_from_row(r: Row[Any]) -> Finding:
    return Finding(
        run_id=r.run_id,
        host=r.host,
        check_id=r.check_id,
        object=r.object,
        severity=Severity(r.severity),
        domain=DeviceClass(r.domain),
        title_en=r.title_en,
        title_zh=r.title_zh,
        message=r.message,
        evidence=r.evidence or {},
        remediation=r.remediation,
    )


def host_row(r: Row[Any]) -> HostRow:
    return HostRow(
        host=r.host,
        status=r.status,
        error=r.error,
        device_class=r.device_class,
        platform=r.platform,
        groups=tuple(r.groups or ()),
        collector=r.collector,
        started_at=r.started_at,
        finished_at=r.finished_at,
        attempts=r.attempts or 0,
    )


def _counts(conn: Connection, column: Any, run_id: str) -> dict[str, int]:
    rows = conn.execute(select(column, func.count()).where(t.findings.c.run_id == run_id).group_by(column)).all()
    return {str(key): int(n) for key, n in rows}


def summary(conn: Connection, run: Row[Any]) -> RunSummary:
    hr = t.host_results.c
    hosts = conn.execute(select(hr.host, hr.status, hr.error).where(hr.run_id == run.id).order_by(hr.host)).all()
    gaps = {h.host: f"{h.status}: {h.error}" if h.error else str(h.status) for h in hosts if h.status != "ok"}
    return RunSummary(
        run_id=run.id,
        status=RunStatus(run.status),
        started_at=run.started_at,
        finished_at=run.finished_at,
        hosts_total=len(hosts),
        hosts_inspected=len(hosts) - len(gaps),
        findings_by_severity=_counts(conn, t.findings.c.severity, run.id),
        findings_by_domain=_counts(conn, t.findings.c.domain, run.id),
        gaps=gaps,
    )
