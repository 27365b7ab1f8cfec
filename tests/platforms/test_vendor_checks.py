"""The shipped profiles (inspect/) on the recorded NX-OS, IOS-XR, Comware, FortiGate and Gaia cases.

Each case's configuration seeds known faults (telnet, v2c communities, clear passwords, an old
release, a busy CPU, full memory); the exact set of failed checks per case is asserted, so a
driver that stops reading a setting, or a check that stops applying to a platform, fails here.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

from patrol.checks import evaluate, load_profiles
from patrol.models import Host, HostStatus, Outcome
from patrol.paths import PROFILES_DIR

DATA = Path(__file__).parent / "data"


def _outputs(case: Path) -> dict[str, str]:
    return {p.stem.replace("_", " "): p.read_text(encoding="utf-8") for p in sorted(case.glob("*.txt"))}


PROFILES = load_profiles([PROFILES_DIR])
VARS = {"patrol_expected_ntp_servers": ["192.0.2.1", "192.0.2.2"], "patrol_logging_servers": ["192.0.2.50"]}

EXPECTED = {
    "cisco_nxos/n9k-6.1": [
        "net.logging.remote",
        "net.os_version.cisco_nxos",
        "net.password.encryption",
        "net.snmp.v3_only",
        "net.telnet.disabled",
    ],
    "cisco_nxos/n5k-5.2": ["net.memory.used system", "net.ntp.servers", "net.os_version.cisco_nxos"],
    "cisco_nxos/n9k-10.3": [],
    "cisco_xr/ncs5500-6.1": ["net.os_version.cisco_xr"],
    "cisco_xr/crs-4.1": [
        "net.logging.remote",
        "net.ntp.servers",
        "net.os_version.cisco_xr",
        "net.password.encryption",
        "net.snmp.no_rw_community_xr",
        "net.snmp.v3_only",
        "net.telnet.disabled",
    ],
    "cisco_xr/r8000-7.9": ["net.memory.used physical"],
    "hp_comware/s6850-cw7": [
        "net.interfaces.oper_down GigabitEthernet1/1/0/31",
        "net.interfaces.oper_down Ten-GigabitEthernet1/0/1",
        "net.snmp.v3_only",
        "net.telnet.disabled",
    ],
    "hp_comware/s5500-cw5": [
        "net.logging.remote",
        "net.ntp.servers",
        "net.os_version.hp_comware",
        "net.password.encryption",
        "net.snmp.no_rw_community_comware",
        "net.snmp.v3_only",
        "net.telnet.disabled",
    ],
    "hp_comware/hpe5130-cw7": [
        "net.cpu.used slot 1",
        "net.interfaces.oper_down GigabitEthernet0/0/2",
        "net.memory.used slot 1",
        "net.ntp.servers",
    ],
    "fortinet/fgt60e-7.4": [
        "sec.memory.used system",
        "sec.ntp.servers",
        "sec.policy.no_any_any",
        "sec.snmp.v3_only",
        "sec.telnet.disabled",
    ],
    "fortinet/fgt600e-6.2": ["sec.os_version.fortinet"],
    "fortinet/fgt40f-7.0": [
        "sec.http.disabled",
        "sec.logging.remote",
        "sec.ntp.servers",
        "sec.policy.no_any_any",
        "sec.snmp.v3_only",
    ],
    "checkpoint_gaia/gw-r77": ["sec.os_version.checkpoint_gaia", "sec.snmp.v3_only", "sec.telnet.disabled"],
    "checkpoint_gaia/gw-r81": [],
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_recorded_case_fails_exactly_its_seeded_faults(case: str) -> None:
    path = DATA / case
    platform_name = Path(case).parent.name
    platform = import_module(f"patrol.collect.platforms.{platform_name}").PLATFORM
    snapshot = platform.parse(path.name, _outputs(path))
    host = Host(
        name=path.name,
        address="127.0.0.1",
        device_class=platform.default_device_class.value,
        platform=platform_name,
        collector="netmiko",
        vars=VARS,
    )
    results = evaluate(PROFILES, host, snapshot, HostStatus.OK)
    failed = sorted(f"{r.check_id} {r.object}".strip() for r in results if r.outcome is Outcome.FAIL)
    assert failed == sorted(EXPECTED[case])
    assert [r for r in results if r.outcome is Outcome.ERROR] == []
    applied = {r.check_id for r in results}
    domain = "net" if platform.default_device_class.value == "network" else "sec"
    assert f"{domain}.os_version.{platform_name}" in applied
    assert f"{domain}.memory.used" in applied


def test_every_new_vendor_case_is_checked() -> None:
    cases = {f"{p.parent.name}/{p.name}" for p in DATA.glob("*/*") if (p / "expected.json").is_file()}
    vendors = {"cisco_nxos", "cisco_xr", "hp_comware", "fortinet", "checkpoint_gaia"}
    assert {c for c in cases if c.split("/")[0] in vendors} == set(EXPECTED)
