"""Capacity forecasts: days until a resource reaches its threshold, with an honest band.

Series come from the snapshots' resources (``used_percent`` per host/kind/name over the runs).
The fit is robust:

* **gaps** (missed runs, unreachable days) are simply absent points; time is real days;
* **resets** (a clean-up or an expansion: a drop of ``RESET_DROP`` points or more between two
  observations) start a new segment; only the last segment is fitted;
* the slope is **Theil-Sen** (median of pairwise slopes), insensitive to outliers; the band uses
  the 10th and 90th percentile of the pairwise slopes.

``forecast(store, metric, since, horizon_days)`` -> list of :class:`Forecast`::

    Forecast(host="nas1", kind="volume", name="/vol/data", threshold=85.0, points=120,
             current=65.8, slope_per_day=0.2, days=96.0, days_low=88.0, days_high=105.0,
             status="ok", reason="")

``status`` is ``ok`` (days within the horizon), ``beyond`` (later than the horizon or not growing),
``reached`` (already at/over the threshold) or ``too_few_points`` (reason names how many are needed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from patrol.errors import ReportError
from patrol.history.frames import run_times
from patrol.store import Store
from patrol.store import schema as t

__all__ = ["METRICS", "MIN_POINTS", "RESET_DROP", "Forecast", "fit", "forecast", "metric_series"]

#: metric -> (resource kinds, default threshold %)
METRICS: dict[str, tuple[tuple[str, ...], float]] = {
    "storage": (("volume", "filesystem", "flash", "lun", "pool"), 85.0),
    "memory": (("memory", "swap"), 90.0),
    "interface": (("interface", "bandwidth"), 80.0),
}
MIN_POINTS = 7
MIN_SPAN_DAYS = 7.0
RESET_DROP = 10.0


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def metric_series(store: Store, metric: str, since: datetime | None = None) -> pd.DataFrame:
    """``at, host, kind, name, used_percent`` of the metric's resources over the runs since ``since``."""
    if metric not in METRICS:
        raise ReportError(f"unknown metric {metric!r}; choose one of: {', '.join(METRICS)}")
    kinds = METRICS[metric][0]
    runs = run_times(store, since)
    s = t.snapshots.c
    with store.read() as conn:
        rows = conn.execute(select(s.run_id, s.host, s.collected_at, s.document).where(
            s.run_id.in_(list(runs["run_id"])))).all()  # fmt: skip
    data = [(r.collected_at, r.host, res.get("kind"), res.get("name"), res.get("used_percent"))
            for r in rows for res in r.document.get("resources") or [] if res.get("kind") in kinds]  # fmt: skip
    frame = pd.DataFrame(data, columns=["at", "host", "kind", "name", "used_percent"]).dropna()
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.sort_values("at").reset_index(drop=True)


def _last_segment(days: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    drops = np.nonzero(np.diff(used) <= -RESET_DROP)[0]
    start = int(drops[-1]) + 1 if len(drops) else 0
    return days[start:], used[start:]


def _pairwise_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if len(x) > 400:  # O(n^2) pairs: thin evenly, keeping the ends
        keep = np.unique(np.linspace(0, len(x) - 1, 400).astype(int))
        x, y = x[keep], y[keep]
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    ok = dx > 0
    return (y[j][ok] - y[i][ok]) / dx[ok]


def _days_to(threshold: float, level: float, slope: float) -> float | None:
    return (threshold - level) / slope if slope > 1e-9 else None


def fit(at: pd.Series, used: pd.Series, threshold: float, key: tuple[str, str, str],
        horizon_days: float) -> Forecast:  # fmt: skip
    """Theil-Sen fit of one series' last segment; see the module docstring."""
    days = ((at - at.iloc[0]).dt.total_seconds() / 86400).to_numpy(dtype=float)
    x, y = _last_segment(days, used.to_numpy(dtype=float))
    result = Forecast(*key, threshold=threshold, points=len(x), current=float(y[-1]) if len(y) else None)
    if len(x) < MIN_POINTS or x[-1] - x[0] < MIN_SPAN_DAYS:
        result.status = "too_few_points"
        result.reason = (f"{len(x)} point(s) over {x[-1] - x[0] if len(x) else 0:.0f} day(s) since the last reset; "
                         f"a forecast needs at least {MIN_POINTS} points over {MIN_SPAN_DAYS:.0f} days")  # fmt: skip
        return result
    slopes = _pairwise_slopes(x, y)
    slope = float(np.median(slopes))
    level = float(np.median(y - slope * x)) + slope * float(x[-1])  # the fitted level today
    result.slope_per_day, result.current = round(slope, 4), round(level, 1)
    if level >= threshold:
        result.status, result.days, result.reason = "reached", 0.0, f"already at {level:.1f}% (>= {threshold:g}%)"
        return result
    low, high = (float(v) for v in np.percentile(slopes, [90, 10]))  # fast growth -> fewest days
    result.days = _round(_days_to(threshold, level, slope))
    result.days_low = _round(_days_to(threshold, level, low))
    result.days_high = _round(_days_to(threshold, level, high))
    if result.days is None or result.days > horizon_days:
        result.status = "beyond"
        result.reason = "not growing" if result.days is None else f"beyond the {horizon_days:g}-day horizon"
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def forecast(store: Store, metric: str, since: datetime | None, horizon_days: float,
             threshold: float | None = None) -> list[Forecast]:  # fmt: skip
    """One forecast per resource of ``metric``, soonest first (too-few-points last)."""
    limit = threshold if threshold is not None else METRICS.get(metric, ((), 0.0))[1]
    series = metric_series(store, metric, since)
    results = [fit(g["at"], g["used_percent"], limit, (str(h), str(k), str(n)), horizon_days)
               for (h, k, n), g in series.groupby(["host", "kind", "name"])]  # fmt: skip
    order = {"reached": 0, "ok": 1, "beyond": 2, "too_few_points": 3}
    return sorted(results, key=lambda f: (order[f.status], f.days if f.days is not None else 1e9, f.host, f.name))
