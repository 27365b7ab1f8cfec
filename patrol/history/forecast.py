"""Capacity forecasts: days until a resource reaches its threshold, with an honest band.

Series come from the metric store's ``resources`` table (``used_percent`` per host/kind/name over
the runs; filled from the snapshots' resources).
The fit is robust:

* **gaps** (missed runs, unreachable days) are simply absent points; time is real days;
* **resets** (a clean-up or an expansion: a drop of ``RESET_DROP`` points or more between two
  observations) start a new segment; only the last segment is fitted;
* the slope is **Theil-Sen** (median of pairwise slopes), insensitive to outliers; the band uses
  the 10th and 90th percentile of the pairwise slopes;
* a segment of more than ``FIT_POINTS`` observations is **binned** first: its time span is cut
  into ``FIT_POINTS`` equal slices and each non-empty slice is one point (mean time, mean value).
  The pairwise slopes grow with the square of the points (a year of daily runs: 66,000 pairs per
  series, 60 bins: 1,770), and bin means of a linear trend lie on the same line, so the slope and
  the days to the threshold keep their meaning; the band of bin means is narrower than the one of
  raw points (averaging removes some day-to-day noise). ``points`` stays the number of observations.

Series with the same number of (binned) points are fitted together as matrices (``_fit_many``);
the result is the one of :func:`fit` on each series.

``forecast(store, metric, since, horizon_days)`` -> list of :class:`Forecast`::

    Forecast(host="nas1", kind="volume", name="/vol/data", threshold=85.0, points=120,
             current=65.8, slope_per_day=0.2, days=96.0, days_low=88.0, days_high=105.0,
             status="ok", reason="")

``status`` is ``ok`` (days within the horizon), ``beyond`` (later than the horizon or not growing),
``reached`` (already at/over the threshold) or ``too_few_points`` (reason names how many are needed).
A resource whose latest observation is at or over the threshold is ``reached`` from its first
observation — no minimum of points, nothing to fit — with ``over_since`` the first day of that
stretch over the threshold (``reason``: "already over since 2026-11-30: 92.0% >= 85%").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from patrol.errors import ReportError
from patrol.history.frames import History, load_history
from patrol.store import Store

__all__ = ["FIT_POINTS", "METRICS", "MIN_POINTS", "RESET_DROP", "Forecast", "fit", "forecast", "metric_series",
           "resource_label"]

#: metric -> (resource kinds, default threshold %)
METRICS: dict[str, tuple[tuple[str, ...], float]] = {
    "storage": (("volume", "filesystem", "flash", "lun", "pool"), 85.0),
    "memory": (("memory", "swap"), 90.0),
    "interface": (("interface", "bandwidth"), 80.0),
}
MIN_POINTS = 7
MIN_SPAN_DAYS = 7.0
RESET_DROP = 10.0
#: at most this many points per fitted segment (more observations are binned; see the module docstring)
FIT_POINTS = 60
#: the percentiles of the pairwise slopes: the fit (median), the fast-growth and the slow-growth end of the band
_QUANTILES = (0.5, 0.9, 0.1)


@dataclass
class Forecast:
    host: str
    kind: str
    name: str
    threshold: float
    points: int
    current: float | None = None
    slope_per_day: float | None = None
    days: float | None = None
    days_low: float | None = None
    days_high: float | None = None
    status: str = "ok"
    reason: str = ""
    #: ``reached``: the date (YYYY-MM-DD) of the first observation of its latest stretch over the threshold
    over_since: str | None = None

    @property
    def label(self) -> str:
        """``volume /vol/data``; just ``flash`` when the name already says the kind (no "flash flash")."""
        return resource_label(self.kind, self.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resource_label(kind: str, name: str, kind_label: str | None = None) -> str:
    """A resource in words: ``volume /vol/data``; the name alone when it starts with the kind (``flash``,
    ``memory``); ``kind_label``: the kind in the reader's language."""
    if name.casefold().startswith(kind.casefold()):
        return name
    return f"{kind_label or kind} {name}"


def _series_sql(metric: str) -> str:
    kinds = ", ".join("'" + k.replace("'", "''") + "'" for k in METRICS[metric][0])
    return (f"SELECT \"at\", host::VARCHAR AS host, kind::VARCHAR AS kind, name::VARCHAR AS name, used_percent "
            f"FROM resources WHERE kind IN ({kinds}) AND used_percent IS NOT NULL "
            f'ORDER BY host, kind, name, "at"')  # fmt: skip


def metric_series(store: Store, metric: str, since: datetime | None = None, until: datetime | None = None, *,
                  history: History | None = None) -> pd.DataFrame:  # fmt: skip
    """``at, host, kind, name, used_percent`` of the metric's resources over the runs in the window
    (``history``: an already loaded window), sorted by series then time."""
    if metric not in METRICS:
        raise ReportError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
    h = history or load_history(store, since, until, tickets=False)
    return h.sql(_series_sql(metric))


def _last_segment(days: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    drops = np.nonzero(np.diff(used) <= -RESET_DROP)[0]
    start = int(drops[-1]) + 1 if len(drops) else 0
    return days[start:], used[start:]


def _bin(x: np.ndarray, y: np.ndarray, limit: int = FIT_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` points: the means of the non-empty ones of ``limit`` equal slices of the span."""
    if len(x) <= limit:
        return x, y
    slot = _slices(x - x[0], x[-1] - x[0], limit)
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    counts = np.diff(np.r_[starts, len(x)])
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts


def _slices(offset: np.ndarray, span: np.ndarray | float, limit: int) -> np.ndarray:
    """The slice (0 .. limit-1) of each point ``offset`` days after its segment's start, of ``span`` days."""
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.floor(offset * limit / span)
    return np.clip(np.nan_to_num(index), 0, limit - 1).astype(np.int64)


def _pairwise_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    ok = dx > 0
    return (y[j][ok] - y[i][ok]) / dx[ok]


def _pair_diffs(a: np.ndarray) -> np.ndarray:
    """``a[..., j] - a[..., i]`` for every pair ``i < j`` of the last axis (in diagonal order: the
    pairs one apart, then two apart...; contiguous slices, several times faster than gathering)."""
    m = a.shape[-1]
    out = np.empty((*a.shape[:-1], m * (m - 1) // 2))
    pos = 0
    for gap in range(1, m):
        np.subtract(a[..., gap:], a[..., :-gap], out=out[..., pos : pos + m - gap])
        pos += m - gap
    return out


def _quantiles(slopes: np.ndarray) -> np.ndarray:
    """``_QUANTILES`` of each row of ``slopes`` (numpy's linear method, as ``np.percentile``), one column
    each; sorts ``slopes`` in place (no copy of the largest array of the fit; numpy's vectorised sort
    is several times faster than a partition at the six order statistics)."""
    n = slopes.shape[-1]
    pos = np.array(_QUANTILES) * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    t = pos - lo
    slopes.sort(axis=-1)
    a, b = slopes[..., lo], slopes[..., hi]
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _days_to(threshold: float, level: float, slope: float) -> float | None:
    return (threshold - level) / slope if slope > 1e-9 else None


def fit(at: pd.Series, used: pd.Series, threshold: float, key: tuple[str, str, str],
        horizon_days: float) -> Forecast:  # fmt: skip
    """Theil-Sen fit of one series' last segment; see the module docstring."""
    days = ((at - at.iloc[0]).dt.total_seconds() / 86400).to_numpy(dtype=float)
    return _fit(days, used.to_numpy(dtype=float), threshold, key, horizon_days)


def _fit(days: np.ndarray, used: np.ndarray, threshold: float, key: tuple[str, str, str],
         horizon_days: float) -> Forecast:  # fmt: skip
    x, y = _last_segment(days, used)
    result = Forecast(*key, threshold=threshold, points=len(x), current=float(y[-1]) if len(y) else None)
    if len(x) < MIN_POINTS or x[-1] - x[0] < MIN_SPAN_DAYS:
        result.status = "too_few_points"
        result.reason = (f"{len(x)} point(s) over {x[-1] - x[0] if len(x) else 0:.0f} day(s) since the last reset; "
                         f"a forecast needs at least {MIN_POINTS} points over {MIN_SPAN_DAYS:.0f} days")  # fmt: skip
        return result
    x, y = _bin(x, y)
    slope, low, high = (float(v) for v in _quantiles(_pairwise_slopes(x, y)))  # fast growth: fewest days
    level = float(np.median(y - slope * x)) + slope * float(x[-1])  # the fitted level today
    return _finish(result, slope, level, low, high, horizon_days)


def _finish(result: Forecast, slope: float, level: float, low: float, high: float, horizon_days: float) -> Forecast:
    threshold = result.threshold
    result.slope_per_day, result.current = round(slope, 4), round(level, 1)
    if level >= threshold:
        result.status, result.days, result.reason = "reached", 0.0, f"already at {level:.1f}% (>= {threshold:g}%)"
        return result
    result.days = _round(_days_to(threshold, level, slope))
    result.days_low = _round(_days_to(threshold, level, low))
    result.days_high = _round(_days_to(threshold, level, high))
    if result.days is None or result.days > horizon_days:
        result.status = "beyond"
        result.reason = "not growing" if result.days is None else f"beyond the {horizon_days:g}-day horizon"
    return result


#: pairwise-slope matrix cells per batch of the vectorised fit (8 bytes each: small enough to stay in cache)
_BATCH_CELLS = 500_000


def _segments(lo: np.ndarray, hi: np.ndarray, used: np.ndarray) -> np.ndarray:
    """The first point of each series' last segment (series ``k`` is ``lo[k]:hi[k]``)."""
    drops = np.flatnonzero(np.diff(used) <= -RESET_DROP) + 1  # a point that starts a new segment
    if not len(drops):
        return lo
    idx = np.searchsorted(drops, hi, side="left") - 1
    cand = drops[np.maximum(idx, 0)]
    return np.where((idx >= 0) & (cand > lo), cand, lo)


def _bin_many(lo: np.ndarray, start: np.ndarray, hi: np.ndarray, days: np.ndarray,
              used: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`_bin` of every series' last segment ``start[k]:hi[k]`` at once (the same arithmetic, so the
    same points): days relative to the series' first point ``lo[k]``, values, and each series' offsets."""
    n = hi - start
    owner = np.repeat(np.arange(len(start)), n)
    point = np.repeat(start, n) + (np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n))
    x = days[point] - np.repeat(days[lo], n)
    first = np.repeat(days[start] - days[lo], n)
    span = np.repeat(days[hi - 1] - days[lo], n) - first
    slot = np.where(np.repeat(n > FIT_POINTS, n), _slices(x - first, span, FIT_POINTS), point)
    starts = np.flatnonzero(np.r_[True, (owner[1:] != owner[:-1]) | (slot[1:] != slot[:-1])])
    counts = np.diff(np.r_[starts, len(owner)])
    bx = np.add.reduceat(x, starts) / counts
    by = np.add.reduceat(used[point], starts) / counts
    return bx, by, np.r_[0, np.cumsum(np.bincount(owner[starts], minlength=len(start)))]


def _fit_many(keys: list[tuple[str, str, str]], lo: np.ndarray, hi: np.ndarray, days: np.ndarray, used: np.ndarray,
              threshold: float, horizon_days: float) -> list[Forecast]:  # fmt: skip
    """:func:`fit` of many series at once (series ``k`` is ``days[lo[k]:hi[k]]``, sorted by time): series
    whose binned last segment has the same number of points are fitted together as matrices; same results."""
    start = _segments(lo, hi, used)
    results: list[Forecast | None] = [None] * len(keys)
    short = (hi - start < MIN_POINTS) | (days[hi - 1] - days[start] < MIN_SPAN_DAYS)
    for k in np.flatnonzero(short).tolist():  # the scalar fit says why
        results[k] = _fit(days[lo[k] : hi[k]] - days[lo[k]], used[lo[k] : hi[k]], threshold, keys[k], horizon_days)
    ks_all = np.flatnonzero(~short)
    if not len(ks_all):
        return [r for r in results if r is not None]
    bx, by, offsets = _bin_many(lo[ks_all], start[ks_all], hi[ks_all], days, used)
    by_m: dict[int, list[int]] = {}
    for r, m in enumerate(np.diff(offsets).tolist()):
        by_m.setdefault(m, []).append(r)
    for m, members in by_m.items():
        step = max(1, _BATCH_CELLS // max(m * (m - 1) // 2, 1))
        for b in range(0, len(members), step):
            rs = np.array(members[b : b + step])
            ks = ks_all[rs]
            rows = offsets[rs][:, None] + np.arange(m)
            x, y = bx[rows], by[rows]
            slopes = _pair_diffs(y)
            if (x == x[0]).all():  # the usual case: every series observed by the same runs
                dx1 = _pair_diffs(x[0])
                good: np.ndarray = np.full(len(ks), bool((dx1 > 0).all()))
                slopes /= np.where(dx1 > 0, dx1, 1.0)
            else:
                dx = _pair_diffs(x)
                good = np.asarray((dx > 0).all(axis=1))
                slopes /= np.where(dx > 0, dx, 1.0)
            slope, low, high = _quantiles(slopes).T
            level = np.median(y - slope[:, None] * x, axis=1) + slope * x[:, -1]
            for r, k in enumerate(ks.tolist()):
                if not good[r]:  # two points at the same time: the scalar fit drops those pairs
                    results[k] = _fit(days[lo[k]:hi[k]] - days[lo[k]], used[lo[k]:hi[k]], threshold, keys[k],
                                      horizon_days)  # fmt: skip
                    continue
                h_, k_, n_ = keys[k]
                result = Forecast(h_, k_, n_, threshold, int(hi[k] - start[k]), current=float(used[hi[k] - 1]))
                results[k] = _finish(result, float(slope[r]), float(level[r]), float(low[r]), float(high[r]),
                                     horizon_days)  # fmt: skip
    return [r for r in results if r is not None]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def forecast(store: Store, metric: str, since: datetime | None, horizon_days: float,
             threshold: float | None = None, *, until: datetime | None = None,
             history: History | None = None) -> list[Forecast]:  # fmt: skip
    """One forecast per resource of ``metric``, soonest first (too-few-points last)."""
    limit = threshold if threshold is not None else METRICS.get(metric, ((), 0.0))[1]
    if metric not in METRICS:
        raise ReportError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
    h = history or load_history(store, since, until, tickets=False)
    table = _resource_series(h)
    table = table.filter(pc.is_in(table.column("kind"), pa.array(METRICS[metric][0], pa.string())))
    results: list[Forecast] = []
    if table.num_rows:
        times, used = table.column("t").combine_chunks(), table.column("u").combine_chunks()
        offsets = times.offsets.to_numpy() - times.offsets[0].as_py()  # flatten() starts at the first offset
        stamps, values = times.flatten().to_numpy(), used.flatten().to_numpy().astype(float)
        stamps, values = _by_time(offsets, stamps, values)
        keys = list(zip(*(table.column(c).to_pylist() for c in ("host", "kind", "name")), strict=True))
        results = _fit_many(keys, offsets[:-1], offsets[1:], stamps.astype(float) / 86_400e6, values, limit,
                            horizon_days)  # fmt: skip
        _mark_over(results, offsets, stamps, values)
    order = {"reached": 0, "ok": 1, "beyond": 2, "too_few_points": 3}
    return sorted(results, key=lambda f: (order[f.status], f.days if f.days is not None else 1e9, f.host, f.name,
                                          f.kind))  # fmt: skip


def _day(epoch_us: float) -> str:
    return pd.Timestamp(int(epoch_us), unit="us", tz="UTC").strftime("%Y-%m-%d")


def _mark_over(results: list[Forecast], offsets: np.ndarray, stamps: np.ndarray, values: np.ndarray) -> None:
    """Series ``k`` (``offsets[k]:offsets[k+1]``, result ``results[k]``) whose latest observation is at or
    over its threshold: ``reached`` since the first observation of that stretch, however few points."""
    for k, f in enumerate(results):
        t, u = stamps[offsets[k] : offsets[k + 1]], values[offsets[k] : offsets[k + 1]]
        if not len(u):
            continue
        if u[-1] < f.threshold:
            f.over_since = _day(t[-1]) if f.status == "reached" else None  # the fitted level is over
            continue
        below = np.flatnonzero(u < f.threshold)
        f.over_since = _day(t[int(below[-1]) + 1 if len(below) else 0])
        f.status, f.days, f.days_low, f.days_high = "reached", 0.0, None, None
        f.current = round(float(u[-1]), 1)
        f.reason = f"already over since {f.over_since}: {f.current:g}% >= {f.threshold:g}%"


def _resource_series(h: History) -> pa.Table:
    """``host, kind, name, t (epoch us list), u (used % list)`` of every resource of every metric of the
    window, one row per series; read once per :class:`History` (a proposal run forecasts several metrics)."""
    kinds = ", ".join("'" + k.replace("'", "''") + "'" for group, _ in METRICS.values() for k in group)
    query = (
        f'SELECT host::VARCHAR AS host, kind::VARCHAR AS kind, name::VARCHAR AS name, list(epoch_us("at")) AS t, '
        f"list(used_percent) AS u FROM resources WHERE kind IN ({kinds}) AND used_percent IS NOT NULL GROUP BY ALL"
    )
    table: pa.Table = h.once("resource_series", lambda: h.con.sql(query).to_arrow_table())
    return table


def _by_time(offsets: np.ndarray, stamps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each series' points in time order (DuckDB's ``list()`` keeps the scan order, usually already sorted:
    an ``ORDER BY`` inside the aggregate costs more than this check)."""
    step = np.diff(stamps)
    inside = np.ones(len(step), dtype=bool)
    inside[offsets[1:-1] - 1] = False  # the step from one series to the next
    if not len(step) or (step[inside] >= 0).all():
        return stamps, values
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    order = np.lexsort((stamps, owner))
    return stamps[order], values[order]
