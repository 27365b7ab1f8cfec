"""History analytics behind ``patrol trends``; every function takes a :class:`History`.

The per-run facts are aggregated in DuckDB over the Parquet metric store (``h.sql``); only the
small results are pandas frames. Tickets and their events are pandas frames from SQL.

``trends(store, since, by, now)`` -> :class:`Trends`, whose ``to_dict()`` is the JSON shape::

    {"since": "2026-08-28T00:00:00Z", "runs": 90, "by": "domain",
     "compliance": [{"date": "2026-11-26", "key": "network", "passed": 120, "evaluated": 130,
                     "percent": 92.3}],
     "opened_resolved": [{"week": "2026-11-23", "opened": 4, "resolved": 6}],
     "sla": [{"priority": "urgent", "tickets": 10, "resolved": 8, "mttr_hours": 5.2,
              "met": 7, "missed": 3, "attainment_percent": 70.0}],   # tickets: SLA clocks (ticketflow)
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

import numpy as np
import pandas as pd
import pyarrow as pa

from patrol.history import ticketflow
from patrol.history.frames import History, load_history
from patrol.history.metricschema import naive_utc
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


_EVALUATED = "outcome IN ('pass', 'fail') AND NOT starts_with(check_id, 'coverage.')"


def compliance(h: History, by: str = "domain") -> pd.DataFrame:
    """Per run day and key: checks passed / checks evaluated (pass + fail) in %.

    Coverage checks are left out (a host not inspected has no compliance that day, not 0% or 100%).
    """
    cols = ["date", "key", "passed", "evaluated", "percent"]
    if by == "group":
        source = ('(SELECT c."at", c.outcome, c.check_id, g.key FROM checks c JOIN '
                  "(SELECT run_id, host, unnest(groups) AS key FROM hosts) g USING (run_id, host))")  # fmt: skip
    else:
        key = "domain" if by == "domain" else "check_id"
        source = f'(SELECT "at", outcome, check_id, {key} AS key FROM checks)'
    grouped = h.sql(f"SELECT strftime(day, '%Y-%m-%d') AS date, key, passed, evaluated FROM "
                    f"(SELECT \"at\"::DATE AS day, key::VARCHAR AS key, count_if(outcome = 'pass')::BIGINT AS passed, "
                    f"count(*)::BIGINT AS evaluated FROM {source} WHERE {_EVALUATED} AND key IS NOT NULL "
                    f"GROUP BY ALL) ORDER BY date, key")  # fmt: skip
    if grouped.empty:
        return pd.DataFrame(columns=cols)
    grouped["percent"] = (100 * grouped["passed"] / grouped["evaluated"]).round(1)
    return grouped[cols]


def opened_resolved(h: History) -> pd.DataFrame:
    """Per week (Monday): tickets opened (incl. reopened) and resolved (:func:`ticketflow.weekly`)."""
    return ticketflow.weekly(h)


def sla_attainment(h: History, contract: ServiceContract, now: datetime) -> pd.DataFrame:
    """Per priority, over the SLA clocks that started or ended in the window (:func:`ticketflow.clocks`;
    a recurring ticket counts once per clock): ``tickets`` (clocks), ``resolved`` (clocks ended by a
    resolution in the window), MTTR (hours, clock start -> resolved) and resolve-clock attainment
    (``met``/``missed``: resolved in / after time, or still running past the deadline at ``now``)."""
    every = ticketflow.clocks(h)
    end_of_view = pd.Timestamp(min(now, h.until) if h.until is not None else now)
    rows = []
    for sev in Severity:
        mine = every[every["priority"] == sev.value]
        limit = contract.clock(sev).resolve
        done = mine.dropna(subset=["end"])
        mttr = (done["end"] - done["start"]).dt.total_seconds().mean() / 3600 if len(done) else None
        met = missed = 0
        if limit is not None:
            deadline = mine["start"] + pd.Timedelta(limit)
            met = int((done["end"] <= deadline.loc[done.index]).sum())
            open_late = mine["end"].isna() & (deadline < end_of_view)
            missed = int(len(done) - met + open_late.sum())
        closed = met + missed
        rows.append({"priority": sev.value, "tickets": len(mine), "resolved": len(done),
                     "mttr_hours": None if mttr is None or pd.isna(mttr) else round(float(mttr), 1),
                     "met": met, "missed": missed,
                     "attainment_percent": round(100 * met / closed, 1) if closed else None})  # fmt: skip
    return pd.DataFrame(rows)


def repeat_offenders(h: History, top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hosts and checks with the most findings over the period (a finding counts once per run)."""
    where = "NOT starts_with(check_id, 'coverage.')"
    hosts = h.sql(f"SELECT host::VARCHAR AS host, count(*)::BIGINT AS findings, "
                  f"count(DISTINCT check_id)::BIGINT AS checks FROM findings WHERE {where} "
                  f"GROUP BY ALL ORDER BY findings DESC, host LIMIT {int(top)}")  # fmt: skip
    checks = h.sql(f"SELECT check_id::VARCHAR AS check_id, count(*)::BIGINT AS findings, "
                   f"count(DISTINCT host)::BIGINT AS hosts FROM findings WHERE {where} "
                   f"GROUP BY ALL ORDER BY findings DESC, check_id LIMIT {int(top)}")  # fmt: skip
    return hosts, checks


def transitions(h: History) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pass/fail sequences of every (host, check, object) that failed at least once in the window:
    ``(flips, rises)`` = per key ``host, check_id, object, flips`` (pass <-> fail changes) and per
    rise ``host, check_id, object, at_us`` (it went to fail after not failing, the first failure of
    the window included; UTC epoch microseconds). Kept in ``h.cache`` (computed once per window).

    When the change index holds the window's runs (``h.indexed``, the usual case) the result comes
    from its change and failure rows (:func:`_from_index`); otherwise the check rows are scanned.
    A key is observed at most once per run, so the observations form a keys x runs matrix (one
    byte a cell: 24,000 keys x 90 runs is 2 MB): DuckDB joins each row to its key's row (a hash
    join on the key hash), its time gives the run's column, numpy fills the matrix and reads each
    key's observations in run order from it — no sort or aggregation of the millions of check rows.
    A window where a key repeats within one run, two runs share a time, or too large for the matrix
    takes the general path: per key one sorted list of ``time * 2 + failing``.
    """
    result: tuple[pd.DataFrame, pd.DataFrame] = h.once("transitions", lambda: _transitions(h))
    return result


#: largest keys x runs matrix of :func:`transitions` (cells; about 3 bytes each with its masks)
_MATRIX_CELLS = 50_000_000


def _transitions(h: History) -> tuple[pd.DataFrame, pd.DataFrame]:
    if h.indexed:
        return _from_index(h)
    db = h.con
    keys = db.sql("SELECT hash(host, check_id, object) AS k, any_value(host)::VARCHAR AS host, "
                  "any_value(check_id)::VARCHAR AS check_id, any_value(object)::VARCHAR AS object "
                  "FROM checks WHERE outcome = 'fail' GROUP BY k").to_arrow_table()  # fmt: skip
    names = keys.select(["host", "check_id", "object"]).to_pandas()
    found = _by_matrix(db, keys, names)
    if found is not None:
        return found
    lists = db.sql("SELECT hash(host, check_id, object) AS k, list_sort(list(epoch_us(\"at\") * 2 + "
                   "(outcome = 'fail')::BIGINT)) AS c FROM checks WHERE outcome IN ('pass', 'fail') "
                   "GROUP BY k HAVING bool_or(outcome = 'fail')").to_arrow_table()  # fmt: skip
    meta = names.set_index(keys.column("k").to_numpy()).reindex(lists.column("k").to_numpy()).reset_index(drop=True)
    codes = lists.column("c").combine_chunks()
    values = codes.flatten().to_numpy()
    return _changes(meta, codes.offsets.to_numpy()[:-1], (values & 1).astype(bool), values >> 1)


def _from_index(h: History) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`transitions` from the change index (the window's ``changes`` view: its changes and
    failing observations), without the check rows. A flip is a change whose previous observation is in the
    window; a rise is a change to failing, or a key's first failure of the window that is no change
    (it was failing before the window: its first observation in the window is that failure)."""
    start = f"TIMESTAMP '{naive_utc(h.since):%Y-%m-%d %H:%M:%S.%f}'" if h.since is not None else None
    inner = f"coalesce(prev_at >= {start}, false)" if start else "prev_at IS NOT NULL"
    rows = h.con.sql(
        "WITH f AS MATERIALIZED (SELECT host, check_id, object, min(epoch_us(\"at\")) AS at_us FROM changes "
        "WHERE failing GROUP BY ALL), "
        f"c AS MATERIALIZED (SELECT host, check_id, object, epoch_us(\"at\") AS at_us, failing, {inner} AS within "
        "FROM changes WHERE change) "
        "SELECT 0 AS part, f.host, f.check_id, f.object, count(c.within)::BIGINT AS n FROM f "
        "LEFT JOIN (SELECT * FROM c WHERE within) c USING (host, check_id, object) GROUP BY ALL "
        "UNION ALL SELECT 1, host, check_id, object, at_us FROM c WHERE failing "
        "UNION ALL SELECT 1, host, check_id, object, at_us FROM f "
        "ANTI JOIN c USING (host, check_id, object, at_us)"
    ).df()  # fmt: skip
    keys = rows[rows["part"] == 0]
    rises = rows[rows["part"] == 1]
    return (keys[["host", "check_id", "object"]].assign(flips=keys["n"].astype("int64")).reset_index(drop=True),
            rises[["host", "check_id", "object"]].assign(at_us=rises["n"].astype("int64")).reset_index(drop=True))


def _by_matrix(db: Any, keys: pa.Table, names: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The keys x runs path of :func:`transitions`; None when it does not apply."""
    times = np.sort(db.sql('SELECT epoch_us("at") AS at_us FROM runs').fetchnumpy()["at_us"])
    n_keys, n_runs = keys.num_rows, len(times)
    if not n_keys or n_keys * n_runs > _MATRIX_CELLS or (n_runs > 1 and not (np.diff(times) > 0).all()):
        return None  # (two runs observed at the same time would share a column)
    db.register("transition_keys", pa.table({"k": keys.column("k"),
                                             "ki": pa.array(np.arange(n_keys, dtype=np.int32))}))  # fmt: skip
    try:
        found = db.sql('SELECT f.ki, epoch_us(c."at") AS at_us, (c.outcome = \'fail\')::TINYINT AS fail '
                       "FROM checks c JOIN transition_keys f ON hash(c.host, c.check_id, c.object) = f.k "
                       "WHERE c.outcome IN ('pass', 'fail')").fetchnumpy()  # fmt: skip
    finally:
        db.unregister("transition_keys")
    ki, at_us = found["ki"], found["at_us"]
    ri = np.minimum(np.searchsorted(times, at_us), n_runs - 1)
    if not (times[ri] == at_us).all():  # a row of a run the window does not list
        return None
    state = np.full(n_keys * n_runs, -1, dtype=np.int8)  # row k: key k, column r: run r
    state[ki.astype(np.int64) * n_runs + ri] = found["fail"]
    cells = np.flatnonzero(state >= 0)  # key by key, each in run order
    if len(cells) != len(ki):  # a key observed twice in one run: the general path
        return None
    row = cells // n_runs
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    if len(starts) != n_keys:  # every key has its failure at least, unless the files changed meanwhile
        return None
    return _changes(names, starts, state[cells] == 1, times[cells - row * n_runs])


def _changes(meta: pd.DataFrame, starts: np.ndarray, failing: np.ndarray,
             at_us: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Flips per key and rises from each key's observations (key ``k`` from ``starts[k]``, in time order)."""
    prev = np.zeros(len(failing), dtype=bool)
    prev[1:] = failing[:-1]
    prev[starts] = False  # each key's first observation has no previous one
    changed = failing != prev
    changed[starts] = False
    flips = np.add.reduceat(changed.astype(np.int64), starts) if len(failing) else np.zeros(0, np.int64)
    per_key = meta.reset_index(drop=True).assign(flips=flips)
    rise = np.flatnonzero(failing & ~prev)
    owner = np.searchsorted(starts, rise, side="right") - 1
    rises = meta.iloc[owner].reset_index(drop=True).assign(at_us=at_us[rise])
    return per_key[["host", "check_id", "object", "flips"]], rises


def flapping(h: History, min_flips: int = 3) -> pd.DataFrame:
    """(host, check, object) whose outcome changed between pass and fail at least ``min_flips`` times.

    Coverage checks are left out: a host that is sometimes unreachable is a coverage gap, not a flap.
    """
    t = transitions(h)[0]
    t = t[(t["flips"] >= min_flips) & ~t["check_id"].str.startswith("coverage.")]
    t = t.sort_values(["flips", "host", "check_id", "object"], ascending=[False, True, True, True])
    return t[["host", "check_id", "object", "flips"]].reset_index(drop=True)


def drift_frequency(h: History) -> pd.DataFrame:
    """Per host: drift findings, runs with drift, runs in which the host was inspected."""
    match = " OR ".join(f"starts_with(check_id, '{p}')" for p in DRIFT_PREFIXES)
    return h.sql(f"WITH d AS (SELECT host, count(*)::BIGINT AS drift_findings, "
                 f"count(DISTINCT run_id)::BIGINT AS runs_with_drift FROM findings WHERE {match} GROUP BY host), "
                 f"i AS (SELECT host, count(DISTINCT run_id)::BIGINT AS runs FROM checks "
                 f"WHERE host IN (SELECT host FROM d) GROUP BY host) "
                 f"SELECT d.host::VARCHAR AS host, drift_findings, runs_with_drift, coalesce(i.runs, 0) AS runs "
                 f"FROM d LEFT JOIN i USING (host) ORDER BY drift_findings DESC, host")  # fmt: skip


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
