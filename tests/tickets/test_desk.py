"""The service desk through the real `patrol` command: workflow, fault record, waivers, bad input."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from patrol.cli import cli as patrol_command
from tests.conftest import Result
from tests.tickets.conftest import make_run, write_service


class PatrolCLI:
    """The real `patrol` click command run in-process (same code, output and exit codes as
    `python -m patrol`, without an interpreter start per call: these tests make ~40 calls)."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, *args: str) -> Result:
        env = {"PATROL_HOME": str(self.home), "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "PATROL_DB": None}
        result = CliRunner().invoke(patrol_command, list(args), env=env, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def patrol_cli(tmp_path: Path) -> PatrolCLI:
    return PatrolCLI(tmp_path / "home")

NEW = ("ticket", "new", "--channel", "hotline", "--reporter", "Li Lei", "--location", "DC1 room 3")


def state(cli: PatrolCLI, ticket_id: str) -> dict[str, Any]:
    result = cli("ticket", "show", ticket_id, "--json")
    assert result.code == 0, result.output
    return dict(json.loads(result.stdout))


def test_defect_workflow_record_and_export(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    cli = patrol_cli
    assert cli(*NEW, "--class", "defect", "--priority", "urgent", "core switch reboots").code == 0
    bad = cli("ticket", "move", "1", "resolve")
    assert bad.code == 2 and "allowed: analyse" in bad.stderr and "'resolve' is not allowed" in bad.stderr
    for action in ("analyse", "confirm", "escalate", "reply", "resolve"):
        moved = cli("ticket", "move", "1", action, "--note", f"step {action}", "--by", "Liu Yang")
        assert moved.code == 0, moved.output
    refused = cli("ticket", "move", "1", "close")
    assert refused.code == 2 and "cause, prevention, fix" in refused.stderr
    assert "patrol ticket record 1" in refused.stderr
    assert state(cli, "1")["state"] == "resolved", "a refused close changes nothing"
    record = ("--cause", "bad PSU", "--prevention", "dual PSU", "--fix", "PSU swapped")
    assert cli("ticket", "record", "1", *record).code == 0
    assert cli("ticket", "comment", "1", "customer informed").code == 0
    assert cli("ticket", "move", "1", "close", "--by", "Liu Yang").code == 0
    shown = state(cli, "1")
    assert shown["state"] == "closed" and shown["record"]["fix"] == "PSU swapped"
    moves = [(e["actor"], e["from_state"], e["to_state"]) for e in shown["timeline"] if e["action"] == "state"]
    assert moves[0] == ("Liu Yang", "submitted", "analysing") and moves[-1] == ("Liu Yang", "resolved", "closed")
    exported = tmp_path / "record.md"
    assert cli("ticket", "export", "1", "-o", str(exported)).code == 0
    text = exported.read_text()
    assert "Fault record" in text and "bad PSU" in text and "dual PSU" in text and "resolved → closed" in text


def test_consultation_closes_at_first_line(patrol_cli: PatrolCLI) -> None:
    cli = patrol_cli
    answered = cli(*NEW, "--class", "consultation", "--priority", "normal", "--answer", "use VPN profile B",
                   "how do I reach the backup site?")  # fmt: skip
    assert answered.code == 0 and "closed" in answered.stdout
    assert state(cli, "1")["record"]["answer"] == "use VPN profile B"
    assert cli(*NEW, "--class", "consultation", "--priority", "normal", "printer question").code == 0
    refused = cli("ticket", "move", "2", "analyse")
    assert refused.code == 2 and "allowed: reply, close" in refused.stderr
    assert cli("ticket", "move", "2", "close").code == 2  # a consultation closes with its answer
    assert cli("ticket", "move", "2", "close", "--note", "restart the spooler").code == 0
    listed = json.loads(cli("tickets", "--state", "closed", "--json").stdout)
    assert [t["class"] for t in listed] == ["consultation", "consultation"]


def test_bad_input_is_refused_and_changes_nothing(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    cli = patrol_cli
    assert cli(*NEW, "--class", "defect", "--priority", "other", "new report wanted").code == 0
    missing = cli("ticket", "show", "42")
    assert missing.code == 2 and "no ticket '42'" in missing.stderr
    past = cli("waive", "--check", "net.telnet.disabled", "--host", "sw1", "--until", "2020-01-01", "--reason", "x",
               "--approver", "Zhang")  # fmt: skip
    assert past.code == 2 and "not in the future" in past.stderr
    no_approver = cli("waive", "--check", "net.telnet.disabled", "--host", "sw1", "--until", "2999-01-01",
                      "--reason", "x")  # fmt: skip
    assert no_approver.code == 2 and "--approver" in no_approver.stderr
    assert "waivers: 0" in cli("waivers", "--all").stdout
    bad_sla = write_service(tmp_path / "bad.yml", sla={"critical": {"resolve": "four hours"}})
    result = cli("sla", "--service", str(bad_sla))
    assert result.code == 2 and "bad.yml" in result.stderr and "sla.critical.resolve" in result.stderr
    result = cli("tickets", "--service", str(write_service(tmp_path / "typo.yml", warnin_at=0.5)))
    assert result.code == 2 and "warnin_at" in result.stderr
    assert state(cli, "1")["state"] == "submitted" and state(cli, "1")["release"] == "2027.1"


def test_waiver_expiry_brings_the_ticket_back_and_notifies(
    patrol_cli: PatrolCLI, tmp_path: Path, http_peer: Any
) -> None:
    from patrol.store import Store
    from patrol.tickets import load_contract, sync_run

    cli = patrol_cli
    service = write_service(tmp_path / "service.yml", notify=[{"name": "hook", "type": "webhook",
                                                               "url": f"{http_peer.url}/hook"}])  # fmt: skip
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        sync_run(store, make_run(store, "r1", failing=[("sw1", "net.ntp.servers", "")]), load_contract(service))
    waived = cli("waive", "--check", "net.ntp.servers", "--group", "core", "--until", "+3s", "--reason",
                 "NTP migration", "--approver", "Zhang Wei")  # fmt: skip
    assert waived.code == 0 and "1 open ticket(s) now waived" in waived.stdout
    listed = cli("tickets", "--state", "waived")
    assert "waived 豁免" in listed.stdout and "sw1" in listed.stdout
    what_if = cli("sla", "--service", str(service), "--at", "+3h")
    assert what_if.code == 0 and "waiver 1" in what_if.stdout and "would have expired" in what_if.stdout
    assert "waivers: 1" in cli("waivers").stdout, "a what-if expires nothing"
    time.sleep(3.2)  # the waiver ends in real time; only `patrol sla` at the current time acts on it
    expired = cli("sla", "--service", str(service))
    assert expired.code == 0 and "expired: tickets [1] back in force" in expired.stdout
    assert [b["event"] for b in http_peer.posts("/hook")][-1] == "waiver_expired"
    assert "waivers: 0" in cli("waivers").stdout
    con = sqlite3.connect(cli.home / "patrol.db")
    actions = [r[0] for r in con.execute("SELECT action FROM ticket_events WHERE ticket_id = 1 ORDER BY id")]
    con.close()
    assert actions == ["opened", "waived", "waiver_expired"]
