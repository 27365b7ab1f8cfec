"""Availability from the run history: per resource (host), group, application or domain.

Each run is a sample of every host known by then (from the host's first run in the window on).
A sample is

* ``healthy``  — the host was inspected and has no critical finding (coverage gaps aside),
* ``degraded`` — inspected, with at least one critical finding,
* ``unknown``  — not inspected (unreachable, timeout …) or absent from the run: a coverage gap is
  never counted as up.

``percent`` (the availability) is healthy samples / all samples; ``inspected_percent`` is
(healthy + degraded) / all samples. An *application* is an inventory group with at least one
HTTP(S) target (platform ``http``). ``targets`` (``availability_targets`` of
``inspect/service.yml``: ``{group: percent}``) fill ``target`` and ``met`` for keys that have one.
``availability(h, "group")`` -> frame::

    key    runs  healthy  degraded  unknown  percent  inspected_percent  target  met
    apps     60       54         6        0     90.0              100.0    99.5  False
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from patrol.history.frames import History

__all__ = ["AVAILABILITY_BY", "COLUMNS", "availability"]

AVAILABILITY_BY = ("host", "group", "application", "domain")
COLUMNS = ["key", "runs", "healthy", "degraded", "unknown", "percent", "inspected_percent", "target", "met"]

_SAMPLES = """
WITH seen AS (SELECT host::VARCHAR AS host, min("at") AS first_at, arg_max(domain::VARCHAR, "at") AS domain,
                     arg_max(groups, "at") AS groups, bool_or(platform::VARCHAR = 'http') AS http
              FROM hosts GROUP BY ALL),
     grid AS (SELECT s.host, r.run_id FROM seen s JOIN runs r ON r."at" >= s.first_at),
     observed AS (SELECT run_id::VARCHAR AS run_id, host::VARCHAR AS host, status::VARCHAR AS status FROM hosts),
     critical AS (SELECT DISTINCT run_id::VARCHAR AS run_id, host::VARCHAR AS host FROM findings
                  WHERE severity::VARCHAR = 'critical' AND NOT starts_with(check_id::VARCHAR, 'coverage.')),
     samples AS (SELECT g.host, CASE WHEN o.status IS DISTINCT FROM 'ok' THEN 'unknown'
                                     WHEN c.host IS NOT NULL THEN 'degraded' ELSE 'healthy' END AS state
                 FROM grid g LEFT JOIN observed o USING (run_id, host) LEFT JOIN critical c USING (run_id, host))
"""

_KEYS = {
    "host": "SELECT host AS key, host FROM seen",
    "domain": "SELECT domain AS key, host FROM seen",
    "group": "SELECT unnest(groups)::VARCHAR AS key, host FROM seen",
    "application": "SELECT key, host FROM (SELECT unnest(groups)::VARCHAR AS key, host FROM seen) "
    "WHERE key IN (SELECT unnest(groups)::VARCHAR FROM seen WHERE http)",
}


def availability(h: History, by: str = "host", targets: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Availability per ``by`` key (one of :data:`AVAILABILITY_BY`) over the window's runs."""
    if by not in _KEYS:
        raise ValueError(f"availability by {by!r}: expected one of {', '.join(AVAILABILITY_BY)}")
    if h.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = _KEYS[by]
    frame = h.sql(
        f"{_SAMPLES}, keys AS ({keys}) SELECT k.key, count(*)::BIGINT AS runs, "
        "count_if(s.state = 'healthy')::BIGINT AS healthy, count_if(s.state = 'degraded')::BIGINT AS degraded, "
        "count_if(s.state = 'unknown')::BIGINT AS unknown FROM keys k JOIN samples s USING (host) "
        "WHERE k.key IS NOT NULL GROUP BY k.key ORDER BY k.key"
    )
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame["percent"] = (100 * frame["healthy"] / frame["runs"]).round(2)
    frame["inspected_percent"] = (100 * (frame["healthy"] + frame["degraded"]) / frame["runs"]).round(2)
    wanted = dict(targets or {})
    frame["target"] = [wanted.get(str(k)) for k in frame["key"]]
    frame["met"] = [None if t is None else bool(p >= t) for p, t in zip(frame["percent"], frame["target"], strict=True)]
    return frame[COLUMNS]
