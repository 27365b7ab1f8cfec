"""The delivery hook: a run report rendered, written and handed to the outbox as ONE attached
message, delivered to a real SMTP server (aiosmtpd) and an HTTP webhook stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patrol.errors import ReportError
from patrol.history.delivery import deliver_report
from patrol.notify import outbox_rows
from patrol.store import Store
from patrol.tickets import ServiceContract
from patrol.tickets.contract import NotifyTarget
from tests.conftest import free_ports
from tests.report.conftest import RUN_ID
from tests.tickets.conftest import running_http, running_smtp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _contract(*targets: dict[str, Any]) -> ServiceContract:
    return ServiceContract(notify=tuple(NotifyTarget.model_validate(t) for t in targets))


def _mail(port: int, name: str = "noc-mail") -> dict[str, Any]:
    return {"name": name, "type": "smtp", "host": "127.0.0.1", "port": port, "sender": "patrol@example.net",
            "to": ["noc@example.net"], "events": ["breach"], "timeout": 2}  # fmt: skip


def test_run_report_is_mailed_as_an_attachment_to_every_smtp_target(lab_store: Store, tmp_path: Path) -> None:
    with running_smtp() as smtp, running_http() as peer:
        hook = {"name": "hook", "type": "webhook", "url": f"{peer.url}/hook"}
        done = deliver_report(lab_store, _contract(_mail(smtp.port), hook), tmp_path, run=RUN_ID, fmt="html")
        assert (done.sent, done.errors) == (["noc-mail"], [])
        assert not peer.posts("/hook"), "by default only e-mail targets receive reports"
        (mail,) = smtp.messages
    assert done.path == tmp_path / f"run-{RUN_ID}.html"
    assert mail["Subject"] == f"patrol report run-{RUN_ID}" and f"run-{RUN_ID}.html" in mail.get_body().get_content()
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == done.path.name and attachment.get_content_type() == "text/html"
    assert attachment.get_payload(decode=True) == done.path.read_bytes()


def test_named_recipients_get_it_whatever_their_type(lab_store: Store, tmp_path: Path) -> None:
    with running_smtp() as smtp, running_http() as peer:
        terms = _contract(_mail(smtp.port), {"name": "hook", "type": "webhook", "url": f"{peer.url}/hook"})
        done = deliver_report(lab_store, terms, tmp_path, run=RUN_ID, fmt="xlsx", recipients=["hook"])
        assert done.sent == ["hook"] and not smtp.messages
        (body,) = peer.posts("/hook")
    assert body["event"] == "report" and body["format"] == "xlsx"
    (described,) = body["attachments"]
    assert described == {"filename": done.path.name, "size": done.path.stat().st_size, "content_type": XLSX}
    with pytest.raises(ReportError, match=r"\['nobody'\] are not targets .*known: \['hook', 'noc-mail'\]"):
        deliver_report(lab_store, terms, tmp_path, run=RUN_ID, fmt="md", recipients=["nobody"])


def test_an_unreachable_target_is_an_error_and_stays_queued(lab_store: Store, tmp_path: Path) -> None:
    done = deliver_report(lab_store, _contract(_mail(free_ports(1)[0], "down")), tmp_path, run=RUN_ID, fmt="json")
    assert done.sent == [] and len(done.errors) == 1 and done.errors[0].startswith("down: smtp: 127.0.0.1:")
    assert done.path.is_file()
    row = next(r for r in outbox_rows(lab_store) if r["target"] == "down")
    assert row["state"] == "pending" and row["event"] == "report", "retried by later delivery passes"
