"""Run hook of the tickets stage (entry point ``patrol.processors: tickets``)."""

from __future__ import annotations

from collections.abc import Sequence

from patrol.models import CheckResult, Finding, Host, HostResult, RunStatus
from patrol.store import Store

__all__ = ["TicketProcessor"]


class TicketProcessor:
    name = "tickets"

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]:
        return (), ()

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None:
        return None
