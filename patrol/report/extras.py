"""Run-report sections read from later stages: tickets this run moved, drift summary, per-check lines.

``ticket_lines(store, run_id)`` -> ``TicketMoves``::

    {"opened": [{"id": 3, "priority": "urgent", "host": "core-sw1", "check_id": "ntp.synced",
                 "title": "NTP not synchronised", "state": "submitted"}],
     "reopened": [...], "resolved": [...]}

``drift_summary(findings)`` -> ``DriftSummary`` (drift findings are check ids starting with
``drift.`` or ``golden.``)::

    {"total": 4, "by_host": {"core-sw1": 3, "fw1": 1}, "by_severity": {"urgent": 1, "normal": 3, ...},
     "items": [Finding, ...]}

``check_lines(store, run_id)`` -> ``{host: [CheckLine]}``, one line per (host, check): the worst
outcome over its objects (fail > error > not_evaluated > pass > not_applicable).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel, Field
from sqlalchemy import select

from patrol.i18n import pick
from patrol.models import CheckResult, Finding, Severity
from patrol.store import Store
from patrol.tickets.repo import title_zh

__all__ = [
    "DRIFT_PREFIXES",
    "CheckLine",
    "DriftSummary",
    "TicketLine",
    "TicketMoves",
    "check_lines",
    "drift_summary",
    "is_drift",
    "ticket_lines",
]

DRIFT_PREFIXES = ("drift.", "golden.")
_OUTCOME_RANK = {"fail": 4, "error": 3, "not_evaluated": 2, "pass": 1, "not_applicable": 0}


class TicketLine(BaseModel):
    id: int
    priority: Severity
    host: str | None = None
    check_id: str | None = None
    title: str
    state: str


class TicketMoves(BaseModel):
    opened: list[TicketLine] = Field(default_factory=list)
    reopened: list[TicketLine] = Field(default_factory=list)
    resolved: list[TicketLine] = Field(default_factory=list)


class DriftSummary(BaseModel):
    total: int = 0
    by_host: dict[str, int] = Field(default_factory=dict)
    by_severity: dict[str, int] = Field(default_factory=dict)
    items: list[Finding] = Field(default_factory=list)


class CheckLine(BaseModel):
    check_id: str
    outcome: str
    objects: int
    failed_objects: list[str] = Field(default_factory=list)
    message: str = ""


def is_drift(check_id: str) -> bool:
    return check_id.startswith(DRIFT_PREFIXES)


def drift_summary(findings: list[Finding]) -> DriftSummary:
    """The drift part of a run's findings."""
    items = [f for f in findings if is_drift(f.check_id)]
    severities = Counter(f.severity.value for f in items)
    return DriftSummary(
        total=len(items),
        by_host=dict(sorted(Counter(f.host for f in items).items())),
        by_severity={s.value: severities.get(s.value, 0) for s in Severity},
        items=items,
    )


def ticket_lines(store: Store, run_id: str, lang: str = "en") -> TicketMoves:
    """Tickets opened, reopened and resolved by run ``run_id`` (its ticket events), titled in ``lang``."""
    from patrol.store.schema_tickets import ticket_events, tickets

    e, t = ticket_events.c, tickets.c
    query = (
        select(e.action, t.id, t.priority, t.host, t.check_id, t.title, t.state, title_zh())
        .join(tickets, t.id == e.ticket_id)
        .where(e.run_id == run_id, e.action.in_(["opened", "reopened", "resolved"]))
        .order_by(e.id)
    )
    with store.read() as conn:
        rows = conn.execute(query).all()
    moves = TicketMoves()
    for row in rows:
        line = TicketLine(id=row.id, priority=Severity(row.priority), host=row.host, check_id=row.check_id,
                          title=pick(row.title, row.title_zh, lang), state=row.state)  # fmt: skip
        getattr(moves, row.action).append(line)
    return moves


def check_lines(results: list[CheckResult]) -> dict[str, list[CheckLine]]:
    """One line per (host, check) with the worst outcome over the check's objects."""
    grouped: dict[tuple[str, str], list[CheckResult]] = defaultdict(list)
    for r in results:
        grouped[(r.host, r.check_id)].append(r)
    lines: dict[str, list[CheckLine]] = defaultdict(list)
    for (host, check_id), found in sorted(grouped.items()):
        worst = max(found, key=lambda r: _OUTCOME_RANK.get(r.outcome.value, 0))
        failed = [r.object or "-" for r in found if r.outcome.value == "fail"]
        lines[host].append(CheckLine(check_id=check_id, outcome=worst.outcome.value, objects=len(found),
                                     failed_objects=failed, message=worst.message))  # fmt: skip
    return dict(lines)
