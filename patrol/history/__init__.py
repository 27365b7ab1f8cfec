"""The history stage: analytics over the store (``trends``), capacity forecasts and proposals.

``load_history(store, since, until)`` -> :class:`History` (DuckDB views over the Parquet metric
store of :mod:`patrol.history.metricstore`, small pandas frames); ``trends(...)`` ->
:class:`Trends` (compliance, opened/resolved, SLA attainment, repeat offenders, flapping,
version sprawl, drift frequency); charts in :mod:`patrol.history.charts`.

The package itself imports nothing heavy: a run loads its ``history`` processor through here, and
pandas / DuckDB are only imported when an analytics name below is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patrol.history.frames import History, load_history
    from patrol.history.trends import BY, Trends

__all__ = ["BY", "History", "Trends", "load_history"]

#: (``trends`` the function is imported from :mod:`patrol.history.trends`: the name is its module's)
_HOMES = {"History": "frames", "load_history": "frames", "BY": "trends", "Trends": "trends"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"patrol.history.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'patrol.history' has no attribute {name!r}")
