"""The FakeNOS fleet: own prompts, drift, start/stop, errors, the bench CLI, every lab platform."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping

import pytest
from netmiko import ConnectHandler

from patrol.collect.platforms import NetPlatform
from patrol.errors import LabError
from patrol.lab.base import Endpoint
from patrol.lab.fleet import DEFAULT_PASSWORD, FleetDevice, start_fleet
from patrol.models import DeviceClass, HostStatus, Snapshot

from .conftest import PASSWORD, USER, Lab, collect, free_ports

PROBE = "show patrol-probe"

#: FakeNOS platform -> (netmiko device_type, needs enable); PAN-OS rejects netmiko's
#: keyboard-interactive login, so "generic" (LAB-NOTES).
LAB_PLATFORMS = {
    "cisco_ios": ("cisco_ios", True),
    "arista_eos": ("arista_eos", True),
    "juniper_junos": ("juniper_junos", False),
    "huawei_vrp": ("huawei_vrp", False),
    "cisco_asa": ("cisco_asa", True),
    "paloalto_panos": ("generic", False),
}


def _probe_platform(platform: str) -> NetPlatform:
    device_type, needs_enable = LAB_PLATFORMS[platform]

    def parse(host_name: str, outputs: Mapping[str, str]) -> Snapshot:
        return Snapshot(host=host_name, device_class=DeviceClass.NETWORK, platform=platform, raw=dict(outputs))

    return NetPlatform(name=f"probe_{platform}", device_type=device_type, commands=(PROBE,), parse=parse,
                       default_device_class=DeviceClass.NETWORK, needs_enable=needs_enable)  # fmt: skip


def _prompt(port: int, password: str = PASSWORD) -> str:
    conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=port, username=USER,
                          password=password, use_keys=False, allow_agent=False)  # fmt: skip
    try:
        return str(conn.find_prompt())
    finally:
        conn.disconnect()


def test_each_device_has_its_own_prompt_and_endpoint(lab: Lab) -> None:
    assert _prompt(lab.ports["sw1"]) == "sw1>"
    assert _prompt(lab.ports["sw2"]) == "sw2>"
    assert Endpoint("sw1", "fakenos:cisco_ios", "127.0.0.1", lab.ports["sw1"]) in lab.fleet.endpoints


def test_every_lab_platform_is_collected_over_ssh() -> None:
    ports = free_ports(len(LAB_PLATFORMS))
    # a line naming the device must survive prompt stripping (netmiko's PAN-OS driver drops it)
    probes = {p: {PROBE: {"output": f"probe-ok {p}\nhostname: {{base_prompt}}"}} for p in LAB_PLATFORMS}
    devices = [
        FleetDevice(f"{platform.replace('_', '-')}-1", platform, port, USER, PASSWORD, commands=probes[platform])
        for platform, port in zip(LAB_PLATFORMS, ports, strict=True)
    ]
    fleet = start_fleet(devices)
    try:
        lab = Lab(fleet, {d.name: d.port for d in devices}, closed_port=0)
        hosts = [lab.host(d.name, f"probe_{d.platform}") for d in devices]
        started = time.monotonic()
        results = collect(hosts, forks=6, platforms={f"probe_{p}": _probe_platform(p) for p in LAB_PLATFORMS})
        elapsed = time.monotonic() - started
    finally:
        fleet.stop()
    for device in devices:
        result = results[device.name]
        assert result.status is HostStatus.OK, (device.platform, result.error)
        assert result.snapshot is not None
        assert result.snapshot.raw[PROBE].strip() == f"probe-ok {device.platform}\nhostname: {device.name}"
    assert elapsed < 8  # no platform pays a slow disconnect (Junos used to cost 10 s)


def test_updated_commands_show_in_the_next_session(lab: Lab) -> None:
    lab.fleet.update_commands("sw4", {"show running-config": {"output": "hostname sw4\nntp server 192.0.2.7\nend",
                                                              "prompt": ["{base_prompt}#"]}})  # fmt: skip
    result = collect([lab.host("sw4")])["sw4"]

    assert result.snapshot is not None and "ntp server 192.0.2.7" in (result.snapshot.config or "")


def test_bad_fleet_definitions_are_refused_with_the_device_named() -> None:
    port = free_ports(1)[0]
    with pytest.raises(LabError, match="no platform 'cisco_nope'"):
        start_fleet([FleetDevice("x", "cisco_nope", port, USER, PASSWORD)])
    with pytest.raises(LabError, match="name 'x' is used twice"):
        start_fleet([FleetDevice("x", "cisco_ios", port, USER, PASSWORD)] * 2)
    with pytest.raises(LabError, match="'x': custom command 'show x' is invalid"):
        start_fleet([FleetDevice("x", "cisco_ios", port, USER, PASSWORD, commands={"show x": {"output": 3}})])


def test_a_stopped_fleet_refuses_connections() -> None:
    port = free_ports(1)[0]
    fleet = start_fleet([FleetDevice("x", "cisco_ios", port, USER, PASSWORD)])
    started = time.monotonic()
    fleet.stop()

    assert time.monotonic() - started < 3
    with pytest.raises(ConnectionRefusedError):
        __import__("socket").create_connection(("127.0.0.1", port), timeout=1)


def test_the_bench_cli_says_ready_and_stops_on_sigterm() -> None:
    base = free_ports(1)[0]
    proc = subprocess.Popen(
        [sys.executable, "-m", "patrol.lab.fleet", "--count", "3", "--base-port", str(base)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready 3"
        assert _prompt(base + 2, DEFAULT_PASSWORD) == "dev0002>"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
