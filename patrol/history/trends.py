"""History analytics (pandas) behind ``patrol trends``; every function takes a :class:`History`.

``trends(store, since, by, now)`` -> :class:`Trends`, whose ``to_dict()`` is the JSON shape::

    {"since": "2026-08-28T00:00:00Z", "runs": 90, "by": "domain",
     "compliance": [{"date": "2026-11-26", "key": "network", "passed": 120, "evaluated": 130,
                     "percent": 92.3}],
     "opened_resolved": [{"week": "2026-11-23", "opened": 4, "resolved": 6}],
     "sla": [{"priority": "urgent", "tickets": 10, "resolved": 8, "mttr_hours": 5.2,
              "met": 7, "missed": 3, "attainment_percent": 70.0}],
     "repeat_hosts": [{"host": "core-sw1", "findings": 41, "checks": 3}],
     "repeat_checks": [{"check_id": "net.ntp.servers", "findings": 90, "hosts": 5}],
     "flapping": [{"host": "agg-sw1", "check_id": "net.interfaces.oper_down", "object": "Gi0/2/1",
                   "flips": 6}],
     "version_sprawl": [{"platform": "cisco_ios", "versions": 4, "hosts": 12,
                         "detail": {"15.8(3)M2": 8, ...}}],
     "drift": [{"host": "core-sw1", "drift_findings": 9, "runs_with_drift": 5, "runs": 90}]}

Nothing is invented from no data: a key without evaluated checks has no compliance row, a
priority without closed clocks has ``attainment_percent: null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from patrol.history.frames import History, load_history
from patrol.models import Severity, utcnow
from patrol.report.extras import DRIFT_PREFIXES
from patrol.store import Store
from patrol.tickets.contract import ServiceContract

__all__ = ["BY", "Trends", "compliance", "flapping", "opened_resolved", "repeat_offenders", "sla_attainment",
           "trends", "version_sprawl"]  # fmt: skip

BY = ("domain", "group", "check")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in out.to_dict(orient="records")]


def compliance(h: History, by: str = "domain") -> pd.DataFrame:
    """Per run day and key: checks passed / checks evaluated (pass + fail) in %.

    Coverage checks are left out (a host not inspected has no compliance that day, not 0% or 100%).
    """
    cols = ["date", "key", "passed", "evaluated", "percent"]
    checks = h.checks[h.checks["outcome"].isin(["pass", "fail"]) & ~h.checks["check_id"].str.startswith("coverage.")]
    if checks.empty:
        return pd.DataFrame(columns=cols)
    if by == "group":
        checks = checks.explode("groups").dropna(subset=["groups"]).rename(columns={"groups": "key"})
    else:
        checks = checks.assign(key=checks["domain" if by == "domain" else "check_id"])
    checks = checks.assign(date=checks["at"].dt.strftime("%Y-%m-%d"), ok=checks["outcome"] == "pass")
    grouped = checks.groupby(["date", "key"])["ok"].agg(passed="sum", evaluated="count").reset_index()
    grouped["percent"] = (100 * grouped["passed"] / grouped["evaluated"]).round(1)
    return grouped[cols]


def opened_resolved(h: History) -> pd.DataFrame:
    """Per week (Monday): tickets opened (incl. reopened) and resolved."""
    if h.events.empty:
        return pd.DataFrame(columns=["week", "opened", "resolved"])
    ev = h.events.assign(week=h.events["at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time,
                         kind=h.events["action"].replace({"reopened": "opened"}))  # fmt: skip
    table = ev.pivot_table(index="week", columns="kind", values="ticket_id", aggfunc="count", fill_value=0)
    table = table.reindex(columns=["opened", "resolved"], fill_value=0).reset_index()
    table["week"] = table["week"].dt.strftime("%Y-%m-%d")
    return table


def sla_attainment(h: History, contract: ServiceContract, now: datetime) -> pd.DataFrame:
    """Per priority: tickets, resolved, MTTR (hours, clock start -> resolved) and resolve-clock attainment."""
    rows = []
    for sev in Severity:
        mine = h.tickets[h.tickets["priority"] == sev.value]
        limit = contract.clock(sev).resolve
        done = mine.dropna(subset=["resolved_at"])
        mttr = (done["resolved_at"] - done["clock_start"]).dt.total_seconds().mean() / 3600 if len(done) else None
        met = missed = 0
        if limit is not None:
            deadline = mine["clock_start"] + pd.Timedelta(limit)
            met = int((done["resolved_at"] <= deadline.loc[done.index]).sum())
            open_late = mine["resolved_at"].isna() & (deadline < pd.Timestamp(now))
            missed = int(len(done) - met + open_late.sum())
        closed = met + missed
        rows.append({"priority": sev.value, "tickets": len(mine), "resolved": len(done),
                     "mttr_hours": None if mttr is None or pd.isna(mttr) else round(float(mttr), 1),
                     "met": met, "missed": missed,
                     "attainment_percent": round(100 * met / closed, 1) if closed else None})  # fmt: skip
    return pd.DataFrame(rows)


def repeat_offenders(h: History, top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hosts and checks with the most findings over the period (a finding counts once per run)."""
    f = h.findings[~h.findings["check_id"].str.startswith("coverage.")]
    hosts = f.groupby("host").agg(findings=("check_id", "size"), checks=("check_id", "nunique")).reset_index()
    checks = f.groupby("check_id").agg(findings=("host", "size"), hosts=("host", "nunique")).reset_index()
    return (hosts.sort_values(["findings", "host"], ascending=[False, True]).head(top),
            checks.sort_values(["findings", "check_id"], ascending=[False, True]).head(top))  # fmt: skip


def flapping(h: History, min_flips: int = 3) -> pd.DataFrame:
    """(host, check, object) whose outcome changed between pass and fail at least ``min_flips`` times.

    Coverage checks are left out: a host that is sometimes unreachable is a coverage gap, not a flap.
    """
    c = h.checks[h.checks["outcome"].isin(["pass", "fail"]) & ~h.checks["check_id"].str.startswith("coverage.")]
    c = c.sort_values("at")
    if c.empty:
        return pd.DataFrame(columns=["host", "check_id", "object", "flips"])
    failing = c["outcome"].eq("fail").astype(int)
    keys = [c["host"], c["check_id"], c["object"]]
    changed = failing.groupby(keys).diff().abs().fillna(0)
    flips = changed.groupby(keys).sum().astype(int).rename("flips").reset_index()
    flips.columns = ["host", "check_id", "object", "flips"]
    return flips[flips["flips"] >= min_flips].sort_values("flips", ascending=False)


def drift_frequency(h: History) -> pd.DataFrame:
    """Per host: drift findings, runs with drift, runs in which the host was inspected."""
    inspected = h.checks.groupby("host")["run_id"].nunique().rename("runs")
    d = h.findings[h.findings["check_id"].str.startswith(DRIFT_PREFIXES)]
    per = d.groupby("host").agg(drift_findings=("check_id", "size"), runs_with_drift=("run_id", "nunique"))
    out = per.join(inspected, how="left").fillna(0).astype(int).reset_index()
    return out.sort_values("drift_findings", ascending=False)


def version_sprawl(store: Store, h: History) -> pd.DataFrame:
    """Per platform: distinct OS/firmware versions on each host's latest snapshot in the period."""
    from patrol.history.frames import latest_versions

    v = latest_versions(store, h)
    if v.empty:
        return pd.DataFrame(columns=["platform", "versions", "hosts", "detail"])
    rows = [{"platform": p, "versions": int(g["os_version"].nunique()), "hosts": len(g),
             "detail": {str(k): int(n) for k, n in g["os_version"].value_counts().items()}}
            for p, g in v.groupby("platform")]  # fmt: skip
    return pd.DataFrame(rows).sort_values("versions", ascending=False)


@dataclass
class Trends:
    since: datetime | None
    by: str
    runs: int
    frames: dict[str, pd.DataFrame]

    def to_dict(self) -> dict[str, Any]:
        head: dict[str, Any] = {"since": self.since.isoformat() if self.since else None, "runs": self.runs,
                                "by": self.by}  # fmt: skip
        return head | {name: _records(frame) for name, frame in self.frames.items()}


def trends(store: Store, since: datetime | None, by: str, contract: ServiceContract,
           now: datetime | None = None) -> Trends:  # fmt: skip
    """Every analytic of the period; an empty history gives empty frames (and ``runs: 0``)."""
    h = load_history(store, since)
    hosts, checks = repeat_offenders(h)
    frames = {
        "compliance": compliance(h, by), "opened_resolved": opened_resolved(h),
        "sla": sla_attainment(h, contract, now or utcnow()), "repeat_hosts": hosts, "repeat_checks": checks,
        "flapping": flapping(h), "version_sprawl": version_sprawl(store, h), "drift": drift_frequency(h),
    }  # fmt: skip
    return Trends(since, by, len(h.runs), frames)
