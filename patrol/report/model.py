"""The report of one run as typed data: what both the HTML and the JSON report show.

``build_report(store, "latest")`` gives a :class:`RunReport`; its JSON (``render_json``) is::

    {
      "schema": "patrol.report/1", "generated_at": "2026-11-26T02:05:00Z", "lang": "en",
      "run": {"run_id": "20261126-020003-9f3a", "status": "completed", "started_at": ...,
              "finished_at": ..., "hosts_total": 13, "hosts_inspected": 12, ...},
      "coverage": {"inspected": 12, "total": 13, "percent": 92.3,
                   "gaps": [{"host": "branch-sw9", "status": "unreachable",
                             "reason": "connection refused"}]},
      "findings_by_severity": {"critical": 2, "urgent": 5, "normal": 6, "other": 0},   # waived ones apart
      "waived_by_severity": {"critical": 0, "urgent": 1, "normal": 0, "other": 0},
      "findings_by_domain": {"network": 8, "security": 2, "host": 3, "storage": 1},
      "findings": [Finding, ...],                       # worst first; "waived": true + "waiver" {...}
      "hosts": [{"host": "core-sw1", "status": "ok", "error": null, "device_class": "network",
                 "platform": "cisco_ios", "groups": [...], "collector": "netmiko",
                 "facts": {"hostname": ..., "os_version": ...},
                 "check_counts": {"pass": 9, "fail": 4, "not_applicable": 1, "error": 0,
                                  "not_evaluated": 0},
                 "findings": [Finding, ...],
                 "interfaces": [{"name", "admin_up", "oper_up", "description"}],
                 "resources": [{"kind", "name", "used_percent"}],
                 "checks": [{"check_id": "ntp.synced", "outcome": "fail", "objects": 1,
                             "failed_objects": ["-"], "message": "..."}]}],
      "changes": [...],                                 # remediation changes re-inspected
      "tickets": {"opened": [TicketLine], "reopened": [...], "resolved": [...]},
      "drift": {"total": 4, "by_host": {...}, "by_severity": {...}, "items": [Finding, ...]}
    }
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from patrol.i18n import resolve
from patrol.models import DeviceClass, Finding, Outcome, RunSummary, Severity, Snapshot, utcnow
from patrol.report.extras import CheckLine, DriftSummary, TicketMoves, check_lines, drift_summary, ticket_lines
from patrol.store import HostRow, Store
from patrol.tickets.waivers import count_waived, mark_waived

__all__ = ["REPORT_SCHEMA", "Coverage", "Gap", "HostReport", "RunReport", "build_report"]

REPORT_SCHEMA = "patrol.report/1"


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Gap(_Model):
    host: str
    status: str
    reason: str


class Coverage(_Model):
    inspected: int
    total: int
    percent: float
    gaps: list[Gap] = Field(default_factory=list)


class HostReport(_Model):
    host: str
    status: str
    error: str | None = None
    device_class: DeviceClass | None = None
    platform: str | None = None
    groups: list[str] = Field(default_factory=list)
    collector: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    check_counts: dict[str, int] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    interfaces: list[dict[str, Any]] = Field(default_factory=list)
    resources: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[CheckLine] = Field(default_factory=list)

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


class ChangeLine(_Model):
    """A remediation change that this run verified or rolled back (the change log's summary)."""

    id: str
    status: str
    playbook: str
    hosts: list[str]
    approvers: list[str]
    applied_at: datetime | None = None
    verified: bool | None = None
    role: str  # "verification" | "rollback"


class RunReport(_Model):
    report_schema: str = Field(default=REPORT_SCHEMA, alias="schema")
    generated_at: datetime = Field(default_factory=utcnow)
    lang: str = "en"
    run: RunSummary
    coverage: Coverage
    findings_by_severity: dict[str, int]
    waived_by_severity: dict[str, int] = Field(default_factory=dict)
    findings_by_domain: dict[str, int]
    findings: list[Finding]
    hosts: list[HostReport]
    changes: list[ChangeLine] = Field(default_factory=list)
    tickets: TicketMoves = Field(default_factory=TicketMoves)
    drift: DriftSummary = Field(default_factory=DriftSummary)


def _gap(row: HostRow) -> Gap:
    return Gap(host=row.host, status=str(row.status), reason=row.error or "no result recorded")


def _host_report(store: Store, run_id: str, row: HostRow, findings: list[Finding]) -> HostReport:
    snapshot: Snapshot | None = store.snapshot(run_id, row.host)
    results = store.check_results(run_id, row.host)
    counts = Counter(r.outcome.value for r in results)
    report = HostReport(
        host=row.host,
        status=str(row.status),
        error=row.error,
        device_class=row.device_class,
        platform=row.platform,
        groups=list(row.groups),
        collector=row.collector,
        check_counts={o.value: counts.get(o.value, 0) for o in Outcome},
        findings=[f for f in findings if f.host == row.host],
        checks=check_lines(results).get(row.host, []),
    )
    if snapshot is not None:
        report.facts = snapshot.facts.model_dump(mode="json", exclude_none=True)
        report.interfaces = [
            i.model_dump(mode="json", include={"name", "admin_up", "oper_up", "description"})
            for i in snapshot.interfaces
        ]
        report.resources = [
            r.model_dump(mode="json", include={"kind", "name", "used_percent"}) for r in snapshot.resources
        ]
    return report


def build_report(store: Store, run_id: str, lang: str = "en") -> RunReport:
    """Everything the report shows about run ``run_id`` (``latest``, an id or a unique prefix)."""
    run_id = store.resolve_run(run_id)
    summary = store.run_summary(run_id)
    rows = store.host_results(run_id)
    findings = mark_waived(store, summary, store.findings(run_id))
    by_severity = Counter(f.severity.value for f in findings if not f.waived)
    waived = Counter(f.severity.value for f in findings if f.waived)
    by_domain = Counter(f.domain.value for f in findings if not f.waived)
    return RunReport(
        lang=resolve(lang),
        run=count_waived(summary, findings),
        coverage=Coverage(
            inspected=summary.hosts_inspected,
            total=summary.hosts_total,
            percent=summary.coverage_percent,
            gaps=[_gap(r) for r in rows if not r.inspected],
        ),
        findings_by_severity={s.value: by_severity.get(s.value, 0) for s in Severity},
        waived_by_severity={s.value: waived.get(s.value, 0) for s in Severity},
        findings_by_domain={d.value: by_domain.get(d.value, 0) for d in DeviceClass},
        findings=findings,
        hosts=[_host_report(store, run_id, row, findings) for row in rows],
        changes=_changes(store, run_id),
        tickets=ticket_lines(store, run_id, lang),
        drift=drift_summary(findings),
    )


def _changes(store: Store, run_id: str) -> list[ChangeLine]:
    """Changes whose verification or rollback re-inspection is this run."""
    from patrol.remediate.changelog import list_changes

    lines = []
    for change in list_changes(store, limit=500):
        role = "verification" if change.verify_run_id == run_id else (
            "rollback" if change.rollback_run_id == run_id else None)  # fmt: skip
        if role:
            lines.append(ChangeLine(
                id=change.id, status=str(change.status), playbook=change.plan.playbook,
                hosts=list(change.plan.hosts), approvers=[a.approver for a in change.approvals],
                applied_at=change.applied_at, verified=change.verified, role=role,
            ))  # fmt: skip
    return lines
