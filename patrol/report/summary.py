"""Summaries derived from a :class:`RunReport` shared by the renderers.

``domain_health(report)`` -> one :class:`DomainHealth` per domain that has hosts::

    DomainHealth(domain="network", hosts=6, inspected=5,
                 by_severity={"critical": 1, "urgent": 2, "normal": 0, "other": 0})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from patrol.models import DeviceClass, Severity
from patrol.report.model import RunReport

__all__ = ["DomainHealth", "domain_health"]


@dataclass
class DomainHealth:
    domain: str
    hosts: int = 0
    inspected: int = 0
    by_severity: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Severity})


def domain_health(report: RunReport) -> list[DomainHealth]:
    """Hosts, inspected hosts and findings (not waived) by priority, per domain (domains without hosts left out)."""
    health = {d.value: DomainHealth(d.value) for d in DeviceClass}
    for h in report.hosts:
        if h.device_class is None:
            continue
        row = health[h.device_class.value]
        row.hosts += 1
        row.inspected += h.status == "ok"
    for f in report.findings:
        if f.waived:
            continue  # counted apart (report.waived_by_severity)
        health[f.domain.value].by_severity[f.severity.value] += 1
    return [row for row in health.values() if row.hosts or any(row.by_severity.values())]
