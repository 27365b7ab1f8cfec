"""Attachments through the outbox to real peers: an SMTP server (aiosmtpd) and an HTTP stand-in for
webhook and Jira. Files travel by path: mail carries the bytes, webhook / Jira only name them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from patrol.models import Severity, utcnow
from patrol.notify import Attachment, Message, deliver, enqueue, outbox_rows
from patrol.store import Store
from patrol.tickets import ServiceContract
from patrol.tickets.contract import NotifyTarget
from tests.tickets.conftest import HttpPeer, Smtp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _targets(*targets: dict[str, Any]) -> ServiceContract:
    return ServiceContract(notify=tuple(NotifyTarget.model_validate({"events": ["warning"], **t}) for t in targets))


def _queue(store: Store, terms: ServiceContract, *files: Path, subject: str = "monthly report 月報") -> None:
    message = Message("warning", subject, "The report is attached.", {"period": "2026-10"},
                      attachments=tuple(Attachment.of(f) for f in files))  # fmt: skip
    with store.write() as conn:
        assert enqueue(conn, terms.notify, message, Severity.OTHER, utcnow()) == len(terms.notify)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    report, chart = tmp_path / "period-2026-10.xlsx", tmp_path / "health 健康.png"
    report.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    return report, chart


def test_mail_carries_the_files_webhook_and_jira_only_name_them(
    store: Store, smtp: Smtp, http_peer: HttpPeer, tmp_path: Path
) -> None:
    report, chart = _files(tmp_path)
    terms = _targets({"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": smtp.port, "sender": "p@lab",
                      "to": ["noc@lab"]}, {"name": "hook", "type": "webhook", "url": f"{http_peer.url}/hook"},
                     {"name": "itsm", "type": "jira", "url": http_peer.url, "project": "OPS"})  # fmt: skip
    _queue(store, terms, report, chart, subject="report; login password s3cret-X")
    assert deliver(store, terms.notify).sent == 3
    (mail,) = smtp.messages
    got = {a.get_filename(): (a.get_content_type(), a.get_content()) for a in mail.iter_attachments()}
    assert got == {report.name: (XLSX, report.read_bytes()), chart.name: ("image/png", chart.read_bytes())}
    assert "s3cret-X" not in str(mail["Subject"]) and "<redacted>" in str(mail["Subject"])
    (hook,) = http_peer.posts("/hook")
    assert hook["attachments"] == [
        {"filename": report.name, "content_type": XLSX, "size": report.stat().st_size},
        {"filename": chart.name, "content_type": "image/png", "size": 108},
    ]
    assert "PK" not in str(hook)  # names and sizes, never the content
    (issue,) = http_peer.posts("/rest/api/2/issue")
    assert f"{report.name} ({XLSX}, {report.stat().st_size} bytes)" in issue["fields"]["description"]


def test_a_vanished_attachment_is_retried_and_recorded_with_its_path(store: Store, smtp: Smtp, tmp_path: Path) -> None:
    report, _ = _files(tmp_path)
    terms = _targets({"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": smtp.port, "sender": "p@lab",
                      "to": ["noc@lab"]})  # fmt: skip
    _queue(store, terms, report)
    kept = report.read_bytes()
    report.unlink()
    done = deliver(store, terms.notify)
    assert (done.sent, done.retrying) == (0, 1) and not smtp.messages
    (row,) = outbox_rows(store)
    assert row["state"] == "pending" and str(report) in row["last_error"] and "period-2026-10.xlsx" in row["last_error"]
    report.write_bytes(kept)  # the file is back: the next pass (after the back-off) sends it
    assert deliver(store, terms.notify, now=utcnow() + timedelta(hours=1)).sent == 1
    (attachment,) = smtp.messages[0].iter_attachments()
    assert attachment.get_content() == kept


def test_messages_without_attachments_are_unchanged(store: Store, http_peer: HttpPeer) -> None:
    terms = _targets({"name": "hook", "type": "webhook", "url": f"{http_peer.url}/hook"})
    _queue(store, terms)
    assert deliver(store, terms.notify).sent == 1
    (hook,) = http_peer.posts("/hook")
    assert "attachments" not in hook and hook["subject"] == "monthly report 月報"
