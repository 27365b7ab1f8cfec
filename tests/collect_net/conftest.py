"""Fixtures: a small FakeNOS fleet (patrol.lab.fleet) on free loopback ports, and test drivers.

The drivers are real :class:`NetPlatform` objects whose ``parse`` builds a minimal snapshot, so
the collector is tested through real SSH sessions without depending on the vendor drivers.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from patrol.collect.base import CollectContext
from patrol.collect.netssh import NetmikoCollector
from patrol.collect.platforms import NetPlatform
from patrol.errors import ParseError
from patrol.lab.fleet import Fleet, FleetDevice, start_fleet
from patrol.models import Credentials, DeviceClass, Host, HostResult, Snapshot
from tests.conftest import free_ports

USER = "patrol"
PASSWORD = "Test-Net-Pass-4711"
ENABLE = "Test-Enable-Pass-0815"
#: A running config that quotes the login password in clear (a careless device): it must not
#: reach any result.
LEAKY_CONFIG = f"hostname leaky\nusername {USER} privilege 15 password 0 {PASSWORD}\nend"
HUNG_COMMAND = "show tech-support"




def _minimal_parse(platform: str) -> NetPlatform:
    def parse(host_name: str, outputs: Mapping[str, str]) -> Snapshot:
        return Snapshot(host=host_name, device_class=DeviceClass.NETWORK, platform=platform,
                        raw=dict(outputs), config=outputs.get("show running-config"))  # fmt: skip

    return NetPlatform(
        name="test_ios", device_type="cisco_ios", default_device_class=DeviceClass.NETWORK,
        commands=("show version", "show running-config"), parse=parse, needs_enable=True,
    )  # fmt: skip


def _unparseable(host_name: str, outputs: Mapping[str, str]) -> Snapshot:
    if "Cisco IOS" not in outputs["show version"] or "never-there" not in outputs["show version"]:
        raise ParseError(host_name, "show version: no 'never-there' line; is this really the test platform?")
    raise AssertionError("unreachable")


TEST_IOS = _minimal_parse("test_ios")
TEST_UNPARSEABLE = NetPlatform(
    name="test_unparseable", device_type="cisco_ios", default_device_class=DeviceClass.NETWORK,
    commands=("show version",), parse=_unparseable, needs_enable=True,
)  # fmt: skip
TEST_HUNG = NetPlatform(
    name="test_hung", device_type="cisco_ios", default_device_class=DeviceClass.NETWORK,
    commands=("show version", HUNG_COMMAND), parse=TEST_IOS.parse, needs_enable=True,
)  # fmt: skip
TEST_PLATFORMS = {p.name: p for p in (TEST_IOS, TEST_UNPARSEABLE, TEST_HUNG)}


@dataclass(frozen=True)
class Lab:
    fleet: Fleet
    ports: Mapping[str, int]
    closed_port: int

    def host(self, name: str, platform: str = "test_ios", *, port: int | None = None,
             password: str = PASSWORD, connect_timeout: float = 3, command_timeout: float = 3) -> Host:  # fmt: skip
        return Host(
            name=name, address="127.0.0.1", port=port or self.ports[name], device_class=DeviceClass.NETWORK,
            platform=platform, collector="netmiko", connect_timeout=connect_timeout,
            command_timeout=command_timeout,
            credentials=Credentials(username=USER, password=password, enable_secret=ENABLE),
        )  # fmt: skip


@pytest.fixture(scope="package")
def lab() -> Iterator[Lab]:
    """sw1..sw4 (stock cisco_ios), leaky (config quotes the password), hung (a pager that never ends)."""
    ports = free_ports(7)
    names = ["sw1", "sw2", "sw3", "sw4", "leaky", "hung"]
    custom: dict[str, dict[str, dict[str, Any]]] = {
        "leaky": {"show running-config": {"output": LEAKY_CONFIG, "prompt": ["{base_prompt}#"]}},
        "hung": {HUNG_COMMAND: {"output": "part 1 of the output\npart 2", "new_prompt": " --More-- "}},
    }
    devices = [FleetDevice(n, "cisco_ios", p, USER, PASSWORD, commands=custom.get(n, {}))
               for n, p in zip(names, ports, strict=False)]  # fmt: skip
    fleet = start_fleet(devices)
    yield Lab(fleet, dict(zip(names, ports, strict=False)), closed_port=ports[-1])
    fleet.stop()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word (no SSH banner)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def collect(
    hosts: Sequence[Host],
    *,
    forks: int = 10,
    cancel: bool = False,
    platforms: Mapping[str, NetPlatform] = TEST_PLATFORMS,
) -> dict[str, HostResult]:
    """Run the collector as the runner does; results by host name (asserting one per host)."""
    results: list[HostResult] = []
    lock = threading.Lock()

    def emit(result: HostResult) -> None:
        with lock:
            results.append(result)

    ctx = CollectContext(run_id="t", work_dir=Path("/nonexistent"), forks=forks)
    if cancel:
        ctx.cancel.set()
    NetmikoCollector(platforms=platforms).collect(hosts, ctx, emit)
    assert sorted(r.host for r in results) == sorted(h.name for h in hosts)
    return {r.host: r for r in results}
