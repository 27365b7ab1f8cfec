"""Report delivery of scheduled runs through the notification outbox (:mod:`patrol.notify`).

A schedule's ``report.recipients`` name targets of the service file's ``notify:`` list (an SMTP
target carries the addresses, a webhook the URL). After the run the report summary is queued
in the outbox as event ``report`` for those targets — whatever ``events`` they subscribe for
tickets — with the written report file attached (e-mail carries the file, named
``report-<schedule>-<run id>.<format>``; webhook / Jira get its name and size), and delivered by
the same outbox pass that retries failures on the service timer::

    subject: "[patrol] report daily-net: run 20261126-020003-9f3a completed, 11/13 hosts (84.6%)"
    payload: {"schedule": "daily-net", "run_id": "...", "status": "completed", "report": "/.../report.html",
              "findings_by_severity": {"critical": 1}}
"""

from __future__ import annotations

from pathlib import Path

from patrol.models import RunSummary, Severity, utcnow
from patrol.notify import Attachment, Message, deliver, enqueue
from patrol.service.errors import ScheduleError
from patrol.service.schedules import Schedule
from patrol.store import Store
from patrol.tickets import ServiceContract

__all__ = ["queue_report"]


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
