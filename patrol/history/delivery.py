"""Scheduled delivery hook: render a report and hand it to the notification channels as an attachment.

``deliver_report(store, contract, out_dir, period="2026-10" | run="latest", fmt="html", lang="zh")``
renders the monthly (``period``) or run (``run``) report, writes it atomically to ``out_dir``
(:func:`write_report`; Markdown with its chart PNGs next to it, attached too), queues ONE
message (event ``report``) with the file attached in the notification outbox
(:mod:`patrol.notify.outbox`) and delivers it. Recipients: the targets named in ``recipients``
(any type: e-mail attaches the file, webhook / Jira name it and give its size), or by default
every ``smtp`` target of the contract, as before the outbox (ticket ``events`` lists have no
``report`` event, so a target's subscriptions do not decide it). Returns a :class:`Delivered`
naming the file and the targets reached; a target that failed is in ``errors`` (never raised) and
its message stays in the outbox, retried by later delivery passes (``patrol notifications``)::

    Delivered(path=PosixPath(".patrol/reports/period-2026-10.html"), sent=["noc-mail"], errors=[])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from patrol.errors import ReportError
from patrol.models import Severity, utcnow
from patrol.notify import Attachment, Message, deliver, outbox_rows
from patrol.notify.outbox import enqueue_ids
from patrol.store import Store
from patrol.tickets.contract import NotifyTarget, ServiceContract

if TYPE_CHECKING:
    from patrol.history.period import PeriodReport

__all__ = ["Delivered", "deliver_report", "render_for_delivery", "write_report"]


@dataclass
class Delivered:
    path: Path
    sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def render_for_delivery(store: Store, *, period: str | None, run: str | None, fmt: str, lang: str,
                        contract: ServiceContract) -> tuple[str, str | bytes]:  # fmt: skip
    """``(file name, content)`` of the monthly report (``period``) or a run report (``run``).

    Markdown rendered this way has no chart files (a comment says so): use :func:`write_report`.
    """
    if period:
        from patrol.history.period_render import render_period

        return f"period-{period}.{fmt}", render_period(_period(store, period, fmt, lang, contract), fmt)
    from patrol import plugins
    from patrol.report import build_report

    report = build_report(store, run or "latest", lang=lang)
    return f"run-{report.run.run_id}.{fmt}", plugins.load("patrol.reports", fmt)(report)


def _period(store: Store, period: str, fmt: str, lang: str, contract: ServiceContract) -> PeriodReport:
    from patrol.history.period import build_period
    from patrol.history.period_render import FORMATS
    from patrol.history.proposals import load_rules

    if fmt not in FORMATS:
        raise ReportError(f"--format {fmt!r} with --period: choose one of {', '.join(FORMATS)}")
    return build_period(store, period, lang, contract, load_rules())


def write_report(store: Store, *, period: str | None, run: str | None, fmt: str, lang: str,
                 contract: ServiceContract, out_dir: Path, path: Path | None = None) -> list[Path]:  # fmt: skip
    """Render and write the monthly (``period``) or run (``run``) report to ``path``, by default
    ``out_dir/period-2026-10.html`` or ``out_dir/run-<id>.<fmt>``. The files written, the report
    first, then Markdown's chart PNGs next to it."""
    if period:
        from patrol.history.period_render import write_period

        return write_period(
            _period(store, period, fmt, lang, contract), fmt, path or out_dir / f"period-{period}.{fmt}"
        )
    from patrol.report import build_report
    from patrol.report.output import write_run_report

    report = build_report(store, run or "latest", lang=lang)
    return write_run_report(report, fmt, path or out_dir / f"run-{report.run.run_id}.{fmt}")


def _targets(contract: ServiceContract, recipients: Sequence[str] | None) -> list[NotifyTarget]:
    if recipients is None:
        chosen = [t for t in contract.notify if t.type == "smtp"]
    else:
        known = {t.name: t for t in contract.notify}
        if unknown := sorted(set(recipients) - set(known)):
            raise ReportError(f"report recipient(s) {unknown} are not targets in the service file's 'notify:' "
                               f"list (known: {sorted(known) or 'none'})")  # fmt: skip
        chosen = [known[name] for name in recipients]
    return [t.model_copy(update={"events": ("report",), "min_priority": Severity.OTHER}) for t in chosen]


def deliver_report(store: Store, contract: ServiceContract, out_dir: Path, *, period: str | None = None,
                   run: str | None = None, fmt: str = "html", lang: str = "en",
                   recipients: Sequence[str] | None = None) -> Delivered:  # fmt: skip
    """Render, write, queue and deliver the report to the recipients (see the module docstring)."""
    files = write_report(store, period=period, run=run, fmt=fmt, lang=lang, contract=contract, out_dir=out_dir)
    done = Delivered(files[0])
    subject = f"patrol report {period or done.path.stem}"
    message = Message("report", subject, f"{subject}\n\nThe report is attached ({done.path.name}).\n",
                      {"report": done.path.name, "period": period, "run": run, "format": fmt, "lang": lang},
                      attachments=tuple(Attachment.of(f) for f in files))  # fmt: skip
    with store.write() as conn:
        ids = enqueue_ids(conn, _targets(contract, recipients), message, Severity.OTHER, utcnow())
    deliver(store, contract.notify)
    for row in sorted(outbox_rows(store, ids=ids), key=lambda r: ids.index(r["id"])):
        if row["state"] == "sent":
            done.sent.append(row["target"])
        else:
            done.errors.append(f"{row['target']}: {row['last_error']}")
    return done
