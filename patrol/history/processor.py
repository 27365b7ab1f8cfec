"""Run hook of the history stage (entry point ``patrol.processors: history``).

Reserved: writes each finished run's metrics to the metric-history store (issue 5).
"""

from __future__ import annotations

from collections.abc import Sequence

from patrol.models import CheckResult, Finding, Host, HostResult, RunStatus
from patrol.store import Store

__all__ = ["HistoryProcessor"]


class HistoryProcessor:
    name = "history"

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]:
        return (), ()

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None:
        return None
