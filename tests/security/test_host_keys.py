"""SSH host keys are verified (issue 14, section 4), against real peers: FakeNOS devices (netmiko)
and an sshd host in a network namespace (Ansible over OpenSSH).

The story: a first run learns every key (accept-new); a device and a Linux host are restarted
with new host keys; the next run fails exactly those two as ``host_key_changed`` naming the old
and new fingerprints and the command that accepts the new key, the device's and the sshd's auth
logs show no authentication attempt, and the other hosts are inspected as before. After
``patrol hostkey accept`` the run succeeds again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from patrol.collect.base import CollectContext
from patrol.collect.hostkeys import KnownHosts, fingerprint, verify
from patrol.collect.netssh import NetmikoCollector
from patrol.errors import HostKeyChanged
from patrol.lab.fakenos_lab import device_commands
from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.lab.sshd_lab import LabHost, SshdLab
from patrol.models import Credentials, DeviceClass, Host, HostResult, HostStatus
from patrol.paths import LIBRARY_DIR, PLAYBOOKS_DIR
from patrol.remediate.model import Plan
from patrol.remediate.playbook import run_playbook
from tests.conftest import PatrolCLI, free_ports

USER, PASSWORD = "patrol", "Hostkey-Test-Pass-1"
PREFIX, SUBNET = "phk", "10.99.234"  # not the demo lab's, nor another test package's
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def _devices(ports: dict[str, int], keys: dict[str, paramiko.PKey]) -> list[FleetDevice]:
    """cisco_ios devices answering with the demo lab's core-sw1 outputs (real captures, parseable)."""
    commands = device_commands("core-sw1", "cisco_ios")
    return [FleetDevice(name, "cisco_ios", port, USER, PASSWORD, commands=commands, host_key=keys.get(name))
            for name, port in ports.items()]  # fmt: skip


@dataclass
class Peers:
    ports: dict[str, int]
    fleet: Fleet
    sshd: SshdLab
    state: Path

    def restart_device(self, name: str, key: paramiko.PKey) -> None:
        """Stop the fleet and start it again, ``name`` now with a new host key (the others keep theirs)."""
        self.fleet.stop()
        self.fleet = start_fleet(_devices(self.ports, {name: key}))

    def restart_sshd_with_new_key(self, host: str) -> int:
        """Restart the sshd hosts, ``host`` with a new host key; returns its log's size before."""
        self.sshd.stop()
        (self.state / "sshd" / host / "ssh_host_ed25519_key").unlink()
        log_size = self.sshd_log(host).stat().st_size
        self.sshd.start(self.state)
        return log_size

    def sshd_log(self, host: str) -> Path:
        return self.state / "sshd" / host / "sshd.log"


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Peers]:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces for the sshd host)")
    ports = dict(zip(["core-sw1", "core-sw2"], free_ports(2), strict=True))
    state = tmp_path / "sshd-state"
    sshd = SshdLab(prefix=PREFIX, subnet=SUBNET, hosts=(LabHost("web1", 11), LabHost("db1", 12)))
    sshd.start(state)
    peers = Peers(ports, start_fleet(_devices(ports, {})), sshd, state)
    yield peers
    peers.fleet.stop()
    sshd.stop()


def _inventory(path: Path, peers: Peers) -> Path:
    net = {name: {"ansible_host": "127.0.0.1", "ansible_port": port, "patrol_platform": "cisco_ios"}
           for name, port in peers.ports.items()}  # fmt: skip
    linux_vars = {"ansible_user": "root", "ansible_connection": "ssh", "patrol_platform": "linux",
                  "ansible_python_interpreter": "/usr/bin/python3",
                  "ansible_ssh_private_key_file": str(peers.state / "ssh" / "id_ed25519")}  # fmt: skip
    linux = {"web1": {"ansible_host": f"{SUBNET}.11"},
             "db1": {"ansible_host": f"{SUBNET}.12", "patrol_host_key_checking": "strict"}}  # fmt: skip
    data = {"all": {"children": {
        "network": {"hosts": net, "vars": {"ansible_user": USER, "ansible_password": PASSWORD}},
        "linux": {"hosts": linux, "vars": linux_vars},
    }}}  # fmt: skip
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def _run(patrol_cli: PatrolCLI, inventory: Path) -> dict[str, dict[str, str]]:
    patrol_cli("run", "-i", str(inventory), "-p", "inspect/network.yml", "-p", "inspect/host.yml", timeout=600)
    shown = patrol_cli("show", "latest", "--json")
    assert shown.code == 0, shown.output
    return {h["host"]: h for h in json.loads(shown.stdout)["hosts"]}


def _auth_lines(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if re.search(r"Accepted|Failed|Postponed|authenticating user|Invalid user|userauth", line)]  # fmt: skip


def test_a_changed_key_fails_that_host_before_any_credential_and_accept_restores_it(
    peers: Peers, patrol_cli: PatrolCLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_USER_KNOWN_HOSTS", str(tmp_path / "user_known_hosts"))  # none: not root's
    inventory = _inventory(tmp_path / "hosts.json", peers)
    first = _run(patrol_cli, inventory)
    assert {h: first[h]["status"] for h in first} == {
        "core-sw1": "ok", "core-sw2": "ok", "web1": "ok", "db1": "host_key_unknown",
    }, first  # fmt: skip
    assert "strict" in first["db1"]["error"] and "patrol hostkey accept 10.99.234.12" in first["db1"]["error"]
    listed = json.loads(patrol_cli("hostkey", "list", "--json").stdout)["keys"]
    learned = {k["endpoint"]: k for k in listed}
    sw1_port = peers.ports["core-sw1"]
    assert set(learned) == {f"[127.0.0.1]:{sw1_port}", f"[127.0.0.1]:{peers.ports['core-sw2']}", f"{SUBNET}.11"}
    old_sw1, old_web1 = learned[f"[127.0.0.1]:{sw1_port}"]["fingerprint"], learned[f"{SUBNET}.11"]["fingerprint"]
    assert learned[f"[127.0.0.1]:{sw1_port}"]["host"] == "core-sw1"  # recorded with the inventory name

    new_key = paramiko.RSAKey.generate(2048)
    peers.restart_device("core-sw1", new_key)
    log_before = peers.restart_sshd_with_new_key("web1")
    second = _run(patrol_cli, inventory)

    assert {h: second[h]["status"] for h in ("core-sw1", "web1", "core-sw2")} == {
        "core-sw1": "host_key_changed", "web1": "host_key_changed", "core-sw2": "ok",
    }, second  # fmt: skip
    sw1_error = second["core-sw1"]["error"]
    assert old_sw1 in sw1_error and fingerprint(new_key.get_base64()) in sw1_error, sw1_error
    assert "patrol hostkey accept core-sw1" in sw1_error and "no password" in sw1_error
    assert PASSWORD not in json.dumps(second)
    assert peers.fleet.auth_log("core-sw1") == [], "no credential reached the re-keyed device"
    assert peers.fleet.auth_log("core-sw2") == ["password patrol"], "the other device was logged in to"
    web1_error = second["web1"]["error"]
    new_web1 = subprocess.run(["ssh-keygen", "-lf", str(peers.state / "sshd" / "web1" / "ssh_host_ed25519_key.pub")],
                              capture_output=True, text=True, check=True).stdout.split()[1]  # fmt: skip
    assert old_web1 in web1_error and new_web1 in web1_error and old_web1 != new_web1, web1_error
    assert f"patrol hostkey accept {SUBNET}.11" in web1_error
    after_restart = peers.sshd_log("web1").read_text()[log_before:]
    assert "Connection from" in after_restart and _auth_lines(after_restart) == [], after_restart

    report = patrol_cli("report", "latest", "--format", "md", "--lang", "zh-Hant", "-o",
                        str(tmp_path / "r.md"))  # fmt: skip
    gaps = (tmp_path / "r.md").read_text().split("## 未能巡檢的設備")[1].split("\n## ")[0]
    [sw1] = [line for line in gaps.splitlines() if line.startswith("| core-sw1 |")]
    assert report.code == 0 and "SSH 主機金鑰已變更" in sw1, report.output
    assert "| web1 |" in gaps and "| core-sw2 |" not in gaps, "coverage: inspected hosts only"

    accepted = patrol_cli("hostkey", "accept", "core-sw1", "--expect", fingerprint(new_key.get_base64()))
    assert accepted.code == 0 and f"replaced ssh-rsa {old_sw1}" in accepted.stdout, accepted.output
    wrong = patrol_cli("hostkey", "accept", f"{SUBNET}.11", "--expect", old_web1)
    assert wrong.code == 2 and "nothing recorded" in wrong.stderr
    assert patrol_cli("hostkey", "accept", f"{SUBNET}.11").code == 0
    third = _run(patrol_cli, inventory)
    assert {h: third[h]["status"] for h in ("core-sw1", "core-sw2", "web1")} == dict.fromkeys(
        ("core-sw1", "core-sw2", "web1"), "ok"
    ), third
    assert peers.fleet.auth_log("core-sw1") == ["password patrol"]
    forgot = patrol_cli("hostkey", "forget", "core-sw1")
    assert forgot.code == 0 and fingerprint(new_key.get_base64()) in forgot.stdout
    assert patrol_cli("hostkey", "forget", "core-sw1").code == 2
    by_inventory = patrol_cli("hostkey", "forget", "web1", "-i", str(inventory))  # web1: learned by OpenSSH
    assert by_inventory.code == 0 and f"forgot {SUBNET}.11 ssh-ed25519 {new_web1}" in by_inventory.stdout


# ---------------------------------------------------------------------------- netmiko, policies


def _host(name: str, port: int, policy: str | None = None) -> Host:
    return Host(name=name, address="127.0.0.1", port=port, device_class=DeviceClass.NETWORK, platform="cisco_ios",
                collector="netmiko", connect_timeout=5, command_timeout=10,
                credentials=Credentials(username=USER, password=PASSWORD),
                vars={"patrol_host_key_checking": policy} if policy else {})  # fmt: skip


def _collect(hosts: list[Host], known_hosts: Path, user_known_hosts: Path | None = None) -> dict[str, HostResult]:
    results: list[HostResult] = []
    ctx = CollectContext(run_id="t", work_dir=known_hosts.parent, forks=4, known_hosts=known_hosts,
                         user_known_hosts=user_known_hosts)  # fmt: skip
    NetmikoCollector().collect(hosts, ctx, results.append)
    return {r.host: r for r in results}


@pytest.fixture
def fleet() -> Iterator[tuple[Fleet, dict[str, int]]]:
    ports = dict(zip(["strict-sw", "off-sw", "user-sw"], free_ports(3), strict=True))
    running = start_fleet(_devices(ports, {"user-sw": paramiko.RSAKey.generate(2048)}))
    yield running, ports
    running.stop()


def test_strict_refuses_an_unknown_key_off_connects_and_the_users_file_is_trusted(
    fleet: tuple[Fleet, dict[str, int]], tmp_path: Path
) -> None:
    running, ports = fleet
    known, user = tmp_path / "known_hosts", tmp_path / "user_known_hosts"
    # the user's own file knows user-sw by a different key, with a hashed name (ssh-keygen -H)
    other = paramiko.RSAKey.generate(2048)
    user.write_text(f"[127.0.0.1]:{ports['user-sw']} ssh-rsa {other.get_base64()}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(user)], check=True, capture_output=True)
    assert "|1|" in user.read_text()
    results = _collect([_host("strict-sw", ports["strict-sw"], "strict"), _host("off-sw", ports["off-sw"], "off"),
                        _host("user-sw", ports["user-sw"])], known, user)  # fmt: skip
    strict, off, by_user = results["strict-sw"], results["off-sw"], results["user-sw"]
    assert strict.status is HostStatus.HOST_KEY_UNKNOWN and "is strict" in (strict.error or "")
    assert running.auth_log("strict-sw") == []
    assert off.status is HostStatus.OK, off.error
    assert by_user.status is HostStatus.HOST_KEY_CHANGED and fingerprint(other.get_base64()) in (by_user.error or "")
    assert f"{user}:1" in (by_user.error or "") and running.auth_log("user-sw") == []
    assert not known.exists() or known.read_text() == "", "strict and off record nothing"


def test_concurrent_first_contacts_record_one_line_and_a_racing_other_key_is_a_change(tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    key, impostor = paramiko.RSAKey.generate(1024), paramiko.RSAKey.generate(1024)
    outcomes: list[str] = []
    errors: list[Exception] = []

    def contact(blob: str) -> None:
        try:
            outcomes.append(verify(known, "accept-new", "sw", "10.0.0.9", 2222, "ssh-rsa", blob))
        except HostKeyChanged as exc:
            errors.append(exc)

    threads = [threading.Thread(target=contact, args=(key.get_base64(),)) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "known_hosts").read_text().splitlines()
    assert lines == [f"[10.0.0.9]:2222 ssh-rsa {key.get_base64()} sw"]
    assert sorted(set(outcomes)) == ["known", "learned"] and outcomes.count("learned") == 1 and not errors
    contact(impostor.get_base64())
    [changed] = errors
    assert changed.known == (fingerprint(key.get_base64()),) and changed.presented == fingerprint(impostor.get_base64())
    keygen = subprocess.run(["ssh-keygen", "-lf", str(tmp_path / "known_hosts")], capture_output=True, text=True)
    assert fingerprint(key.get_base64()) in keygen.stdout, "fingerprints are OpenSSH's"


# ---------------------------------------------------------------------------- the remediation module


def _net_config(args: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """library/patrol_net_config.py run as ansible-core runs a module (JSON args file, JSON result)."""
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, str(LIBRARY_DIR / "patrol_net_config.py"), str(path)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.stdout.strip(), proc.stderr
    return dict(json.loads(proc.stdout))


def test_the_remediation_module_checks_the_key_before_logging_in(
    fleet: tuple[Fleet, dict[str, int]], tmp_path: Path
) -> None:
    running, ports = fleet
    known = tmp_path / "known_hosts"
    args = {"host": "127.0.0.1", "port": ports["off-sw"], "username": USER, "password": PASSWORD,
            "platform": "cisco_ios", "state": "gathered", "match": "^ntp server ", "known_hosts": str(known),
            "user_known_hosts": "none", "inventory_name": "off-sw"}  # fmt: skip
    impostor = paramiko.RSAKey.generate(2048)
    known.write_text(f"[127.0.0.1]:{ports['off-sw']} ssh-rsa {impostor.get_base64()} off-sw\n")
    refused = _net_config(args, tmp_path)
    assert refused["failed"] and str(refused["msg"]).startswith("host_key_changed: "), refused
    assert fingerprint(impostor.get_base64()) in str(refused["msg"]) and "patrol hostkey accept off-sw" in str(
        refused["msg"]
    )
    assert running.auth_log("off-sw") == [] and PASSWORD not in json.dumps(refused)
    known.unlink()
    learned = _net_config(args, tmp_path)
    assert not learned.get("failed") and learned["changed"] is False, learned
    assert known.read_text().startswith(f"[127.0.0.1]:{ports['off-sw']} ssh-rsa ") and known.read_text().endswith(
        " off-sw\n"
    )
    assert running.auth_log("off-sw") == ["password patrol"]


def test_a_remediation_playbook_stops_at_a_changed_key_before_logging_in(peers: Peers, tmp_path: Path) -> None:
    host_dir = peers.state / "sshd" / "web1"
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        f"web1 ansible_host={SUBNET}.11 ansible_user=root ansible_python_interpreter=/usr/bin/python3 "
        f"ansible_ssh_private_key_file={peers.state}/ssh/id_ed25519 "
        f"patrol_sshd_config={host_dir}/sshd_config patrol_sshd_pidfile={host_dir}/sshd.pid\n"
    )
    playbook = PLAYBOOKS_DIR / "remediate" / "sshd_permit_root_login.yml"
    plan = Plan(playbook=str(playbook), playbook_sha="test", hosts=("web1",), inventory=(str(inventory),))
    known = tmp_path / "known_hosts"
    db1_key = (peers.state / "sshd" / "db1" / "ssh_host_ed25519_key.pub").read_text().split()[1]  # not web1's
    known.write_text(f"{SUBNET}.11 ssh-ed25519 {db1_key} web1\n")
    log_before = peers.sshd_log("web1").stat().st_size
    refused = run_playbook(plan, tmp_path / "work", ["web1"], check=True, known_hosts=known).hosts["web1"]
    assert refused.unreachable and refused.messages[0].startswith("host_key_changed"), refused.messages
    after = peers.sshd_log("web1").read_text()[log_before:]
    assert "Connection closed by" in after and _auth_lines(after) == [], after
    known.unlink()
    preview = run_playbook(plan, tmp_path / "work", ["web1"], check=True, known_hosts=known).hosts["web1"]
    assert preview.ok and {"task": "Set PermitRootLogin", "status": "ok"} in preview.tasks, preview.messages
    assert "PermitRootLogin prohibit-password" in preview.backups[0]["content"], "it logged in and read the file"
    assert known.read_text().startswith(f"{SUBNET}.11 ssh-ed25519 "), "the first contact was recorded"
