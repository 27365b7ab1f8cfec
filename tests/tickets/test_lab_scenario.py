"""The issue's lab bar, as a user: real `patrol run`s against our own FakeNOS devices.

run 1 opens N tickets; run 2 with one fault fixed and one host unreachable resolves exactly one
ticket and none of the unreachable host's, without duplicates; run 3 with the fault back reopens
it (recurrence 1). Then `patrol sla --at +5h` is a what-if that writes and sends nothing, and
when the real deadline passes (a contract with 1 s clocks) `patrol sla` escalates the critical
ticket's breach once and sends one mail to a local SMTP server. Canary secrets in device output and in a desk ticket
never reach a ticket, the store, a mail or a webhook body.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from patrol.lab.fakenos_lab import DATA_DIR
from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from tests.conftest import PatrolCLI, Result, free_ports
from tests.tickets.conftest import HttpPeer, Smtp, running_http, running_smtp, write_service

USER, PASSWORD = "patrol", "Tkt-Net-Pass-31"
CANARIES = ("CANARY-SNMP-4711", "CANARY-EN-0815", "CANARY-DESK-99", PASSWORD)
TELNET = "net.telnet.disabled"


@dataclass
class ServiceCLI(PatrolCLI):
    service: Path = Path()

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"PATROL_SERVICE": str(self.service)}


def _config(name: str, telnet: bool, extra: str = "") -> dict[str, dict[str, Any]]:
    text = (DATA_DIR / name / "show_running-config.txt").read_text(encoding="utf-8")
    if not telnet:
        text = text.replace("transport input telnet ssh", "transport input ssh")
    text = text.replace("\nend", f"\n{extra}end") if extra else text
    return {"show running-config": {"output": text, "prompt": ["{base_prompt}#"]}}


def _device(name: str, port: int, commands: dict[str, dict[str, Any]]) -> FleetDevice:
    from patrol.lab.fakenos_lab import device_commands

    return FleetDevice(name, "cisco_ios", port, USER, PASSWORD, commands=device_commands(name, "cisco_ios") | commands)


def _inventory(path: Path, ports: list[int]) -> Path:
    data = {"all": {
        "vars": {"ansible_host": "127.0.0.1", "ansible_user": USER, "ansible_password": PASSWORD,
                 "ansible_become_password": "Tkt-Enable-1", "patrol_platform": "cisco_ios",
                 "patrol_device_class": "network", "patrol_connect_timeout": 5, "patrol_command_timeout": 10,
                 "patrol_expected_ntp_servers": ["192.0.2.123", "192.0.2.124"]},
        "children": {"core": {"hosts": {"core-sw1": {"ansible_port": ports[0]},
                                        "core-sw2": {"ansible_port": ports[1]}}}},
    }}  # fmt: skip
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def tickets(cli: PatrolCLI) -> list[dict[str, Any]]:
    result = cli("tickets", "--state", "all", "--json")
    assert result.code == 0, result.output
    return list(json.loads(result.stdout))


@dataclass
class Scenario:
    cli: ServiceCLI
    runs: list[Result]
    after: list[list[dict[str, Any]]]
    hooks: list[list[Any]]
    http: HttpPeer
    smtp: Smtp


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with running_smtp() as smtp, running_http() as http_peer:
        yield from _scenario(tmp_path_factory.mktemp("tickets-lab"), smtp, http_peer)


def _scenario(tmp_path: Path, smtp: Smtp, http_peer: HttpPeer) -> Iterator[Scenario]:
    ports = free_ports(2)
    canary = "snmp-server community CANARY-SNMP-4711 RW\nenable password 0 CANARY-EN-0815\n"
    sw1: Fleet = start_fleet([_device("core-sw1", ports[0], _config("core-sw1", telnet=True))])
    sw2: Fleet = start_fleet([_device("core-sw2", ports[1], _config("core-sw2", telnet=False, extra=canary))])
    service = write_service(
        tmp_path / "service.yml", person_in_charge="Wang Wei <pm@example.net>",
        notify=[{"name": "pm-mail", "type": "smtp", "host": "127.0.0.1", "port": smtp.port, "sender": "patrol@lab",
                 "to": ["pm@example.net"], "events": ["breach"], "min_priority": "critical"},
                {"name": "hook", "type": "webhook", "url": f"{http_peer.url}/hook"}],
    )  # fmt: skip
    cli = ServiceCLI(tmp_path / "home", service)
    args = ("run", "-i", str(_inventory(tmp_path / "hosts.yml", ports)))
    runs, after, hooks = [], [], []
    try:
        for step in range(3):
            if step == 1:
                sw1.update_commands("core-sw1", _config("core-sw1", telnet=False))
                sw2.stop()
            if step == 2:
                sw1.update_commands("core-sw1", _config("core-sw1", telnet=True))
            runs.append(cli(*args))
            after.append(tickets(cli))
            hooks.append(list(http_peer.posts("/hook")))
        yield Scenario(cli, runs, after, hooks, http_peer, smtp)
    finally:
        sw1.stop()
        sw2.stop()


def by_key(found: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    keys = [(t["host"], t["check_id"], t["object"]) for t in found]
    assert len(keys) == len(set(keys)), "one ticket per finding"
    return dict(zip(keys, found, strict=True))


def test_three_runs_open_resolve_and_reopen(scenario: Scenario) -> None:
    assert all(r.code == 0 for r in scenario.runs), [r.output for r in scenario.runs]
    first, second, third = (by_key(a) for a in scenario.after)
    n = len(first)
    assert n >= 5 and {s["state"] for s in first.values()} == {"submitted"}
    assert ("core-sw1", TELNET, "") in first and first[("core-sw1", TELNET, "")]["priority"] == "critical"
    resolved = [k for k, t in second.items() if t["state"] == "resolved"]
    assert resolved == [("core-sw1", TELNET, "")], "exactly one ticket auto-resolved"
    assert all(t["state"] == "submitted" for k, t in second.items() if k[0] == "core-sw2")
    assert set(second) - set(first) == {("core-sw2", "coverage.not_inspected", "")}
    telnet = third[("core-sw1", TELNET, "")]
    assert telnet["state"] == "submitted" and telnet["recurrence"] == 1 and telnet["occurrences"] == 2
    assert set(third) == set(second) and len(third) == n + 1
    assert [t["id"] for t in third.values()].count(telnet["id"]) == 1
    events = [h["event"] for h in scenario.hooks[2]]
    assert events.count("opened") == n + 1 and events.count("resolved") == 1 and events.count("reopened") == 1


def test_ticket_show_lists_timeline_runs_and_clocks(scenario: Scenario) -> None:
    telnet = by_key(scenario.after[2])[("core-sw1", TELNET, "")]
    shown = scenario.cli("ticket", "show", str(telnet["id"]))
    assert shown.code == 0, shown.output
    for text in ("opened", "resolved automatically", "reopened", "recurrence 1", "critical 特急", "SLA resolve"):
        assert text in shown.stdout, text
    assert shown.stdout.count("seen in 2 run(s)") == 1


def _events(cli: PatrolCLI, action: str) -> list[str]:
    con = sqlite3.connect(cli.home / "patrol.db")
    rows = [r[0] for r in con.execute("SELECT at FROM ticket_events WHERE action = ? ORDER BY id", (action,))]
    con.close()
    return rows


def test_sla_what_if_writes_nothing_then_the_real_breach_escalates_once(scenario: Scenario, tmp_path: Path) -> None:
    cli, mails = scenario.cli, scenario.smtp.messages
    telnet = by_key(scenario.after[2])[("core-sw1", TELNET, "")]
    assert cli("ticket", "assign", str(telnet["id"]), "Liu Yang", "--by", "duty-desk").code == 0  # responded
    sent_before = len(mails)
    early = cli("sla", "--at", "+1h")
    assert early.code == 0 and len(mails) == sent_before, "no breach within 4 h once responded"
    assert "left" in early.stdout and "+0." not in early.stdout, "remaining time in words, not +0.2h"
    what_if = cli("sla", "--at", "+5h")  # the user's what-if: it used to escalate, dated 5 h ahead
    assert what_if.code == 0, what_if.output
    assert "nothing written" in what_if.stdout and "escalated now" not in what_if.stdout
    line = next(x for x in what_if.stdout.splitlines() if f"would be escalated: ticket {telnet['id']} resolve" in x)
    assert "breached, overdue" in line
    assert len(mails) == sent_before and _events(cli, "sla_breached") == [], "a what-if writes nothing"
    # the real deadline passes (a contract whose critical clocks are 1 s long): `patrol sla` escalates now
    short = yaml.safe_load(cli.service.read_text(encoding="utf-8")) | {"sla": {"critical": {"respond": "1s",
                                                                                            "resolve": "1s"}}}
    short_service = write_service(tmp_path / "short.yml", **short)
    time.sleep(1.5)  # the resolve clock may have started at the assignment above: let its 1 s pass
    breach = cli("sla", "--service", str(short_service))
    assert breach.code == 0, breach.output
    assert "escalated now to Wang Wei" in breach.stdout
    assert f"escalated: ticket {telnet['id']} resolve clock breached, overdue" in breach.stdout
    telnet_mails = [m for m in mails[sent_before:] if f"ticket {telnet['id']} " in m["Subject"]]
    assert len(telnet_mails) == 1
    mail = telnet_mails[0]
    assert "critical" in mail["Subject"] and "breached" in mail["Subject"] and mail["To"] == "pm@example.net"
    assert "Wang Wei" in mail.get_payload(decode=True).decode()
    stamps = _events(cli, "sla_breached")
    assert stamps and max(stamps) <= datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), "dated now, not ahead"
    sent = len(mails)
    again = cli("sla", "--service", str(short_service))
    assert again.code == 0 and "0 escalated now" in again.stdout
    assert len(mails) == sent, "never twice for the same breach"
    breached = json.loads(cli("tickets", "--state", "breached", "--at", "+5h30m", "--json").stdout)
    assert any(t["check_id"] == TELNET and t["escalated_to"].startswith("Wang Wei") for t in breached)


def test_no_canary_reaches_tickets_store_mail_or_webhook(scenario: Scenario) -> None:
    cli = scenario.cli
    desk = cli("ticket", "new", "--class", "defect", "--channel", "hotline", "--reporter", "Li Lei", "--location",
               "DC1", "--priority", "critical", "login fails, user typed password CANARY-DESK-99")  # fmt: skip
    assert desk.code == 0, desk.output
    assert cli("sla", "--at", "+5h").code == 0
    found = by_key(scenario.after[0])
    assert ("core-sw2", "net.snmp.no_rw_community", "") in found, "the canary line was inspected"
    con = sqlite3.connect(cli.home / "patrol.db")
    dump = "\n".join(con.iterdump())
    con.close()
    texts = {"store": dump, "webhook": json.dumps(scenario.http.requests),
             "mail": "\n".join(m.as_string() for m in scenario.smtp.messages),
             "tickets": json.dumps(tickets(cli)), "show": cli("ticket", "show", "1").stdout}  # fmt: skip
    assert "<redacted>" in texts["webhook"]
    for name, text in texts.items():
        for secret in CANARIES:
            assert secret not in text, f"{secret} leaked into {name}"
