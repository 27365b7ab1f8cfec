"""Run hook of the tickets stage (entry point ``patrol.processors: tickets``).

After every run: expired waivers end, the run's findings and check results are synced into
tickets (:func:`patrol.tickets.sync.sync_run`), then queued notifications are delivered within
a time budget. Delivery failures stay in the outbox for the next run or ``patrol sla``; the
ticket changes are already committed, so nothing is lost and the run is never blocked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from patrol.models import CheckResult, Finding, Host, HostResult, RunStatus
from patrol.notify import deliver
from patrol.store import Store
from patrol.tickets.contract import load_contract
from patrol.tickets.sync import sync_run
from patrol.tickets.waivers import expire_waivers

__all__ = ["DELIVERY_BUDGET", "TicketProcessor"]

log = logging.getLogger(__name__)

#: seconds a run may spend delivering notifications before leaving the rest for later
DELIVERY_BUDGET = 15.0


class TicketProcessor:
    name = "tickets"

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]:
        return (), ()

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None:
        contract = load_contract()
        expire_waivers(store, contract)
        report = sync_run(store, run_id, contract)
        log.info(
            "tickets after run %s: %d opened, %d updated, %d reopened, %d resolved",
            run_id, len(report.opened), report.updated, len(report.reopened), len(report.resolved),
        )  # fmt: skip
        if contract.notify:
            delivery = deliver(store, contract.notify, budget=DELIVERY_BUDGET)
            for error in delivery.errors:
                log.warning("notification not delivered: %s", error)
