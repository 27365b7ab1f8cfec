"""Notification adapters against local peers (SMTP, webhook, Jira stand-in) and the outbox's retries."""

from __future__ import annotations

from typing import Any

import pytest

from patrol.notify import deliver, outbox_rows
from patrol.notify.outbox import MAX_ATTEMPTS
from patrol.store import Store
from patrol.tickets import ServiceContract, TicketFilter, list_tickets, sync_run
from patrol.tickets.contract import NotifyTarget
from patrol.tickets.errors import ServiceFileError
from tests.tickets.conftest import HttpPeer, Smtp, make_run, write_service

A1 = ("sw1", "net.telnet.disabled", "")


def contract(*targets: dict[str, Any]) -> ServiceContract:
    return ServiceContract(notify=tuple(NotifyTarget.model_validate(t) for t in targets))


def test_mail_and_webhook_receive_the_redacted_ticket(store: Store, smtp: Smtp, http_peer: HttpPeer) -> None:
    terms = contract({"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": smtp.port, "sender": "p@lab",
                      "to": ["noc@lab", "pm@lab"]},
                     {"name": "hook", "type": "webhook", "url": f"{http_peer.url}/hook"})  # fmt: skip
    sync_run(store, make_run(store, "r1", failing=[A1]), terms)
    report = deliver(store, terms.notify)
    assert (report.sent, report.failed) == (2, 0)
    (mail,) = smtp.messages
    assert mail["To"] == "noc@lab, pm@lab" and "opened" in mail["Subject"] and "net.telnet.disabled" in mail["Subject"]
    (body,) = http_peer.posts("/hook")
    assert body["event"] == "opened" and body["ticket"]["host"] == "sw1" and body["ticket"]["state"] == "submitted"
    assert "s3cret-X" not in mail.as_string() + str(body) and "<redacted>" in body["text"]


def test_jira_issue_created_then_transitioned_on_resolve_and_reopen(store: Store, http_peer: HttpPeer) -> None:
    terms = contract({"name": "itsm", "type": "jira", "url": http_peer.url, "project": "OPS"})
    sync_run(store, make_run(store, "r1", failing=[A1]), terms)
    deliver(store, terms.notify)
    assert http_peer.issues == {"OPS-1": "Open"}
    (created,) = http_peer.posts("/rest/api/2/issue")
    assert created["fields"]["project"] == {"key": "OPS"} and created["fields"]["priority"] == {"name": "High"}
    sync_run(store, make_run(store, "r2", passing=[A1]), terms)
    deliver(store, terms.notify)
    assert http_peer.issues == {"OPS-1": "Done"}
    sync_run(store, make_run(store, "r3", failing=[A1]), terms)
    deliver(store, terms.notify)
    assert http_peer.issues == {"OPS-1": "Open"}, "the same issue is reopened, no second issue"
    assert [r["external_ref"] for r in outbox_rows(store)] == ["OPS-1"] * 3


def test_failed_delivery_is_retried_recorded_and_never_loses_the_ticket(store: Store, http_peer: HttpPeer) -> None:
    terms = contract({"name": "hook", "type": "webhook", "url": f"{http_peer.url}/hook", "timeout": 2})
    http_peer.fail = 2  # two 503s, then the peer recovers: retried within the same pass
    sync_run(store, make_run(store, "r1", failing=[A1]), terms)
    report = deliver(store, terms.notify)
    assert report.sent == 1 and len(http_peer.posts("/hook")) == 3
    http_peer.fail = 1000  # down for good
    sync_run(store, make_run(store, "r2", passing=[A1]), terms)
    report = deliver(store, terms.notify)
    assert report.retrying == 1 and "HTTP 503" in report.errors[0]
    (ticket,) = list_tickets(store, TicketFilter("all"))
    assert ticket.state.value == "resolved", "the ticket change is committed whatever the delivery"
    from datetime import timedelta

    from patrol.models import utcnow

    for hours in range(1, 5):  # later passes (the scheduler's `patrol sla`) retry with back-off, then give up
        deliver(store, terms.notify, now=utcnow() + timedelta(hours=hours))
    row = outbox_rows(store)[0]
    assert row["state"] == "failed" and row["attempts"] == MAX_ATTEMPTS and "503" in row["last_error"]


def test_unreachable_smtp_does_not_block(store: Store) -> None:
    from tests.conftest import free_ports

    terms = contract({"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": free_ports(1)[0],
                      "sender": "p@lab", "to": ["noc@lab"], "timeout": 1})  # fmt: skip
    sync_run(store, make_run(store, "r1", failing=[A1]), terms)
    report = deliver(store, terms.notify, budget=5)
    assert report.retrying == 1 and "Connection refused" in report.errors[0]


def test_bad_target_in_service_file_names_file_and_key(tmp_path: Any) -> None:
    from patrol.tickets import load_contract

    path = write_service(tmp_path / "s.yml", notify=[{"name": "m", "type": "smtp", "host": "h", "sender": "a@b"}])
    with pytest.raises(ServiceFileError, match=r"s\.yml: notify\.0 \(m\): smtp option 'to'"):
        load_contract(path)
    path = write_service(tmp_path / "s.yml", notify=[{"name": "m", "type": "pager"}])
    with pytest.raises(ServiceFileError, match=r"pager.*not registered"):
        load_contract(path)
