"""NTP and syslog remediation on NX-OS, IOS-XR and Comware.

NX-OS: the shipped playbooks run (ansible-runner) against a FakeNOS ``cisco_nxos`` device with an
emulated config mode, then again (idempotent). Comware: ntp_servers.yml applied to a FakeNOS
``hp_comware`` device (system-view, ``undo``, save force), then rolled back. IOS-XR, and Comware on a
recorded configuration: patrol_net_config's planning (XR's ``ntp`` section, Comware's ``#`` sections).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import ansible_runner
import pytest

from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.paths import LIBRARY_DIR
from tests.conftest import free_ports

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "platforms" / "data"
USER, PASSWORD = "patrol", "Nx-Rem-Pass-1618"
NXOS_CONFIG = """hostname nx1
feature lacp
ntp server 192.0.2.99 use-vrf management
logging server 192.0.2.77
interface mgmt0
  vrf member management
  ip address 10.1.100.21/24"""


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("patrol_net_config", LIBRARY_DIR / "patrol_net_config.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NET_CONFIG = _module()


@pytest.fixture(scope="module")
def nxos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, Path]]:
    (port,) = free_ports(1)
    commands = {"show running-config": {"output": NXOS_CONFIG, "prompt": ["{base_prompt}#"]}}
    fleet = start_fleet([FleetDevice("nx1", "cisco_nxos", port, USER, PASSWORD, config_mode=True, commands=commands)])
    inventory = tmp_path_factory.mktemp("nx-inventory") / "hosts.yml"
    inventory.write_text(
        f"all:\n  hosts:\n    nx1:\n      ansible_host: 127.0.0.1\n      ansible_port: {port}\n"
        f"      ansible_user: {USER}\n      ansible_password: {PASSWORD}\n      patrol_platform: cisco_nxos\n"
        "      patrol_host_key_checking: 'off'\n"
    )
    yield fleet, inventory
    fleet.stop()


def _play(inventory: Path, playbook: str, extravars: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    (tmp_path / playbook).mkdir(parents=True)
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path / playbook), playbook=str(ROOT / "playbooks" / "remediate" / playbook),
        inventory=str(inventory), extravars=extravars, quiet=True,
        event_handler=lambda e: events.append(e) or False,  # type: ignore[func-returns-value]
        envvars={"ANSIBLE_LIBRARY": str(LIBRARY_DIR), "PATH": path, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    results = [e["event_data"]["res"] for e in events if e.get("event") in ("runner_on_ok", "runner_on_failed")]
    assert runner.status == "successful", results
    return dict(results[-1])


def test_nxos_ntp_and_syslog_servers_are_set_by_the_playbooks(nxos: tuple[Fleet, Path], tmp_path: Path) -> None:
    fleet, inventory = nxos
    servers = {"ntp_servers": ["192.0.2.1", "192.0.2.2"], "ntp_vrf": "management"}
    ntp = _play(inventory, "ntp_servers.yml", servers, tmp_path / "1")
    assert ntp["commands"] == [
        "ntp server 192.0.2.1 use-vrf management",
        "ntp server 192.0.2.2 use-vrf management",
        "no ntp server 192.0.2.99 use-vrf management",
    ]
    assert ntp["saved"] is True
    syslog = _play(inventory, "logging_servers.yml", {"logging_servers": ["192.0.2.50"]}, tmp_path / "2")
    assert syslog["commands"] == ["logging server 192.0.2.50", "no logging server 192.0.2.77"]
    config = fleet.running_config("nx1")
    assert [line for line in config.text().split("\n") if line.startswith(("ntp", "logging"))] == [
        "ntp server 192.0.2.1 use-vrf management",
        "ntp server 192.0.2.2 use-vrf management",
        "logging server 192.0.2.50",
    ]
    assert config.startup_text() == config.text(), "saved (copy running-config startup-config)"
    again = _play(inventory, "ntp_servers.yml", servers, tmp_path / "3")
    assert again["changed"] is False and again["commands"] == []


def test_comware_global_lines_are_in_scope_and_removed_with_undo() -> None:
    config = (DATA / "hp_comware" / "s6850-cw7" / "display_current-configuration.txt").read_text()
    match = NET_CONFIG.re.compile("^ntp-service unicast-server ")
    want = ["ntp-service unicast-server 192.0.2.1", "ntp-service unicast-server 192.0.2.3"]
    have = NET_CONFIG.scoped_lines(config, [], match, want, "hp_comware")
    assert have == ["ntp-service unicast-server 192.0.2.1", "ntp-service unicast-server 192.0.2.2"]
    commands, after = NET_CONFIG.plan_commands("replaced", want, have, NET_CONFIG.NEGATE["hp_comware"])
    assert commands == ["ntp-service unicast-server 192.0.2.3", "undo ntp-service unicast-server 192.0.2.2"]
    assert after == want
    loghost = NET_CONFIG.scoped_lines(config, [], NET_CONFIG.re.compile("^info-center loghost "), [], "hp_comware")
    assert loghost == ["info-center loghost 192.0.2.50"]
    assert NET_CONFIG.scoped_lines(config, [], match, want) == [], "without the platform the lines look indented"


def test_xr_ntp_servers_live_in_the_ntp_section_and_are_committed() -> None:
    config = (DATA / "cisco_xr" / "ncs5500-6.1" / "show_running-config.txt").read_text()
    want = ["server 192.0.2.1", "server 192.0.2.3"]
    have = NET_CONFIG.scoped_lines(config, ["ntp"], NET_CONFIG.re.compile("^server "), want, "cisco_xr")
    assert have == ["server 192.0.2.1", "server 192.0.2.2"]
    commands, _ = NET_CONFIG.plan_commands("replaced", want, have)
    assert commands == ["server 192.0.2.3", "no server 192.0.2.2"]
    syslog = NET_CONFIG.scoped_lines(config, [], NET_CONFIG.re.compile(r"^logging (\d|[0-9a-fA-F]*:)"), [], "cisco_xr")
    assert syslog == ["logging 192.0.2.50 vrf default severity info", "logging 192.0.2.51 vrf MGMT severity info"]
    assert "cisco_xr" in NET_CONFIG.COMMIT and "hp_comware" in NET_CONFIG.NETMIKO_TYPES


COMWARE_CONFIG = """#
 sysname cw1
#
 ntp-service enable
 ntp-service unicast-server 192.0.2.99
#
 info-center loghost 192.0.2.77
#
interface M-GigabitEthernet0/0/0
 ip address 10.1.100.31 255.255.255.0
#
return"""


@pytest.fixture(scope="module")
def comware(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, Path]]:
    (port,) = free_ports(1)
    commands = {"display current-configuration": {"output": COMWARE_CONFIG}}
    fleet = start_fleet([FleetDevice("cw1", "hp_comware", port, USER, PASSWORD, config_mode=True, commands=commands)])
    inventory = tmp_path_factory.mktemp("cw-inventory") / "hosts.yml"
    inventory.write_text(
        f"all:\n  hosts:\n    cw1:\n      ansible_host: 127.0.0.1\n      ansible_port: {port}\n"
        f"      ansible_user: {USER}\n      ansible_password: {PASSWORD}\n      patrol_platform: hp_comware\n"
        "      patrol_host_key_checking: 'off'\n"
    )
    yield fleet, inventory
    fleet.stop()


def test_comware_ntp_servers_are_set_with_undo_saved_and_rolled_back(
    comware: tuple[Fleet, Path], tmp_path: Path
) -> None:
    fleet, inventory = comware
    config = fleet.running_config("cw1")
    before = config.text()
    ntp = _play(inventory, "ntp_servers.yml", {"ntp_servers": ["192.0.2.1", "192.0.2.2"]}, tmp_path / "1")
    assert ntp["commands"] == [
        "ntp-service unicast-server 192.0.2.1",
        "ntp-service unicast-server 192.0.2.2",
        "undo ntp-service unicast-server 192.0.2.99",
    ]
    assert ntp["saved"] is True
    lines = config.text().split("\n")
    assert [line for line in lines if "unicast-server" in line] == [
        " ntp-service unicast-server 192.0.2.1",
        " ntp-service unicast-server 192.0.2.2",
    ]
    assert config.startup_text() == config.text(), "saved (save force)"
    restore = {"patrol_restore": {"cw1": [ntp["backup"]]}}
    _play(inventory, "ntp_servers.yml", restore, tmp_path / "2")
    assert config.text() == before, "rolled back (patrol_restore with the returned backup)"
