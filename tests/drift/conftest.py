"""Fixtures of the drift tests: the lab's seven FakeNOS devices on free ports, in this process.

The devices answer with the lab's recorded outputs (``lab/fakenos/<device>/``, canary secrets
included). ``core-sw1``'s running config stamps the current time into its "Last configuration
change" line at every session, as a real IOS device does after each change.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from patrol.lab.fakenos_lab import DATA_DIR, LAB_SPECS, lab_devices
from patrol.lab.fleet import Fleet, start_fleet
from tests.conftest import free_ports

LAST_CHANGE = re.compile(r"^! Last configuration change at .*$", re.M)
CORE_CONFIG = (DATA_DIR / "core-sw1" / "show_running-config.txt").read_text(encoding="utf-8")




def stamped(config: str) -> Any:
    """A FakeNOS output callable: ``config`` with the current time in its last-change line."""

    def render(*_args: Any, **_kwargs: Any) -> str:
        now = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime()) + f".{time.time_ns() % 10**6:06d}"
        return LAST_CHANGE.sub(f"! Last configuration change at {now} by patrol", config)

    return render


def running_config(config: str) -> dict[str, dict[str, Any]]:
    return {"show running-config": {"output": stamped(config), "prompt": ["{base_prompt}#"], "help": "lab"}}


@dataclasses.dataclass
class DriftLab:
    fleet: Fleet
    ports: dict[str, int]

    def inventory(self, folder: Path) -> Path:
        """A YAML inventory of the seven devices (lab credentials in clear: a throwaway lab)."""
        enable = {"ansible_user": "patrol", "ansible_become_password": "Lab-Enable-Pass1"}
        net = {**enable, "ansible_password": "Lab-Net-Pass1"}
        sec = {**enable, "ansible_password": "Lab-Sec-Pass1"}

        def hosts(*names: str) -> dict[str, Any]:
            return {n: {"ansible_port": self.ports[n], "patrol_platform": _platform(n)} for n in names}

        data = {"all": {
            "vars": {"ansible_host": "127.0.0.1", "patrol_expected_ntp_servers": ["192.0.2.123", "192.0.2.124"]},
            "children": {
                "network": {"vars": {**net, "patrol_device_class": "network"}, "children": {
                    "core": {"hosts": hosts("core-sw1", "core-sw2")},
                    "distribution": {"hosts": hosts("dist-sw1")},
                    "wan": {"hosts": hosts("edge-r1")},
                    "access": {"hosts": hosts("agg-sw1")},
                }},
                "security": {"vars": {**sec, "patrol_device_class": "security"}, "hosts": hosts("fw1", "fw2")},
            },
        }}  # fmt: skip
        path = folder / "hosts.yml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        return path


def _platform(name: str) -> str:
    return next(spec.platform for spec in LAB_SPECS if spec.name == name)


@pytest.fixture(scope="module")
def drift_lab() -> Iterator[DriftLab]:
    devices = lab_devices()
    ports = free_ports(len(devices))
    devices = [dataclasses.replace(d, port=p) for d, p in zip(devices, ports, strict=True)]
    core = next(i for i, d in enumerate(devices) if d.name == "core-sw1")
    commands = {**devices[core].commands, **running_config(CORE_CONFIG)}
    devices[core] = dataclasses.replace(devices[core], commands=commands)
    fleet = start_fleet(devices)
    try:
        yield DriftLab(fleet, {d.name: d.port for d in devices})
    finally:
        fleet.stop()
