"""The delivery timer of ``patrol serve``: report schedules deliver the monthly report when due.

A report schedule (``report: {period: monthly, ...}``, see :mod:`patrol.service.schedules`)
never inspects. Every ``every`` seconds :class:`DeliveryTimer` claims the due report schedules
with the same compare-and-set as inspections (:func:`patrol.service.scheduler.claim_due`, kind
``report``) — of several ``patrol serve`` processes on one database exactly one claims a
firing — and :func:`deliver_schedule` takes the lease ``report:NAME`` (so ``run-now`` and a
firing never overlap) and calls :func:`patrol.history.delivery.deliver_report` for the month
before the firing, in the schedule's format and language, to the schedule's recipients (the
service file's ``notify:`` targets they name; none named = the file is only written under
``HOME/reports/``). The outcome is recorded on the schedule::

    last_status: "delivered" | "failed"     last_error: "noc-mail: ConnectionRefusedError: ..." | None
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from patrol.config import Settings
from patrol.errors import PatrolError
from patrol.models import utcnow
from patrol.redact import redact_text
from patrol.service.errors import LeaseHeld
from patrol.service.lease import acquire, release
from patrol.service.scheduler import claim_due, lease_name, new_holder, record
from patrol.service.schedules import Schedule, check_recipients, previous_month
from patrol.store import Store
from patrol.tickets import ServiceContract, load_contract

__all__ = ["DeliveryTimer", "deliver_schedule"]

log = logging.getLogger(__name__)


def _for_recipients(s: Schedule, contract: ServiceContract) -> ServiceContract:
    check_recipients(s, contract)
    chosen = tuple(t for t in contract.notify if t.name in s.report.recipients)
    return contract.model_copy(update={"notify": chosen})


def deliver_schedule(settings: Settings, store: Store, s: Schedule, fired: datetime | None = None,
                     contract: ServiceContract | None = None, holder: str | None = None) -> str:  # fmt: skip
    """Deliver report schedule ``s`` for the month before ``fired`` under its lease; the status recorded.

    Raises :class:`LeaseHeld` when the same schedule is being delivered elsewhere.
    """
    from patrol.history.delivery import deliver_report

    holder, lease = holder or new_holder(), lease_name(s)
    acquire(store, lease, holder)
    try:
        period = previous_month(s, fired or utcnow())
        try:
            done = deliver_report(store, _for_recipients(s, contract or load_contract()), settings.home / "reports",
                                  period=period, fmt=s.report.format, lang=s.report.lang)  # fmt: skip
        except PatrolError as exc:
            record(store, s.name, last_status="failed", last_error=redact_text(f"report {period}: {exc}"))
            raise
        status, error = ("failed", "; ".join(done.errors)) if done.errors else ("delivered", None)
        record(store, s.name, last_status=status, last_error=redact_text(error) if error else None)
        log.info("report %s (%s) %s: %s", s.name, period, status, done.path)
        return status
    finally:
        release(store, lease, holder)


class DeliveryTimer:
    """Claims due report schedules every ``every`` seconds and delivers them, in its own thread."""

    def __init__(self, settings: Settings, store: Store, contract: ServiceContract, every: float) -> None:
        self.settings, self.store, self.contract, self.every = settings, store, contract, every
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="deliveries", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                for claim in claim_due(self.store, kind="report"):
                    self._deliver(claim.schedule, claim.due)
            except Exception:
                log.exception("report delivery tick failed")
            self.stop.wait(self.every)

    def _deliver(self, s: Schedule, due: datetime) -> None:
        try:
            deliver_schedule(self.settings, self.store, s, due, self.contract)
        except LeaseHeld as exc:
            log.warning("report %s not delivered: %s", s.name, exc)
        except PatrolError as exc:
            log.warning("report %s not delivered: %s", s.name, exc)
