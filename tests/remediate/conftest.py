"""Real targets for remediation: FakeNOS devices with an emulated config mode on free ports, an
inventory that names them, and (as root) sshd hosts in network namespaces of their own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.lab.sshd_lab import LabHost, SshdLab
from tests.conftest import free_ports

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "patrol", "Rem-Test-Pass-3141"
AGREED = ["192.0.2.123", "192.0.2.124"]
#: rsw1: the ticket scenario; fsw1..3: the rollout with a forced failure on fsw2; msw1: module tests.
NAMES = ["rsw1", "fsw1", "fsw2", "fsw3", "msw1"]
REJECTS = {"fsw2": ("^ntp server 192\\.0\\.2\\.124$",), "msw1": ("^banner motd",)}


def running_config(name: str) -> str:
    return (f"hostname {name}\nservice password-encryption\nntp server 192.0.2.99\nlogging host 192.0.2.50\n"
            "line vty 0 4\n transport input ssh\nend")  # fmt: skip




@dataclass(frozen=True)
class NetLab:
    fleet: Fleet
    inventory: Path
    ports: dict[str, int]

    def config(self, name: str) -> str:
        return self.fleet.running_config(name).text()


@pytest.fixture(scope="package")
def net_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetLab]:
    ports = dict(zip(NAMES, free_ports(len(NAMES)), strict=True))
    devices = [
        FleetDevice(name, "cisco_ios", port, USER, PASSWORD, config_mode=True, reject_config=REJECTS.get(name, ()),
                    commands={"show running-config": {"output": running_config(name), "prompt": ["{base_prompt}#"]}})
        for name, port in ports.items()
    ]  # fmt: skip
    fleet = start_fleet(devices)
    inventory = tmp_path_factory.mktemp("net-inventory") / "hosts.yml"
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
        patrol_expected_ntp_servers: {AGREED}
        patrol_connect_timeout: 5
      hosts:
{hosts}
""")
    yield NetLab(fleet, inventory, ports)
    fleet.stop()


@dataclass(frozen=True)
class HostLab:
    lab: SshdLab
    state: Path
    inventory: Path

    def sshd_config(self, host: str) -> Path:
        return self.state / "sshd" / host / "sshd_config"


@pytest.fixture(scope="package")
def host_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostLab]:
    """web1 (PermitRootLogin yes) in a namespace of its own prefix and subnet (never the demo lab's)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    state = tmp_path_factory.mktemp("rem-sshd")
    lab = SshdLab(prefix="prem", subnet="10.99.233", hosts=(LabHost("web1", 11, permit_root_login="yes"),))
    lab.start(state)
    inventory = tmp_path_factory.mktemp("host-inventory") / "hosts.ini"
    host_dir = state / "sshd" / "web1"
    inventory.write_text(f"""[linux]
web1 ansible_host=10.99.233.11 patrol_sshd_config={host_dir}/sshd_config patrol_passwd_file={host_dir}/passwd
[linux:vars]
patrol_sshd_pidfile={host_dir}/sshd.pid
patrol_platform=linux
patrol_device_class=host
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_private_key_file={state}/ssh/id_ed25519
""")
    yield HostLab(lab, state, inventory)
    lab.stop()
