"""Approvals cannot be forged or applied twice (issue 14, section 5), against real FakeNOS devices
through the real `patrol` command and a real `patrol serve`:

- two approvals started at the same moment: exactly one applies, the other exits 2 naming who
  applies it; over the API one answers 200 and the other 409;
- where a second approver is required the requester cannot approve;
- kill -9 of the applying process: the change is `interrupted` (not `applying` forever), `patrol
  changes` shows it, and `patrol rollback` restores the device from the backups stored before it;
- the API records the token's identity and refuses a body naming an approver.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.remediate.changelog import create_change, get_change
from patrol.remediate.model import Plan
from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import ROOT, PatrolCLI, free_ports
from tests.remediate.conftest import PASSWORD, USER, running_config
from tests.service.conftest import start_server

NAMES = ["asw1", "asw2", "psw1", "ksw1", "ksw2"]
NEW = "ntp server 192.0.2.123\nntp server 192.0.2.124"
API = "/api/v1"


@dataclass(frozen=True)
class Lab:
    fleet: Fleet
    inventory: Path

    def config(self, name: str) -> str:
        return self.fleet.running_config(name).text()


@pytest.fixture(scope="module")
def fleet_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    ports = dict(zip(NAMES, free_ports(len(NAMES)), strict=True))
    fleet = start_fleet([
        FleetDevice(name, "cisco_ios", port, USER, PASSWORD, config_mode=True,
                    commands={"show running-config": {"output": running_config(name), "prompt": ["{base_prompt}#"]}})
        for name, port in ports.items()
    ])  # fmt: skip
    inventory = tmp_path_factory.mktemp("sec-inventory") / "hosts.yml"
    hosts = "\n".join(f"        {name}: {{ansible_port: {port}}}" for name, port in ports.items())
    inventory.write_text(f"""all:
  children:
    network:
      vars:
        ansible_host: 127.0.0.1
        ansible_user: {USER}
        ansible_password: {PASSWORD}
        patrol_platform: cisco_ios
        patrol_device_class: network
        patrol_connect_timeout: 5
      hosts:
{hosts}
""")
    yield Lab(fleet, inventory)
    fleet.stop()


def _ntp(lab: Lab, limit: str) -> tuple[str, ...]:
    return ("remediate", "--playbook", "playbooks/remediate/ntp_servers.yml", "--limit", limit,
            "-i", str(lab.inventory), "-p", "inspect/network.yml",
            "-e", "ntp_servers=[192.0.2.123, 192.0.2.124]")  # fmt: skip


def _spawn(cli: PatrolCLI, *args: str) -> subprocess.Popen[str]:
    """``patrol ARGS`` in a session of its own (so the test can kill it and every child)."""
    return subprocess.Popen([sys.executable, "-m", "patrol", *args], cwd=ROOT, env=cli.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip


def _entry(cli: PatrolCLI, change_id: str) -> dict[str, Any]:
    shown = cli("changes", change_id, "--json")
    assert shown.code == 0, shown.output
    [entry] = json.loads(shown.stdout)
    return entry


def _previewed(cli: PatrolCLI, args: tuple[str, ...], by: str) -> str:
    shown = cli(*args, "--check", "--by", by)
    assert shown.code == 0, shown.output
    return shown.stdout.split("change ", 1)[1].split()[0]


def test_two_approvals_at_the_same_moment_apply_once(fleet_lab: Lab, patrol_cli: PatrolCLI) -> None:
    args, before = _ntp(fleet_lab, "asw1"), fleet_lab.config("asw1")
    change_id = _previewed(patrol_cli, args, "carol")
    procs = {who: _spawn(patrol_cli, *args, "--approve", "--by", who) for who in ("alice", "bob")}
    done = {who: (proc.wait(timeout=300), *proc.communicate()) for who, proc in procs.items()}
    codes = sorted(code for code, _, _ in done.values())
    assert codes == [0, 2], done
    [winner] = [who for who, (code, _, _) in done.items() if code == 0]
    [(_, _, refused)] = [result for who, result in done.items() if who != winner]
    # the loser arrives while the winner applies (the apply takes seconds; both start together); on a
    # machine so loaded that it arrives after the apply, it is refused as already applied
    assert (f"change {change_id} is already being applied by {winner} since" in refused and "Nothing was done"
            in refused) or f"change {change_id} is applied: a change applies once" in refused, refused  # fmt: skip
    entry = _entry(patrol_cli, change_id)
    assert entry["status"] == "applied" and [a["approver"] for a in entry["approvals"]] == [winner]
    config = fleet_lab.config("asw1")
    assert config != before and config.count("ntp server 192.0.2.123") == 1 and "192.0.2.99" not in config
    again = patrol_cli(*args, "--approve", "--by", "dave")
    assert again.code == 2 and f"change {change_id} is applied: a change applies once" in again.output


def test_the_requester_cannot_be_an_approver_where_two_are_required(
    fleet_lab: Lab, patrol_cli: PatrolCLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_NETWORK_WIDE_HOSTS", "1")  # every plan is network-wide: two approvers
    args, before = _ntp(fleet_lab, "psw1"), fleet_lab.config("psw1")
    change_id = _previewed(patrol_cli, args, "alice")
    assert _entry(patrol_cli, change_id)["requested_by"] == "alice"
    own = patrol_cli(*args, "--approve", "--by", "alice")
    assert own.code == 2, own.output
    assert f"alice requested {change_id}" in own.output and "two approvers other than the requester" in own.output
    first = patrol_cli(*args, "--approve", "--by", "bob")
    assert first.code == 0 and "waiting for a second approver" in first.stdout, first.output
    twice = patrol_cli(*args, "--approve", "--by", "bob")
    assert twice.code == 2 and "bob already approved" in twice.output
    assert fleet_lab.config("psw1") == before, "nothing applied before two approvers other than the requester"
    second = patrol_cli(*args, "--approve", "--by", "carol")
    assert second.code == 0 and "psw1: applied" in second.stdout, second.output
    entry = _entry(patrol_cli, change_id)
    assert [a["approver"] for a in entry["approvals"]] == ["bob", "carol"] and entry["status"] == "applied"
    assert NEW in fleet_lab.config("psw1")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.extend(kids := children.get(todo.pop(), []))
        todo.extend(kids)
    return found


def _kill_tree(proc: subprocess.Popen[str]) -> None:
    """kill -9 the patrol process and everything it started (ansible-runner's pty children included)."""
    for pid in [proc.pid, *_descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _host_states(cli: PatrolCLI) -> tuple[str | None, dict[str, str]]:
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        with store.read() as conn:
            row = conn.exec_driver_sql("SELECT id FROM changes ORDER BY created_at DESC LIMIT 1").first()
        if row is None:
            return None, {}
        change = get_change(store, row[0])
    return change.status.value, {h.host: h.status.value for h in change.host_results}


def test_kill_9_mid_apply_leaves_an_interrupted_change_that_rolls_back(fleet_lab: Lab, patrol_cli: PatrolCLI) -> None:
    args, hosts = _ntp(fleet_lab, "ksw1,ksw2"), ("ksw1", "ksw2")
    before = {name: fleet_lab.config(name) for name in hosts}
    change_id = _previewed(patrol_cli, args, "carol")
    proc = _spawn(patrol_cli, *args, "--approve", "--by", "alice")
    deadline, states = time.monotonic() + 240, (None, {})
    while time.monotonic() < deadline and proc.poll() is None:
        states = _host_states(patrol_cli)
        if states[0] == "applying" and states[1].get("ksw1") == "applied":
            break  # ksw1 changed, ksw2 (second batch) pending: kill -9 now
        time.sleep(0.05)
    assert proc.poll() is None, f"the apply ended before it could be killed: {proc.communicate()}"
    assert states == ("applying", {"ksw1": "applied", "ksw2": "pending"}), states
    _kill_tree(proc)
    assert NEW in fleet_lab.config("ksw1"), "a device was changed before the crash"

    listed = patrol_cli("changes")
    assert listed.code == 0 and change_id in listed.stdout and "interrupted" in listed.stdout, listed.output
    entry = _entry(patrol_cli, change_id)
    assert entry["status"] == "interrupted" and f"pid {proc.pid}" in entry["error"] and "is gone" in entry["error"]
    assert "ksw1, ksw2" in entry["error"] and f"patrol rollback {change_id}" in entry["error"]
    backups = {h["host"]: h["backup"] for h in entry["host_results"]}
    assert all(b[0]["lines"] == ["ntp server 192.0.2.99"] for b in backups.values()), backups
    shown = patrol_cli("changes", change_id)
    assert "interrupted" in shown.stdout and "ksw1: applied" in shown.stdout and "ksw2: pending" in shown.stdout

    again = patrol_cli(*args, "--approve", "--by", "bob")
    assert again.code == 2 and "was interrupted while being applied" in again.output, again.output
    back = patrol_cli("rollback", change_id, "--by", "carol")
    assert back.code == 0, back.output
    assert "ksw1: rolled_back" in back.stdout and "ksw2: rolled_back" in back.stdout
    assert {name: fleet_lab.config(name) for name in hosts} == before
    assert _entry(patrol_cli, change_id)["status"] == "rolled_back"


# -- the API ----------------------------------------------------------------------------------


def _seed(cli: PatrolCLI, requested_by: str) -> str:
    """A previewed critical change (two approvers needed), as `patrol remediate --check` records it."""
    plan = Plan(playbook=str(ROOT / "playbooks" / "remediate" / "banner.yml"), playbook_sha="0" * 64,
                vars={"banner_text": requested_by}, hosts=("core-sw1",), inventory=("inventory/lab",),
                severity="critical")  # fmt: skip
    preview = {"core-sw1": {"changed": True, "diff": "+ banner", "failed": False}}
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        return create_change(store, plan, preview=preview, requested_by=requested_by, options={}).id


def test_api_records_the_token_identity_never_a_body_name(patrol_cli: PatrolCLI) -> None:
    patrol_cli.home.mkdir(parents=True)
    change_id, own_id = _seed(patrol_cli, "alice"), _seed(patrol_cli, "api:t-bob")
    with Store.open(f"sqlite:///{patrol_cli.home / 'patrol.db'}") as store:
        token = add_token(store, "t-bob", "approver")
    server = start_server(patrol_cli, "--tick", "60")
    try:
        url = f"{API}/changes/{change_id}/approve"
        for body in ({"by": "mallory"}, {"approver": "mallory"}):
            forged = server.call("POST", url, token, json=body)
            assert forged.status_code == 422, forged.text
            assert forged.json()["detail"][0]["loc"] == ["body", next(iter(body))]
        assert _entry(patrol_cli, change_id)["approvals"] == [], "a refused request records nothing"
        approved = server.call("POST", url, token)
        assert approved.status_code == 200, approved.text
        assert [a["approver"] for a in approved.json()["approvals"]] == ["api:t-bob"]
        assert approved.json()["status"] == "awaiting_approval"
        own = server.call("POST", f"{API}/changes/{own_id}/approve", token)
        assert own.status_code == 409 and f"api:t-bob requested {own_id}" in own.json()["detail"], own.text
        assert _entry(patrol_cli, own_id)["approvals"] == []
    finally:
        server.stop()


def test_api_two_approvals_at_the_same_moment_one_applies_one_409(fleet_lab: Lab, patrol_cli: PatrolCLI) -> None:
    args, before = _ntp(fleet_lab, "asw2"), fleet_lab.config("asw2")
    change_id = _previewed(patrol_cli, args, "carol")
    with Store.open(f"sqlite:///{patrol_cli.home / 'patrol.db'}") as store:
        tokens = {name: add_token(store, name, "approver") for name in ("t-alice", "t-bob")}
    server = start_server(patrol_cli, "--tick", "60")
    answers: dict[str, httpx.Response] = {}
    go = threading.Barrier(2)

    def approve(name: str) -> None:
        go.wait()
        answers[name] = server.call("POST", f"{API}/changes/{change_id}/approve", tokens[name])

    try:
        threads = [threading.Thread(target=approve, args=(name,)) for name in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        server.stop()
    assert sorted(a.status_code for a in answers.values()) == [200, 409], {k: v.text for k, v in answers.items()}
    [winner] = [name for name, answer in answers.items() if answer.status_code == 200]
    [loser] = [answer for answer in answers.values() if answer.status_code == 409]
    assert f"is already being applied by api:{winner} since" in loser.json()["detail"], loser.text
    entry = _entry(patrol_cli, change_id)
    assert entry["status"] == "applied" and [a["approver"] for a in entry["approvals"]] == [f"api:{winner}"]
    assert fleet_lab.config("asw2") != before and NEW in fleet_lab.config("asw2")
