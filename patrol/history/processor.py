"""Run hook of the history stage (entry point ``patrol.processors: history``).

``run_done`` writes the finished run's metrics — built from the store rows of the run, which
are already redacted — to the metric-history store (:mod:`patrol.history.metricstore`), then
compacts the months before the run's month (the first run of November merges October's files).
It never raises into the run: a failure is logged, and the next analytics call (or
``patrol history rebuild``) backfills the run from SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from patrol.models import CheckResult, Finding, Host, HostResult, RunStatus
from patrol.store import Store

__all__ = ["HistoryProcessor"]

log = logging.getLogger(__name__)


class HistoryProcessor:
    name = "history"

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]:
        return (), ()

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None:
        from patrol.history.metricstore import MetricStore, ingest_run

        try:
            ms = MetricStore.for_store(store)
            metrics = ingest_run(store, run_id, ms)
            if metrics is not None:  # the first run of a month compacts the months before it
                ms.compact(before=metrics.run.at)
        except Exception:  # the run is recorded in SQL already; the metrics can be backfilled
            log.exception("history: run %s not written to the metric store (`patrol history rebuild` "
                          "backfills it from the SQL store)", run_id)  # fmt: skip
