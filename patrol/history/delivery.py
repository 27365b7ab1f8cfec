"""Scheduled delivery hook: render a report and hand it to the contract's e-mail channels.

``deliver_report(store, contract, out_dir, period="2026-10" | run="latest", fmt="html", lang="zh")``
renders the monthly (``period``) or run (``run``) report, writes it atomically to ``out_dir``, and
sends it as an attachment to every ``smtp`` notify target of the contract (the adapter's
options: host, port, sender, to, starttls, username/password_env). Returns a :class:`Delivered`
naming the file and the targets reached; a failed target is recorded in ``errors`` (never
raised), so a scheduler can retry later::

    Delivered(path=PosixPath(".patrol/reports/period-2026-10.html"), sent=["noc-mail"], errors=[])
"""

from __future__ import annotations

import mimetypes
import os
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from patrol.notify.smtp import SmtpOptions
from patrol.report.atomic import write_atomic
from patrol.store import Store
from patrol.tickets.contract import ServiceContract

__all__ = ["Delivered", "deliver_report", "render_for_delivery"]


@dataclass
class Delivered:
    path: Path
    sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def render_for_delivery(store: Store, *, period: str | None, run: str | None, fmt: str, lang: str,
                        contract: ServiceContract) -> tuple[str, str | bytes]:  # fmt: skip
    """``(file name, content)`` of the monthly report (``period``) or a run report (``run``)."""
    if period:
        from patrol.history.period import build_period
        from patrol.history.period_render import render_period
        from patrol.history.proposals import load_rules

        return f"period-{period}.{fmt}", render_period(build_period(store, period, lang, contract, load_rules()), fmt)
    from patrol import plugins
    from patrol.report import build_report

    report = build_report(store, run or "latest", lang=lang)
    return f"run-{report.run.run_id}.{fmt}", plugins.load("patrol.reports", fmt)(report)


def _mail(opts: SmtpOptions, subject: str, path: Path) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = opts.sender, ", ".join(opts.to), subject
    mail.set_content(f"{subject}\n\nThe report is attached ({path.name}).\n")
    kind = (mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/")
    mail.add_attachment(path.read_bytes(), maintype=kind[0], subtype=kind[1], filename=path.name)
    return mail


def _send(opts: SmtpOptions, mail: EmailMessage) -> None:
    with smtplib.SMTP(opts.host, opts.port, timeout=opts.timeout) as smtp:
        if opts.starttls:
            smtp.starttls()
        if opts.username:
            smtp.login(opts.username, os.environ.get(opts.password_env or "", ""))
        smtp.send_message(mail)


def deliver_report(store: Store, contract: ServiceContract, out_dir: Path, *, period: str | None = None,
                   run: str | None = None, fmt: str = "html", lang: str = "en") -> Delivered:  # fmt: skip
    """Render, write, and e-mail the report to the contract's smtp targets (see the module docstring)."""
    name, content = render_for_delivery(store, period=period, run=run, fmt=fmt, lang=lang, contract=contract)
    done = Delivered(write_atomic(out_dir / name, content))
    subject = f"patrol report {period or name.removesuffix('.' + fmt)}"
    for target in contract.notify:
        if target.type != "smtp":
            continue
        try:
            opts = SmtpOptions.model_validate(target.options)
            _send(opts, _mail(opts, subject, done.path))
            done.sent.append(target.name)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            done.errors.append(f"{target.name}: {type(exc).__name__}: {exc}")
    return done
