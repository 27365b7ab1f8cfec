"""The monthly service report (``patrol report --period 2026-10``): the month's history as data.

``build_period(store, "2026-10", lang, contract, rules)`` -> :class:`PeriodReport`::

    PeriodReport(period="2026-10", start=2026-10-01T00:00Z, end=2026-11-01T00:00Z, lang="en",
                 runs=31, coverage_percent=97.8,                 # None when the month has no run
                 compliance={"network": 96.1, "storage": 99.0},  # % of evaluated checks passed
                 findings_by_severity={"critical": 0, "urgent": 2, ...},   # the month's last run
                 opened=14, reopened=3, resolved=12, sla=[{priority, tickets, resolved, mttr_hours, met, missed,
                 attainment_percent}], repeat_checks=[{check_id, findings, hosts}],
                 proposals=[Proposal.to_dict()], charts={"compliance": b"\\x89PNG…", "tickets": …})

A month without runs is a report that says "no data" (``runs == 0``), never 100%. Everything is
cut at the month's end: runs, tickets, events and the proposals only count what was observed
before it (a later run never changes a past month's report).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from patrol.errors import ReportError
from patrol.history import ticketflow
from patrol.history.charts import compliance_chart, opened_resolved_chart
from patrol.history.frames import History, load_history
from patrol.history.proposals import Rule, propose
from patrol.history.trends import compliance, opened_resolved, repeat_offenders, sla_attainment
from patrol.i18n import resolve
from patrol.models import Severity
from patrol.store import Store
from patrol.tickets.contract import ServiceContract

__all__ = ["PeriodReport", "build_period", "parse_period"]


@dataclass
class PeriodReport:
    period: str
    start: datetime
    end: datetime
    lang: str
    runs: int = 0
    coverage_percent: float | None = None
    compliance: dict[str, float] = field(default_factory=dict)
    findings_by_severity: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    reopened: int = 0
    resolved: int = 0
    sla: list[dict[str, Any]] = field(default_factory=list)
    repeat_checks: list[dict[str, Any]] = field(default_factory=list)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, bytes] = field(default_factory=dict)


def parse_period(value: str) -> tuple[datetime, datetime]:
    """``2026-10`` -> (2026-10-01, 2026-11-01) in UTC; :class:`ReportError` for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ReportError(f"--period {value!r}: expected a month as YYYY-MM, e.g. 2026-10")
    year, month = int(match[1]), int(match[2])
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in out.to_dict(orient="records")]


def _fill(report: PeriodReport, h: History, contract: ServiceContract) -> None:
    runs = h.runs
    report.runs = len(runs)
    report.coverage_percent = round(float(100 * runs["inspected"].sum() / max(runs["hosts"].sum(), 1)), 1)
    comp = compliance(h, "domain")
    totals = comp.groupby("key")[["passed", "evaluated"]].sum()
    report.compliance = {str(k): round(float(100 * r.passed / r.evaluated), 1) for k, r in totals.iterrows()}
    last = h.sql("SELECT severity::VARCHAR AS severity, count(*)::BIGINT AS n FROM findings "
                 "WHERE run_id::VARCHAR = ? GROUP BY ALL", [str(runs["run_id"].iloc[-1])])  # fmt: skip
    counts = dict(zip(last["severity"], last["n"], strict=True))
    report.findings_by_severity = {s.value: int(counts.get(s.value, 0)) for s in Severity}
    moved = ticketflow.counts(h)  # the same moves as the SLA table's clocks and the weekly chart
    report.opened, report.reopened, report.resolved = moved["opened"], moved["reopened"], moved["resolved"]
    report.sla = _records(sla_attainment(h, contract, min(report.end, datetime.now(UTC))))
    report.repeat_checks = _records(repeat_offenders(h, 5)[1])
    if not comp.empty:
        report.charts["compliance"] = compliance_chart(comp, report.lang)
    weekly = opened_resolved(h)
    if not weekly.empty:
        report.charts["tickets"] = opened_resolved_chart(weekly, report.lang)


def build_period(store: Store, period: str, lang: str, contract: ServiceContract, rules: list[Rule]) -> PeriodReport:
    """Everything the monthly report shows about ``period`` (``YYYY-MM``)."""
    start, end = parse_period(period)
    report = PeriodReport(period, start, end, resolve(lang))
    history = load_history(store, start, end)  # nothing observed after the month counts
    if history.empty:
        return report
    _fill(report, history, contract)
    found = propose(store, rules, contract, start, min(end, datetime.now(UTC)), report.lang)  # cut at the end too
    report.proposals = [p.to_dict() for p in found[:10]]
    return report
