"""The demo lab's NX-OS, IOS-XR, Comware, Gaia and FortiGate devices, collected over SSH from FakeNOS as in `make demo`:
each parses with its driver and fails exactly its seeded faults under the shipped profiles."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from importlib import import_module

import pytest

from patrol.checks import evaluate, load_profiles
from patrol.collect.netssh import collect_host
from patrol.lab.fakenos_lab import LAB_SPECS, lab_devices
from patrol.lab.fleet import start_fleet
from patrol.models import Credentials, DeviceClass, Host, HostStatus, Outcome
from patrol.paths import PROFILES_DIR
from tests.conftest import free_ports

NEW = ("dc-leaf1", "pe-r1", "acc-h3c1", "fw3", "fw4")
SEEDED = {
    "dc-leaf1": ["net.snmp.v3_only", "net.telnet.disabled"],
    "pe-r1": ["net.os_version.cisco_xr"],
    "acc-h3c1": [
        "net.interfaces.oper_down",
        "net.interfaces.oper_down",
        "net.snmp.v3_only",
        "net.telnet.disabled",
    ],
    "fw3": ["sec.telnet.disabled"],
    "fw4": ["sec.http.disabled", "sec.snmp.v3_only", "sec.telnet.disabled"],
}
LAB_VARS = {"patrol_expected_ntp_servers": ["192.0.2.123", "192.0.2.124"]}


@pytest.fixture(scope="module")
def devices() -> Iterator[dict[str, Host]]:
    specs = tuple(spec for spec in LAB_SPECS if spec.name in NEW)
    ports = dict(zip(NEW, free_ports(len(NEW)), strict=True))
    fleet = start_fleet([dataclasses.replace(d, port=ports[d.name]) for d in lab_devices(specs)])
    hosts = {
        spec.name: Host(
            name=spec.name, address="127.0.0.1", port=ports[spec.name],
            device_class=DeviceClass.SECURITY if spec.security else DeviceClass.NETWORK,
            platform=spec.platform, collector="netmiko", connect_timeout=5, command_timeout=10,
            credentials=Credentials(username="patrol", password="Lab-Sec-Pass1" if spec.security else "Lab-Net-Pass1",
                                    enable_secret="Lab-Enable-Pass1"),
            vars=LAB_VARS,
        )
        for spec in specs
    }  # fmt: skip
    yield hosts
    fleet.stop()


@pytest.mark.parametrize("name", NEW)
def test_lab_device_is_collected_and_fails_its_seeded_faults(devices: dict[str, Host], name: str) -> None:
    host = devices[name]
    snapshot = collect_host(host, import_module(f"patrol.collect.platforms.{host.platform}").PLATFORM)
    assert snapshot.facts.hostname == name
    assert snapshot.facts.boot_time is not None
    assert snapshot.security["ntp_servers"] == LAB_VARS["patrol_expected_ntp_servers"]
    results = evaluate(load_profiles([PROFILES_DIR]), host, snapshot, HostStatus.OK)
    assert sorted(r.check_id for r in results if r.outcome is Outcome.FAIL) == SEEDED[name]
    assert [r for r in results if r.outcome is Outcome.ERROR] == []
