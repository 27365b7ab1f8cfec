"""A real snmpsim agent (patrol's SnmpLab) on free loopback UDP ports, and SNMP host builders."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from patrol.lab.snmp_lab import SnmpLab
from patrol.models import Credentials, Host

NAS1_COMMUNITY = "nas1-ro-Lab7"
SAN1_COMMUNITY = "san1-ro-Lab7"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def snmp_ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """{'nas1': port, 'san1': port} of a running SnmpLab serving lab/snmp/data."""
    ports = {"nas1": free_udp_port(), "san1": free_udp_port()}
    lab = SnmpLab(agents={"nas1": (ports["nas1"], NAS1_COMMUNITY), "san1": (ports["san1"], SAN1_COMMUNITY)})
    lab.start(tmp_path_factory.mktemp("snmp-state"))
    yield ports
    lab.stop()


HostFactory = Callable[..., Host]


@pytest.fixture
def snmp_host() -> HostFactory:
    """Build a storage host reached over SNMP: ``snmp_host(name, port, community, timeout=2, version='2c')``."""

    def build(name: str, port: int, community: str | None, timeout: float = 2.0, **vars: Any) -> Host:
        credentials = Credentials(snmp_community=SecretStr(community) if community else None)
        return Host(
            name=name,
            address="127.0.0.1",
            port=port,
            device_class="storage",
            platform="snmp",
            collector="snmp",
            credentials=credentials,
            connect_timeout=timeout,
            vars={"patrol_snmp_version": "2c", **vars},
        )

    return build


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path / "work"
