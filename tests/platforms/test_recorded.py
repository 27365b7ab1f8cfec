"""Recorded device outputs -> parsed snapshot, one folder per case (NAPALM style).

``data/<platform>/<case>/`` holds one file per command (the command's words joined by ``_``)
and ``expected.json``: the snapshot parts a user reads (facts, interfaces, resources, security)
plus ``uptime_seconds`` (boot_time = collected_at - uptime, ±1 min) or an absolute ``boot_time``;
or ``{"error": "ParseError", "message_contains": ...}`` for output the driver must reject.
Cases under a device's name were recorded from the lab's FakeNOS device of that name.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from patrol.collect.platforms import NetPlatform
from patrol.errors import ParseError
from patrol.redact import redact_snapshot

DATA = Path(__file__).parent / "data"
CASES = sorted(p for p in DATA.glob("*/*") if (p / "expected.json").is_file())


def _platform(name: str) -> NetPlatform:
    platform = import_module(f"patrol.collect.platforms.{name}").PLATFORM
    assert isinstance(platform, NetPlatform)
    return platform


def _outputs(case: Path) -> dict[str, str]:
    return {p.stem.replace("_", " "): p.read_text(encoding="utf-8") for p in sorted(case.glob("*.txt"))}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_recorded_case_parses_to_expected_snapshot(case: Path) -> None:
    platform = _platform(case.parent.name)
    expected: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    outputs = _outputs(case)
    if "error" in expected:
        with pytest.raises(ParseError) as info:
            platform.parse(case.name, outputs)
        assert expected["message_contains"] in str(info.value)
        assert info.value.host == case.name
        return
    snapshot = platform.parse(case.name, outputs)
    got = snapshot.model_dump(mode="json")
    got["facts"].pop("boot_time")
    for key in ("facts", "interfaces", "resources", "security"):
        assert got[key] == expected[key], key
    assert snapshot.platform == platform.name
    assert snapshot.device_class == platform.default_device_class
    assert snapshot.config and snapshot.config == snapshot.raw[platform.config_command or ""]
    assert set(snapshot.raw) == set(outputs)
    _assert_boot_time(snapshot.collected_at, snapshot.facts.boot_time, expected)


def _assert_boot_time(collected_at: datetime, boot_time: datetime | None, expected: dict[str, Any]) -> None:
    assert boot_time is not None
    assert boot_time.second == 0 and boot_time.microsecond == 0
    if "boot_time" in expected:
        assert boot_time == datetime.fromisoformat(expected["boot_time"])
    else:
        assert abs((collected_at - boot_time).total_seconds() - expected["uptime_seconds"]) <= 90


def test_every_platform_has_recorded_cases() -> None:
    platforms = {"cisco_ios", "arista_eos", "juniper_junos", "huawei_vrp", "cisco_asa", "paloalto_panos"}
    platforms |= {"cisco_nxos", "cisco_xr", "hp_comware", "fortinet", "checkpoint_gaia"}
    assert platforms <= {case.parent.name for case in CASES}


#: Cases whose recorded outputs carry the lab's canary secrets (netmiko's PAN-OS driver drops the
#: ``phash`` line of fw2 itself, so fw2's recording has none).
CANARY_CASES = [
    c
    for c in CASES
    if "CANARY" in "".join(_outputs(c).values()) and "error" not in json.loads((c / "expected.json").read_text())
]


def test_lab_recordings_carry_canary_secrets() -> None:
    assert len(CANARY_CASES) >= 6


@pytest.mark.parametrize("case", CANARY_CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_canary_secrets_do_not_survive_redaction(case: Path) -> None:
    snapshot = redact_snapshot(_platform(case.parent.name).parse(case.name, _outputs(case)))
    leaked = [line for line in (snapshot.config or "").splitlines() if "CANARY" in line]
    leaked += [f"{cmd}: ..." for cmd, out in snapshot.raw.items() if "CANARY" in out]
    assert not leaked, leaked


def test_parsing_a_device_costs_little_cpu() -> None:
    import time

    case = DATA / "cisco_ios" / "core-sw1"
    platform, outputs = _platform("cisco_ios"), _outputs(case)
    platform.parse("warm-up", outputs)  # templates compile once per process
    start = time.process_time()
    for _ in range(20):
        platform.parse("core-sw1", outputs)
    per_device_ms = (time.process_time() - start) * 1000 / 20
    assert per_device_ms < 25, f"{per_device_ms:.1f} ms CPU per parse"
