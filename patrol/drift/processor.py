"""Run hook of the drift stage (entry point ``patrol.processors: drift``)."""

from __future__ import annotations

from collections.abc import Sequence

from patrol.models import CheckResult, Finding, Host, HostResult, RunStatus
from patrol.store import Store

__all__ = ["DriftProcessor"]


class DriftProcessor:
    name = "drift"

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]:
        return (), ()

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None:
        return None
