"""``/metrics`` in the Prometheus text exposition format (version 0.0.4), computed from the store.

::

    # TYPE patrol_last_run_duration_seconds gauge
    patrol_last_run_duration_seconds 12.4
    patrol_last_run_hosts{state="inspected"} 11
    patrol_last_run_hosts{state="failed"} 2
    patrol_last_run_findings{severity="critical"} 3
    patrol_open_tickets{priority="urgent"} 4
    patrol_sla_breaches 1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from patrol.models import Severity, utcnow
from patrol.store import Store
from patrol.tickets import ServiceContract, TicketFilter, clocks, list_tickets

__all__ = ["render_metrics"]


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    return lines + [f"{name}{labels} {value:g}" for labels, value in samples]


def _run_lines(store: Store) -> list[str]:
    recent = store.list_runs(1)
    if not recent:
        return []
    last = recent[0]
    duration = (last.finished_at - last.started_at).total_seconds() if last.finished_at else 0.0
    return [
        *_family("patrol_last_run_duration_seconds", "gauge", "Wall time of the latest run.", [("", duration)]),
        *_family("patrol_last_run_hosts", "gauge", "Hosts of the latest run by state.", [
            ('{state="total"}', last.hosts_total), ('{state="inspected"}', last.hosts_inspected),
            ('{state="failed"}', last.hosts_total - last.hosts_inspected)]),
        *_family("patrol_last_run_findings", "gauge", "Findings of the latest run by severity.",
                 [(f'{{severity="{s.value}"}}', last.findings_by_severity.get(s.value, 0)) for s in Severity]),
    ]  # fmt: skip


def render_metrics(store: Store, contract: ServiceContract) -> str:
    """The metrics text, newline-terminated."""
    open_tickets = list_tickets(store, TicketFilter(state="open"))
    by_priority = Counter(t.priority.value for t in open_tickets)
    now = utcnow()
    breaches = sum(1 for t in open_tickets for c in clocks(t, contract, now) if c.status == "breached")
    lines = [
        *_run_lines(store),
        *_family("patrol_runs", "gauge", "Runs kept in the store (latest 1000) by status.",
                 [(f'{{status="{k}"}}', v) for k, v in sorted(Counter(
                     r.status.value for r in store.list_runs(1000)).items())]),
        *_family("patrol_open_tickets", "gauge", "Open tickets by priority.",
                 [(f'{{priority="{s.value}"}}', by_priority.get(s.value, 0)) for s in Severity]),
        *_family("patrol_sla_breaches", "gauge", "Open ticket clocks past their deadline.", [("", breaches)]),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
