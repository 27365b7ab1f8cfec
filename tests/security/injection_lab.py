"""Fixtures of test_template_injection.py (imported there, not a conftest: tests/security is
shared by several stories). Lab peers whose own text is hostile: FakeNOS devices (with config
mode) whose login banner and interface description, and an sshd Linux host whose text file, hold
Jinja/lookup payloads. Each payload would create a file in ``canaries.folder`` (on this server)
if anything templated it."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.lab.sshd_lab import LabHost, SshdLab
from tests.conftest import free_ports

USER, PASSWORD = "patrol", "Inj-Test-Pass-2718"
#: isw1: the finding -> preview -> apply -> rollback story; isw2: refuses to remove a "{{" banner
#: (a forced failure after the new banner is in, so patrol restores the hostile one).
NAMES = ["isw1", "isw2"]
REJECTS = {"isw2": ("^no banner login \\{",)}
#: what a template engine would make of the "echo RCE-$((6*7))" payload
RENDERED = "RCE-42"
PROMPT = "{base_prompt}#"


@dataclass(frozen=True)
class Canaries:
    """The folder the payloads would create files in, and the payload texts."""

    folder: Path

    def touch(self, name: str) -> str:
        return f"touch {self.folder / name}"

    @property
    def banner(self) -> str:
        return f"banner login {{{{ lookup('pipe', '{self.touch('banner')}') }}}}"

    @property
    def description(self) -> str:
        return (
            f'description {{% if true %}}{{{{ lookup("pipe", "{self.touch("description")}") }}}}{{% endif %}} '
            "{{ lookup('pipe', 'echo RCE-$((6*7))') }}"
        )

    @property
    def file_text(self) -> str:
        return (
            f"Welcome {{{{ lookup('pipe', '{self.touch('file')}') }}}}\n"
            '{% raw %}{{ x }}{% endraw %}{{ lookup("pipe", "echo RCE-$((6*7))") }}\n'
            f"{{# note #}}{{{{ query('pipe', '{self.touch('file-query')}') }}}}\n"
            "plain last line\n"
        )

    def created(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir())


@pytest.fixture(scope="package")
def canaries() -> Iterator[Canaries]:
    folder = Path(tempfile.gettempdir()) / f"patrol-rce-{uuid.uuid4().hex[:10]}"
    folder.mkdir()
    yield Canaries(folder)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


def running_config(name: str, canaries: Canaries) -> str:
    """The hostile lines sit where the emulated config mode puts a replaced line back (a restore
    gives the same text)."""
    return (f"hostname {name}\ninterface GigabitEthernet0/1\n ip address 10.0.0.1 255.255.255.0\n"
            f" {canaries.description}\nntp server 192.0.2.99\nline vty 0 4\n transport input ssh\n"
            f"{canaries.banner}\nend")  # fmt: skip


@dataclass(frozen=True)
class HostileNet:
    fleet: Fleet
    inventory: Path
    ports: dict[str, int]

    def config(self, name: str) -> str:
        return self.fleet.running_config(name).text()


@pytest.fixture(scope="package")
def hostile_net(tmp_path_factory: pytest.TempPathFactory, canaries: Canaries) -> Iterator[HostileNet]:
    ports = dict(zip(NAMES, free_ports(len(NAMES)), strict=True))
    devices = [
        FleetDevice(name, "cisco_ios", port, USER, PASSWORD, config_mode=True, reject_config=REJECTS.get(name, ()),
                    commands={"show running-config": {"output": running_config(name, canaries), "prompt": [PROMPT]}})
        for name, port in ports.items()
    ]  # fmt: skip
    fleet = start_fleet(devices)
    inventory = tmp_path_factory.mktemp("inj-net-inventory") / "hosts.yml"
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
    yield HostileNet(fleet, inventory, ports)
    fleet.stop()


@dataclass(frozen=True)
class HostileHost:
    inventory: Path
    text_file: Path


@pytest.fixture(scope="package")
def hostile_host(tmp_path_factory: pytest.TempPathFactory, canaries: Canaries) -> Iterator[HostileHost]:
    """lin1: an sshd host in a namespace of its own prefix and subnet; its text file holds payloads."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    state = tmp_path_factory.mktemp("inj-sshd")
    lab = SshdLab(prefix="pinj", subnet="10.99.237", hosts=(LabHost("lin1", 11),))
    lab.start(state)
    host_dir = state / "sshd" / "lin1"
    text_file = host_dir / "motd"
    text_file.write_text(canaries.file_text)
    inventory = tmp_path_factory.mktemp("inj-host-inventory") / "hosts.ini"
    inventory.write_text(f"""[linux]
lin1 ansible_host=10.99.237.11 patrol_sshd_config={host_dir}/sshd_config patrol_passwd_file={host_dir}/passwd
[linux:vars]
patrol_platform=linux
patrol_device_class=host
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_private_key_file={state}/ssh/id_ed25519
ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
""")
    yield HostileHost(inventory, text_file)
    lab.stop()
