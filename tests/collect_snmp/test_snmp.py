"""SnmpCollector against real snmpsim agents (SnmpLab): what a user sees in the snapshots."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from patrol import plugins
from patrol.collect.base import CollectContext
from patrol.collect.snmp import SNMP_PLATFORM, SnmpCollector
from patrol.lab.snmp_lab import SnmpLab
from patrol.models import HostResult, HostStatus

from .conftest import NAS1_COMMUNITY, SAN1_COMMUNITY, HostFactory, free_udp_port


def collect(hosts: list, work_dir: Path, cancelled: bool = False) -> dict[str, HostResult]:
    ctx = CollectContext(run_id="t", work_dir=work_dir, forks=10)
    if cancelled:
        ctx.cancel.set()
    results: list[HostResult] = []
    SnmpCollector().collect(hosts, ctx, results.append)
    assert len(results) == len(hosts), "exactly one result per host"
    return {result.host: result for result in results}


def test_nas1_shows_the_seeded_full_volume_and_san1_is_healthy(
    snmp_ports: dict[str, int], snmp_host: HostFactory, work_dir: Path
) -> None:
    results = collect(
        [snmp_host("nas1", snmp_ports["nas1"], NAS1_COMMUNITY), snmp_host("san1", snmp_ports["san1"], SAN1_COMMUNITY)],
        work_dir,
    )
    nas1 = results["nas1"].snapshot
    assert results["nas1"].status is HostStatus.OK and nas1 is not None
    volumes = {r.name: r.used_percent for r in nas1.resources if r.kind == "volume"}
    assert volumes["/vol/data"] == pytest.approx(92, abs=1)
    assert all(pct is not None and pct < 70 for name, pct in volumes.items() if name != "/vol/data")
    assert {r.kind for r in nas1.resources} == {"volume", "memory", "swap"}
    data = next(r for r in nas1.resources if r.name == "/vol/data")
    assert data.capacity == 2 * 1024**4 and data.unit == "bytes"
    assert nas1.facts.hostname == "nas1" and nas1.facts.vendor == "NetApp" and nas1.facts.os_version == "9.13.1P4"
    assert nas1.facts.boot_time is not None and nas1.facts.boot_time.second == 0
    assert [(i.name, i.admin_up, i.oper_up, i.speed_mbps) for i in nas1.interfaces] == [
        ("e0a", True, True, 10000.0),
        ("e0M", True, True, 1000.0),
    ]
    assert nas1.interfaces[0].description == "data LACP member 1" and nas1.interfaces[0].in_errors == 0
    assert nas1.device_class == "storage" and nas1.platform == "snmp"
    san1 = results["san1"].snapshot
    assert san1 is not None and san1.facts.hostname == "san1"
    assert all(r.used_percent is not None and r.used_percent < 70 for r in san1.resources)


def test_boot_time_is_stable_between_two_runs(
    snmp_ports: dict[str, int], snmp_host: HostFactory, work_dir: Path
) -> None:
    host = snmp_host("nas1", snmp_ports["nas1"], NAS1_COMMUNITY)
    first, second = collect([host], work_dir)["nas1"].snapshot, collect([host], work_dir)["nas1"].snapshot
    assert first is not None and second is not None
    assert first.facts == second.facts and first.resources == second.resources


def test_snmp_v1_reads_the_same_device(snmp_ports: dict[str, int], snmp_host: HostFactory, work_dir: Path) -> None:
    host = snmp_host("nas1", snmp_ports["nas1"], NAS1_COMMUNITY, patrol_snmp_version="1")
    result = collect([host], work_dir)["nas1"]
    assert result.status is HostStatus.OK and result.snapshot is not None
    assert result.snapshot.extra["snmp_version"] == "1"
    assert any(r.name == "/vol/data" for r in result.snapshot.resources)


def test_wrong_community_is_a_quick_timeout_that_names_the_likely_causes(
    snmp_ports: dict[str, int], snmp_host: HostFactory, work_dir: Path
) -> None:
    port = snmp_ports["nas1"]
    started = time.monotonic()
    results = collect(
        [snmp_host("bad", port, "Wrong-Secret-Comm", timeout=1.0), snmp_host("nas1", port, NAS1_COMMUNITY)], work_dir
    )
    assert time.monotonic() - started < 5
    bad = results["bad"]
    assert bad.status is HostStatus.TIMEOUT and bad.snapshot is None
    assert bad.error == (
        f"no SNMP answer from 127.0.0.1:{port} within 1s — wrong community, wrong version, or the agent is down"
    )
    assert "Wrong-Secret-Comm" not in bad.model_dump_json()
    assert results["nas1"].status is HostStatus.OK, "one silent host does not spoil the batch"


def test_closed_udp_port_is_a_timeout(snmp_host: HostFactory, work_dir: Path) -> None:
    port = free_udp_port()
    result = collect([snmp_host("gone", port, "x", timeout=0.6)], work_dir)["gone"]
    assert result.status is HostStatus.TIMEOUT
    assert result.error is not None and f"127.0.0.1:{port} within 0.6s" in result.error


def test_missing_community_names_the_variable_to_set(snmp_host: HostFactory, work_dir: Path) -> None:
    result = collect([snmp_host("nocomm", 161, None)], work_dir)["nocomm"]
    assert result.status is HostStatus.ERROR
    assert result.error is not None and "patrol_snmp_community" in result.error


def test_cancelled_run_starts_no_host(snmp_host: HostFactory, work_dir: Path) -> None:
    result = collect([snmp_host("nas1", 161, "x")], work_dir, cancelled=True)["nas1"]
    assert result.status is HostStatus.ABORTED


def test_entry_points_name_the_snmp_collector_and_platform() -> None:
    assert plugins.load("patrol.platforms", "snmp") is SNMP_PLATFORM
    assert plugins.load("patrol.collectors", "snmp") is SnmpCollector
    assert SNMP_PLATFORM.collector == "snmp" and SNMP_PLATFORM.default_device_class is None


def test_lab_endpoints_and_stop_frees_the_ports(tmp_path: Path) -> None:
    port = free_udp_port()
    lab = SnmpLab(agents={"nas1": (port, NAS1_COMMUNITY)})
    endpoints = lab.start(tmp_path)
    assert [(e.host, e.kind, e.address, e.port, e.proto, e.skipped) for e in endpoints] == [
        ("nas1", "snmpsim", "127.0.0.1", port, "udp", None)
    ]
    lab.stop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", port))  # the responder is gone: its port is free again
