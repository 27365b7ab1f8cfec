"""Shared helpers: hand-built hosts/snapshots and the recorded lab snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from patrol.models import Host, HostStatus, Snapshot

LAB_FIXTURES = Path(__file__).parent / "fixtures" / "lab"
LAB_NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def make_host(name: str = "sw1", device_class: str = "network", platform: str = "cisco_ios", **kw: Any) -> Host:
    return Host(name=name, address="127.0.0.1", device_class=device_class, platform=platform, collector="netmiko", **kw)


def make_snapshot(host: str = "sw1", device_class: str = "network", platform: str = "cisco_ios", **kw: Any) -> Snapshot:
    return Snapshot.model_validate({"host": host, "device_class": device_class, "platform": platform, **kw})


def lab_case(path: Path) -> tuple[Host, Snapshot | None, HostStatus, str | None]:
    data = json.loads(path.read_text(encoding="utf-8"))
    snapshot = Snapshot.model_validate(data["snapshot"]) if data["snapshot"] else None
    return Host.model_validate(data["host"]), snapshot, HostStatus(data["status"]), data["error"]


@pytest.fixture
def write_profile(tmp_path: Path) -> Any:
    def write(text: str, name: str = "p.yml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
