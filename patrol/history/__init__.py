"""The history stage: analytics over the store (``trends``), capacity forecasts and proposals.

``load_history(store, since, until)`` -> :class:`History` (DuckDB views over the Parquet metric
store of :mod:`patrol.history.metricstore`, small pandas frames); ``trends(...)`` ->
:class:`Trends` (compliance, opened/resolved, SLA attainment, repeat offenders, flapping,
version sprawl, drift frequency); charts in :mod:`patrol.history.charts`.
"""

from patrol.history.frames import History, load_history
from patrol.history.trends import BY, Trends, trends

__all__ = ["BY", "History", "Trends", "load_history", "trends"]
