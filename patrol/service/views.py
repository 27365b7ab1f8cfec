"""What the dashboard pages show beyond plain store reads: drift against baseline and trend charts.

``host_drift(store, host, run_id)`` is ``patrol diff HOST --from baseline --to RUN`` as data
(:func:`patrol.drift.timetravel.resolve_point` / :func:`~patrol.drift.timetravel.diff_points`,
items classified as by :func:`patrol.drift.render.as_data`): the side-by-side rows (baseline left,
latest right, indented by hierarchy), the config items with their severity and the state
changes, secrets masked. No baseline gives a :class:`DriftView` with ``missing`` set.

Charts are PNG ``data:`` URIs from :mod:`patrol.history.charts` (compliance over time and
tickets opened vs resolved from :func:`patrol.history.trends` over :data:`TREND_DAYS` days; a
host's capacity from :func:`patrol.history.forecast.metric_series`). Each is computed at most
once per :data:`CHART_SECONDS` per key and language (:class:`TtlCache`), rendering is
serialised (pyplot is not thread-safe), and an empty history gives ``None`` — the page says
"no data" instead of drawing an empty axis or a 100 %. Analytics that fail leave the page up
with the reason (``"error"``) in place of the chart. Findings per run is an inline SVG bar chart
(:func:`patrol.service.svg.bar_chart`), each bar a link to the run's report.

A run in progress (``runs.status = 'running'``) has one ``host_results`` row per planned host,
``pending`` until the host's result arrives: :func:`run_progress` counts the others as done.
A finding links to its ticket (same fingerprint: :func:`finding_tickets`) and to its history
(:func:`check_history`: the check's result on the host in each recent run).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from markupsafe import Markup

from patrol.drift.engine import DriftData
from patrol.drift.timetravel import Row
from patrol.errors import NotFoundError, PatrolError
from patrol.i18n import catalogue, is_zh, resolve
from patrol.models import Finding, RunSummary, utcnow
from patrol.redact import mask_markers
from patrol.store import Store
from patrol.store.rows import PENDING, HostRow
from patrol.tickets import ServiceContract, Ticket

__all__ = [
    "CHART_SECONDS",
    "TREND_DAYS",
    "DriftView",
    "Progress",
    "TtlCache",
    "capacity_chart",
    "chart_alts",
    "check_history",
    "finding_tickets",
    "fleet_availability",
    "fleet_charts",
    "host_drift",
    "run_progress",
    "trend_chart",
]

log = logging.getLogger(__name__)

CHART_SECONDS = 60.0
TREND_DAYS = 90
CAPACITY_METRICS = ("storage", "memory", "interface", "database", "connections")


@dataclass
class DriftView:
    """Baseline vs latest for one host; ``missing`` says why there is nothing to compare."""

    before: str = ""
    after: str = ""
    rows: list[Row] = field(default_factory=list)
    items: list[dict[str, str]] = field(default_factory=list)
    state: list[dict[str, str]] = field(default_factory=list)
    missing: str | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.items or self.state)


@cache
def _drift_data() -> DriftData:
    return DriftData.load()


def host_drift(store: Store, host: str, run_id: str) -> DriftView:
    """``patrol diff HOST --from baseline --to RUN`` as a :class:`DriftView`."""
    from patrol.drift.timetravel import diff_points, resolve_point

    data = _drift_data()
    try:
        before = resolve_point(store, host, "baseline")
    except NotFoundError as exc:
        return DriftView(missing=str(exc))
    report = diff_points(data, before, resolve_point(store, host, run_id))
    items = [{"kind": i.kind, "object": mask_markers(i.object), "severity": data.rules.classify("config", i.object)
              .severity.value} for i in report.config]  # fmt: skip
    state = [{"path": c.path, "before": mask_markers(str(c.before)), "after": mask_markers(str(c.after))}
             for c in report.state]  # fmt: skip
    return DriftView(before.label, report.after.label, report.rows, items, state)


class TtlCache:
    """``get(key, compute)``: the cached value while younger than ``seconds``, else computed again."""

    def __init__(self, seconds: float = CHART_SECONDS) -> None:
        self.seconds = seconds
        self._values: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:  # one computation at a time: charts share pyplot's global state
            hit = self._values.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.seconds:
                return hit[1]
            value = compute()
            self._values[key] = (time.monotonic(), value)
            return value


_CHARTS = TtlCache()


def _fleet_charts(store: Store, contract: ServiceContract, lang: str) -> dict[str, str | None]:
    from patrol.history.charts import compliance_chart, data_uri, opened_resolved_chart
    from patrol.history.trends import trends

    now = utcnow()
    frames = trends(store, now - timedelta(days=TREND_DAYS), "domain", contract, now).frames
    compliance, tickets = frames["compliance"], frames["opened_resolved"]
    has_tickets = not tickets.empty and int(tickets[["opened", "resolved"]].to_numpy().sum()) > 0
    lang = resolve(lang)
    return {
        "compliance": data_uri(compliance_chart(compliance, lang)) if not compliance.empty else None,
        "opened_resolved": data_uri(opened_resolved_chart(tickets, lang)) if has_tickets else None,
    }


def _guarded(compute: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Analytics that fail (history store unreadable) leave the page up: ``{"error": message}``."""

    def run() -> dict[str, Any]:
        try:
            return compute() | {"error": None}
        except PatrolError as exc:
            log.warning("dashboard chart not drawn: %s", exc)
            return {"error": str(exc)}

    return run


def fleet_charts(store: Store, contract: ServiceContract, lang: str, cache: TtlCache = _CHARTS) -> dict[str, Any]:
    """``{"compliance": data-URI | None, "opened_resolved": data-URI | None, "error": None | why}``, per language."""
    compute = _guarded(lambda: _fleet_charts(store, contract, lang))
    result: dict[str, Any] = cache.get(("fleet", id(store), lang), compute)
    return result


def _availability(store: Store, contract: ServiceContract) -> list[dict[str, Any]]:
    from patrol.history.availability import availability
    from patrol.history.frames import load_history

    frame = availability(load_history(store, utcnow() - timedelta(days=TREND_DAYS)), "group",
                         contract.availability_targets)  # fmt: skip
    out = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in out.to_dict(orient="records")]


def fleet_availability(store: Store, contract: ServiceContract, cache: TtlCache = _CHARTS) -> dict[str, Any]:
    """``{"rows": [{"key", "runs", "healthy", "degraded", "unknown", "percent", "target", "met"} …], "error"}``:
    availability per group over :data:`TREND_DAYS` days (:mod:`patrol.history.availability`)."""
    compute = _guarded(lambda: {"rows": _availability(store, contract)})
    result: dict[str, Any] = cache.get(("availability", id(store)), compute)
    return result


def _capacity(store: Store, host: str, lang: str) -> str | None:
    import pandas as pd

    from patrol.history.charts import CHART_LABELS, data_uri, line_chart
    from patrol.history.forecast import metric_series, resource_label

    since = utcnow() - timedelta(days=TREND_DAYS)
    series: dict[str, pd.Series] = {}
    for metric in CAPACITY_METRICS:
        frame = metric_series(store, metric, since)
        for (kind, name), group in frame[frame["host"] == host].groupby(["kind", "name"]):
            series[resource_label(str(kind), str(name))] = group.set_index("at")["used_percent"]
    if not series:
        return None
    labels = catalogue(CHART_LABELS, lang)
    title = f"{host}: {'容量' if is_zh(lang) else 'capacity'}"
    ylabel = "使用率 (%)" if is_zh(lang) else "Used (%)"
    png = line_chart(series, title, labels["date"], ylabel, extra=lambda ax: ax.set_ylim(0, 100))
    return data_uri(png)


def capacity_chart(store: Store, host: str, lang: str, cache: TtlCache = _CHARTS) -> dict[str, Any]:
    """``{"chart": data-URI | None, "error": None | why}``: used % of the host's resources over time."""
    compute = _guarded(lambda: {"chart": _capacity(store, host, lang)})
    result: dict[str, Any] = cache.get(("capacity", id(store), host, lang), compute)
    return result


@dataclass(frozen=True)
class Progress:
    """A run in progress: ``done`` of ``total`` planned hosts have their result."""

    run_id: str
    done: int
    total: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.done / self.total, 1) if self.total else 0.0


def run_progress(run: RunSummary, hosts: list[HostRow]) -> Progress:
    return Progress(run.run_id, sum(1 for h in hosts if h.status != PENDING), len(hosts))


def trend_chart(runs: list[RunSummary], text: dict[str, str], status: Callable[[Any], str] = str) -> Markup:
    """Findings per run, oldest left, as a labelled SVG bar chart; a bar links to the run's HTML report.
    ``status`` names a run's status in the page's language."""
    from patrol.service.svg import Bar, bar_chart

    bars = [Bar(r.started_at.strftime("%m-%d %H:%M"), sum(r.findings_by_severity.values()),
                f"{r.run_id}: {sum(r.findings_by_severity.values())} ({r.coverage_percent}%, {status(r.status.value)})",
                f"/ui/runs/{r.run_id}/report?format=html") for r in reversed(runs)]  # fmt: skip
    return bar_chart(text["trend"], text["axis_run"], text["axis_findings"], bars, "trend")


def chart_alts(lang: str) -> dict[str, str]:
    """The PNG charts' alt texts: title and both axes, as drawn."""
    from patrol.history.charts import CHART_LABELS

    L = catalogue(CHART_LABELS, resolve(lang))
    return {"compliance": f"{L['compliance_title']} ({L['date']} / {L['compliance']})",
            "opened_resolved": f"{L['or_title']} ({L['week']} / {L['tickets']})"}  # fmt: skip


def finding_tickets(findings: list[Finding], tickets: list[Ticket]) -> dict[str, Ticket]:
    """Fingerprint -> the newest ticket of that finding."""
    by_print = {t.fingerprint: t for t in sorted(tickets, key=lambda t: t.id) if t.fingerprint}
    return {f.fingerprint: by_print[f.fingerprint] for f in findings if f.fingerprint in by_print}


@dataclass(frozen=True)
class Sighting:
    """One run of the host: its status and, for a check, the result (``None``: not evaluated)."""

    run: RunSummary
    status: str
    outcome: str | None = None
    message: str = ""


def check_history(store: Store, host: str, check: str | None, runs: int = 30) -> list[Sighting]:
    """The host in each of the last ``runs`` runs that planned it, newest first; with ``check``,
    that check's outcome there (the worst of its objects)."""
    order = {"fail": 0, "error": 1, "pass": 2, "not_applicable": 3, "not_evaluated": 4}
    seen = []
    for run in store.list_runs(runs):
        row = next((h for h in store.host_results(run.run_id) if h.host == host), None)
        if row is None:
            continue
        if check is None:
            seen.append(Sighting(run, row.status))
            continue
        results = [r for r in store.check_results(run.run_id, host) if r.check_id == check]
        worst = min(results, key=lambda r: order.get(r.outcome.value, 9), default=None)
        seen.append(Sighting(run, row.status, worst.outcome.value if worst else None,
                             mask_markers(worst.message) if worst else ""))  # fmt: skip
    return seen
