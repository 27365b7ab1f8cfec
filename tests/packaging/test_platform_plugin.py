"""The plugin path: examples/patrol-platform-example, a separate package, adds the platform
``dell_os9`` through the ``patrol.platforms`` entry point; patrol finds it by name and collects a
FakeNOS Dell OS9 (``dell_force10``) device with it, and the shipped checks apply to its snapshot.

``make install`` installs the example package into the venv (as CI does); a venv without it
fails here with the command that installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest

from patrol import plugins
from patrol.checks import evaluate, load_profiles
from patrol.collect.netssh import collect_host
from patrol.collect.platforms import NetPlatform
from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.models import Credentials, DeviceClass, Host, HostStatus, Outcome
from patrol.paths import PROFILES_DIR
from tests.conftest import free_ports

USER, PASSWORD = "patrol", "Plugin-Test-Pass-2718"
CONFIG = """hostname tor1
!
enable password 0 CANARYdellEnableClear
username ops password 7 CANARY0822455D0A16dell privilege 15
!
ip ssh server enable
ip telnet server enable
!
ntp server 192.0.2.1
ntp server 192.0.2.2
logging 192.0.2.50
snmp-server community CANARYdellPublic ro
!
end"""
INSTALL = "pip install -e examples/patrol-platform-example (make install does it)"


@pytest.fixture(scope="module")
def fleet() -> Iterator[tuple[Fleet, int]]:
    (port,) = free_ports(1)
    commands = {"show running-config": {"output": CONFIG, "prompt": ["{base_prompt}#"]}}
    device = FleetDevice("tor1", "dell_force10", port, USER, PASSWORD, commands=commands)
    started = start_fleet([device])
    yield started, port
    started.stop()


def test_the_example_package_registers_its_platform_through_the_entry_point() -> None:
    registered = {ep.name: ep for ep in entry_points(group="patrol.platforms")}
    assert "dell_os9" in registered, f"the example plugin is not installed: {INSTALL}"
    assert registered["dell_os9"].dist is not None and registered["dell_os9"].dist.name == "patrol-platform-example"
    platform = plugins.load("patrol.platforms", "dell_os9")
    assert isinstance(platform, NetPlatform) and platform.name == "dell_os9"
    assert "dell_os9" in plugins.names("patrol.platforms")


def test_patrol_collects_a_device_with_the_plugin_and_checks_apply(fleet: tuple[Fleet, int]) -> None:
    _, port = fleet
    host = Host(
        name="tor1", address="127.0.0.1", port=port, device_class=DeviceClass.NETWORK, platform="dell_os9",
        collector="netmiko", connect_timeout=5, command_timeout=5,
        credentials=Credentials(username=USER, password=PASSWORD, enable_secret="x"),
        vars={"patrol_expected_ntp_servers": ["192.0.2.1", "192.0.2.2"]},
    )  # fmt: skip
    snapshot = collect_host(host, plugins.load("patrol.platforms", "dell_os9"))
    assert snapshot.platform == "dell_os9" and snapshot.host == "tor1"
    assert (snapshot.facts.vendor, snapshot.facts.model, snapshot.facts.os_version) == ("Dell", "S4820T", "9.9(0.0)")
    assert snapshot.facts.hostname == "tor1" and snapshot.facts.boot_time is not None
    assert snapshot.security["ntp_servers"] == ["192.0.2.1", "192.0.2.2"]
    assert snapshot.security["telnet_enabled"] is True and snapshot.security["snmp_communities"] == 1

    results = evaluate(load_profiles([PROFILES_DIR]), host, snapshot, HostStatus.OK)
    failed = sorted(r.check_id for r in results if r.outcome is Outcome.FAIL)
    assert failed == ["net.password.encryption", "net.snmp.v3_only", "net.telnet.disabled"]
    assert {r.check_id for r in results if r.outcome is Outcome.PASS} >= {"net.ntp.servers", "net.logging.remote"}
