"""Remediation of FakeNOS devices end to end through the real `patrol` command: finding -> ticket
-> preview (nothing changes) -> approve -> config changed and saved -> re-inspection -> ticket
resolved with the change on its timeline; rollback; and a forced failure on one of three hosts."""

from __future__ import annotations

import json

from patrol.store import Store

from ..conftest import PatrolCLI
from .conftest import NetLab

PROFILE = "inspect/network.yml"


def _findings(cli: PatrolCLI, host: str) -> list[dict]:
    result = cli("findings", "--json", "--host", host)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def _ticket_of(cli: PatrolCLI, fingerprint: str) -> tuple[int, str]:
    from patrol.tickets import TicketFilter, list_tickets

    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        found = [t for t in list_tickets(store, TicketFilter(state="all")) if t.fingerprint == fingerprint]
    assert found, "the run opened a ticket for the finding"
    return found[0].id, found[0].state.value


def _ticket_events(cli: PatrolCLI, ticket_id: int) -> tuple[str, list[str]]:
    from patrol.tickets.repo import get_ticket, ticket_events_of

    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        with store.read() as conn:
            state = get_ticket(conn, ticket_id).state.value
        return state, [e.note for e in ticket_events_of(store, ticket_id)]


def test_ntp_finding_ticket_preview_approve_verify_rollback(net_lab: NetLab, patrol_cli: PatrolCLI) -> None:
    before = net_lab.config("rsw1")
    run = patrol_cli("run", "-i", str(net_lab.inventory), "-p", PROFILE, "--limit", "rsw1")
    assert run.code == 0, run.output
    [ntp] = [f for f in _findings(patrol_cli, "rsw1") if f["check_id"] == "net.ntp.servers"]
    ticket_id, state = _ticket_of(patrol_cli, ntp["fingerprint"])

    refused = patrol_cli("remediate", str(ticket_id), "--approve", "--by", "alice")
    assert refused.code == 2 and "no preview of this plan" in refused.output, refused.output
    assert net_lab.config("rsw1") == before

    shown = patrol_cli("remediate", str(ticket_id), "--check")
    assert shown.code == 0, shown.output
    assert "-ntp server 192.0.2.99" in shown.stdout and "+ntp server 192.0.2.123" in shown.stdout
    assert "+ntp server 192.0.2.124" in shown.stdout and "nothing was changed" in shown.stdout
    assert net_lab.config("rsw1") == before, "a preview changes nothing"

    applied = patrol_cli("remediate", str(ticket_id), "--approve", "--by", "alice")
    assert applied.code == 0, applied.output
    assert "rsw1: applied" in applied.stdout and "passed: finding gone" in applied.stdout
    config = net_lab.config("rsw1")
    assert "ntp server 192.0.2.123\nntp server 192.0.2.124" in config and "192.0.2.99" not in config
    assert net_lab.fleet.running_config("rsw1").startup_text() == config, "saved with write memory"

    change_id = applied.stdout.split("change ", 1)[1].split()[0]
    state, notes = _ticket_events(patrol_cli, ticket_id)
    assert state == "resolved", notes
    assert any(change_id in note and "finding gone" in note for note in notes)

    log = patrol_cli("changes", "--host", "rsw1")
    assert change_id in log.stdout and "alice" in log.stdout and "applied" in log.stdout
    [entry] = json.loads(patrol_cli("changes", change_id, "--json").stdout)
    assert entry["approvals"][0]["approver"] == "alice" and entry["verified"] is True
    assert entry["preview"]["rsw1"]["diff"].count("\n+ntp server") == 2
    assert entry["host_results"][0]["backup"][0]["lines"] == ["ntp server 192.0.2.99"]
    out = net_lab.inventory.parent / "verification-report.json"
    report = patrol_cli("report", entry["verify_run_id"], "--format", "json", "-o", str(out))
    assert report.code == 0, report.output
    [line] = json.loads(out.read_text())["changes"]
    assert (line["id"], line["role"], line["verified"]) == (change_id, "verification", True)
    assert line["approvers"] == ["alice"]

    back = patrol_cli("rollback", change_id, "--by", "carol")
    assert back.code == 0, back.output
    assert "rsw1: rolled_back" in back.stdout
    assert net_lab.config("rsw1") == before
    twice = patrol_cli("rollback", change_id)
    assert twice.code == 2 and "already rolled back" in twice.output


def test_forced_failure_on_one_of_three_hosts_rolls_it_back_and_stops(net_lab: NetLab, patrol_cli: PatrolCLI) -> None:
    args = ("remediate", "--playbook", "playbooks/remediate/ntp_servers.yml", "--limit", "fsw1,fsw2,fsw3",
            "-i", str(net_lab.inventory), "-p", PROFILE, "-e", "ntp_servers=[192.0.2.123, 192.0.2.124]")  # fmt: skip
    originals = {name: net_lab.config(name) for name in ("fsw1", "fsw2", "fsw3")}
    shown = patrol_cli(*args, "--check")
    assert shown.code == 0, shown.output
    assert shown.stdout.count("would change") == 3
    result = patrol_cli(*args, "--approve", "--by", "alice")
    assert result.code == 3, result.output
    assert "fsw2: failed" in result.stdout and "restored from the backup" in result.stdout
    assert "rejected 'ntp server 192.0.2.124'" in result.stdout
    assert "fsw3: skipped" in result.stdout
    assert "ntp server 192.0.2.123" in net_lab.config("fsw1"), "the host before the failure keeps its change"
    assert net_lab.config("fsw2") == originals["fsw2"], "the failed host is back to its saved lines"
    assert net_lab.config("fsw3") == originals["fsw3"], "no host after the failure is touched"
