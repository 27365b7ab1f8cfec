"""Every platform driver against the lab's real FakeNOS device of that platform, over SSH.

Starts :class:`patrol.lab.fakenos_lab.FakeNOSLab` on free ports (offset from the inventory's),
collects each device with the netmiko transport and asserts what a user would see in the
snapshot: facts, interfaces, config and the platform's security keys, including the seeded faults.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr

from patrol.collect.netssh import collect_host
from patrol.collect.platforms import NetPlatform
from patrol.errors import LabError
from patrol.lab.fakenos_lab import LAB_SPECS, FakeNOSLab, lab_devices
from patrol.models import Credentials, Host, Snapshot
from patrol.plugins import load

NAPALM_HOST = "core-sw2"
POSTURE_KEYS = {"ntp_servers", "logging_servers", "snmp_v3_only", "telnet_enabled", "ssh_enabled"}


def _free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _start_lab(tmp: Path) -> tuple[FakeNOSLab, int]:
    for offset in range(31000, 40000, 137):
        if all(_free(spec.port + offset) for spec in LAB_SPECS):
            lab = FakeNOSLab(port_offset=offset)
            try:
                lab.start(tmp)
            except LabError:
                continue
            return lab, offset
    raise RuntimeError("no free port range for the FakeNOS lab")


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Snapshot]]:
    lab, offset = _start_lab(tmp_path_factory.mktemp("fakenos"))
    try:
        hosts = [
            _host(device.name, device.platform, device.port, device.password)
            for device in lab_devices(port_offset=offset)
        ]
        with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
            results = pool.map(lambda h: collect_host(h, _platform(h.platform)), hosts)
            yield {snap.host: snap for snap in results}
    finally:
        lab.stop()


def _platform(name: str) -> NetPlatform:
    platform = load("patrol.platforms", name)
    assert isinstance(platform, NetPlatform)
    return platform


def _host(name: str, platform: str, port: int, password: str) -> Host:
    return Host(
        name=name,
        address="127.0.0.1",
        port=port,
        platform=platform,
        collector="netmiko",
        device_class=_platform(platform).default_device_class,
        credentials=Credentials(
            username="patrol", password=SecretStr(password), enable_secret=SecretStr("Lab-Enable-Pass1")
        ),
        connect_timeout=20,
        command_timeout=30,
        vars={"patrol_napalm": True} if name == NAPALM_HOST else {},
    )


def test_napalm_getters_run_on_the_same_session_when_asked(snapshots: dict[str, Snapshot]) -> None:
    napalm = snapshots[NAPALM_HOST].extra["napalm"]
    assert napalm["get_facts"]["hostname"] == NAPALM_HOST
    assert napalm["get_facts"]["vendor"] == "Cisco"
    assert "GigabitEthernet1" in napalm["get_interfaces"]
    assert set(napalm) >= {"get_interfaces_ip", "get_lldp_neighbors"}
    assert "napalm" not in snapshots["core-sw1"].extra, "napalm is opt-in (patrol_napalm)"


@pytest.mark.parametrize("spec", LAB_SPECS, ids=lambda s: f"{s.platform}:{s.name}")
def test_snapshot_shape_of_each_platform(snapshots: dict[str, Snapshot], spec: object) -> None:
    name = spec.name  # type: ignore[attr-defined]
    snap = snapshots[name]
    assert snap.facts.hostname == name
    assert snap.facts.vendor and snap.facts.model and snap.facts.os_version
    assert snap.facts.boot_time is not None and snap.facts.boot_time < snap.collected_at
    assert snap.interfaces and all(i.name and i.oper_up is not None for i in snap.interfaces)
    assert snap.config and name in snap.config
    assert set(snap.security) >= POSTURE_KEYS
    assert set(snap.raw) == set(_platform(snap.platform).commands)


def test_seeded_faults_are_visible(snapshots: dict[str, Snapshot]) -> None:
    core1 = snapshots["core-sw1"]
    assert core1.security["ntp_servers"] == ["192.0.2.99"]
    assert core1.security["telnet_enabled"] is True
    assert core1.security["password_encryption"] is False
    gi2 = next(i for i in core1.interfaces if i.name == "GigabitEthernet2")
    assert (gi2.admin_up, gi2.oper_up, gi2.description) == (True, False, "uplink to dist-sw1")
    gi3 = next(i for i in snapshots["core-sw2"].interfaces if i.name == "GigabitEthernet3")
    assert gi3.description == "<script>alert('xss')</script><b>x</b>"
    assert snapshots["dist-sw1"].security["logging_servers"] == []
    assert snapshots["edge-r1"].security["ntp_servers"] == []
    assert snapshots["agg-sw1"].security["snmp_v3_only"] is False
    assert any(i.admin_up and not i.oper_up for i in snapshots["agg-sw1"].interfaces)
    assert snapshots["fw1"].security["telnet_enabled"] is True
    assert snapshots["fw2"].security["any_any_rules"] == 1


def test_healthy_devices_are_healthy_on_the_seeded_keys(snapshots: dict[str, Snapshot]) -> None:
    expected_ntp = ["192.0.2.123", "192.0.2.124"]
    for name in ("core-sw2", "dist-sw1", "agg-sw1", "fw1", "fw2"):
        assert snapshots[name].security["ntp_servers"] == expected_ntp, name
    for name in ("core-sw2", "dist-sw1", "edge-r1", "fw1", "fw2"):
        assert snapshots[name].security["snmp_v3_only"] is True, name
    for name in ("core-sw2", "dist-sw1", "edge-r1", "agg-sw1", "fw2"):
        assert snapshots[name].security["telnet_enabled"] is False, name
    assert snapshots["core-sw2"].security["password_encryption"] is True


def test_interface_utilisation_is_collected_where_devices_print_rates(snapshots: dict[str, Snapshot]) -> None:
    links = {(snap.host, r.name): r for snap in snapshots.values() for r in snap.resources if r.kind == "interface"}
    printing = {"core-sw1", "core-sw2", "dist-sw1", "edge-r1", "agg-sw1", "fw1", "dc-leaf1", "pe-r1", "acc-h3c1"}
    assert {host for host, _ in links} == printing
    hot = links[("dist-sw1", "Ethernet1")]  # the lab's hot uplink
    assert (hot.unit, hot.capacity, hot.used_percent) == ("bps", 10e9, 76.4)
    assert all(r.unit == "bps" and r.capacity and r.used is not None for r in links.values())


def test_boot_time_is_stable_between_collections(snapshots: dict[str, Snapshot]) -> None:
    for snap in snapshots.values():
        assert snap.facts.boot_time is not None
        assert snap.facts.boot_time.second == 0


def test_lab_stops_and_frees_its_ports(tmp_path: Path) -> None:
    lab, offset = _start_lab(tmp_path)
    ports = [spec.port + offset for spec in LAB_SPECS]
    assert not any(_free(port) for port in ports)
    lab.stop()
    time.sleep(0.2)
    assert all(_free(port) for port in ports)
