"""The delivery timer of ``patrol serve``: report schedules deliver the monthly report when due.

A report schedule (``report: {period: monthly, ...}``, see :mod:`patrol.service.schedules`)
never inspects. Every ``every`` seconds :class:`DeliveryTimer` claims the due report schedules
with the same compare-and-set as inspections (:func:`patrol.service.claims.claim_due`, kind
``report``) — of several ``patrol serve`` processes on one database exactly one claims a
firing — and :func:`deliver_schedule` takes the lease ``report:NAME`` (so ``run-now`` and a
firing never overlap) and calls :func:`patrol.history.delivery.deliver_report` for the month
before the firing, in the schedule's format and language, to the schedule's recipients (the
service file's ``notify:`` targets they name; none named = the file is only written under
``HOME/reports/``). The outcome is recorded on the schedule::

    last_status: "delivered" | "failed"     last_error: "noc-mail: ConnectionRefusedError: ..." | None

Run reports of inspection schedules go out the same way: after a scheduled run
(:func:`patrol.service.scheduler.run_schedule`) :func:`queue_report` queues the report summary
in the notification outbox (:mod:`patrol.notify`) as event ``report`` for the schedule's
recipients — targets of the service file's ``notify:`` list, whatever ``events`` they subscribe
for tickets — with the written report file attached (e-mail carries the file, named
``report-<schedule>-<run id>.<format>``; webhook / Jira get its name and size), and delivered by
the same outbox pass that retries failures on the service timer::

    subject: "[patrol] report daily-net: run 20261126-020003-9f3a completed, 11/13 hosts (84.6%)"
    payload: {"schedule": "daily-net", "run_id": "...", "status": "completed", "report": "/.../report.html",
              "findings_by_severity": {"critical": 1}}
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from patrol.config import Settings
from patrol.errors import PatrolError
from patrol.models import RunSummary, Severity, utcnow
from patrol.notify import Attachment, Message, deliver, enqueue
from patrol.redact import redact_text
from patrol.service.claims import claim_due, lease_name, new_holder, record
from patrol.service.errors import LeaseHeld, ScheduleError
from patrol.service.lease import acquire, release
from patrol.service.schedules import Schedule, check_recipients, previous_month
from patrol.store import Store
from patrol.tickets import ServiceContract, load_contract

__all__ = ["DeliveryTimer", "deliver_schedule", "queue_report"]

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


# -- run reports of inspection schedules ---------------------------------------------------


def _message(s: Schedule, summary: RunSummary, report: Path) -> Message:
    counts = ", ".join(f"{k} {v}" for k, v in summary.findings_by_severity.items() if v) or "none"
    subject = (f"[patrol] report {s.name}: run {summary.run_id} {summary.status.value}, "
               f"{summary.hosts_inspected}/{summary.hosts_total} hosts ({summary.coverage_percent}%)")  # fmt: skip
    body = f"{subject}\n\nfindings: {counts}\nreport: {report}\n"
    payload = {"schedule": s.name, "run_id": summary.run_id, "status": summary.status.value, "report": str(report),
               "findings_by_severity": summary.findings_by_severity}  # fmt: skip
    attachment = Attachment.of(report, f"report-{s.name}-{summary.run_id}{report.suffix}")
    return Message("report", subject, body, payload, attachments=(attachment,))


def queue_report(store: Store, contract: ServiceContract, s: Schedule, summary: RunSummary, report: Path) -> int:
    """Queue the report notice for the schedule's recipients and deliver it now; how many were queued."""
    if not s.report.recipients:
        return 0
    targets = {t.name: t for t in contract.notify}
    if unknown := sorted(set(s.report.recipients) - set(targets)):
        known = sorted(targets) or "none"
        raise ScheduleError(s.name, f"report recipient(s) {unknown} are not targets in the service file's "
                            f"'notify:' list (known: {known})", key="report.recipients")  # fmt: skip
    wanted = [targets[name].model_copy(update={"events": ("report",), "min_priority": Severity.OTHER})
              for name in s.report.recipients]  # fmt: skip
    with store.write() as conn:
        queued = enqueue(conn, wanted, _message(s, summary, report), Severity.OTHER, utcnow())
    deliver(store, contract.notify)
    return queued
