"""The diff engine on the lab's recorded configs (one per platform): what a user would read as drift."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from patrol.drift.confdiff import diff_configs, diff_trees
from patrol.drift.engine import DriftData
from patrol.errors import ConfigError
from patrol.lab.fakenos_lab import DATA_DIR
from patrol.redact import installation_key, redact_text

KEY = bytes(range(32))
CONFIGS = {
    "cisco_ios": ("core-sw1", "show_running-config.txt"),
    "arista_eos": ("dist-sw1", "show_running-config.txt"),
    "huawei_vrp": ("agg-sw1", "display_current-configuration.txt"),
    "cisco_asa": ("fw1", "show_running-config.txt"),
    "juniper_junos": ("edge-r1", "show_configuration.txt"),
    "paloalto_panos": ("fw2", "show_config_running.txt"),
}


@pytest.fixture(scope="module")
def data() -> DriftData:
    return DriftData.load()


def recorded(platform: str) -> str:
    device, name = CONFIGS[platform]
    return (DATA_DIR / device / name).read_text(encoding="utf-8")


def items(data: DriftData, platform: str, before: str, after: str) -> set[tuple[str, str]]:
    noise = data.noise.for_host(platform, "network")
    old, new = redact_text(before, KEY), redact_text(after, KEY)
    fast = diff_configs(old, new, platform, noise, data.rules.ordering)
    full = diff_trees(data.parse(old, platform, "network"), data.parse(new, platform, "network"), data.rules.ordering)
    assert sorted(map(repr, fast)) == sorted(map(repr, full)), "the fast path must give the same items"
    return {(i.kind, i.object) for i in fast}


@pytest.mark.parametrize("platform", sorted(CONFIGS))
def test_same_config_with_new_timestamps_has_no_drift(data: DriftData, platform: str) -> None:
    text = recorded(platform)
    stamped = (
        text.replace("08:12:41 UTC Mon Nov 16 2026", "23:59:59 UTC Fri Nov 27 2026")
        .replace("2026-11-10 16:35:18 UTC", "2026-11-27 01:02:03 UTC")
        .replace("Current configuration : 4211 bytes", "Current configuration : 4388 bytes")
    )
    assert items(data, platform, text, stamped) == set()
    assert data.parse(text, platform, "network").lines() > 10


def test_moved_block_is_not_drift_but_a_changed_child_is_under_its_parent(data: DriftData) -> None:
    text = recorded("cisco_ios")
    loopback = "interface Loopback0\n description Router-ID\n ip address 10.255.0.1 255.255.255.255\n!\n"
    moved = text.replace(loopback, "").replace("ip forward-protocol nd\n", loopback + "ip forward-protocol nd\n")
    assert moved != text and items(data, "cisco_ios", text, moved) == set()
    changed = moved.replace(" description spare", " description reserved for CR-7")
    assert items(data, "cisco_ios", text, changed) == {
        ("removed", "interface GigabitEthernet3 > description spare"),
        ("added", "interface GigabitEthernet3 > description reserved for CR-7"),
    }


def test_acl_entries_keep_their_order(data: DriftData) -> None:
    acl = "ip access-list extended EDGE\n 10 deny ip host 203.0.113.9 any\n 20 permit ip any any\n"
    swapped = "ip access-list extended EDGE\n 20 permit ip any any\n 10 deny ip host 203.0.113.9 any\n"
    base = recorded("cisco_ios")
    before, after = base.replace("!\nend", "!\n" + acl + "!\nend"), base.replace("!\nend", "!\n" + swapped + "!\nend")
    assert items(data, "cisco_ios", before, after) == {("moved", "ip access-list extended EDGE > 20 permit ip any any")}
    asa = recorded("cisco_asa")
    line = "access-list OUTSIDE_IN extended permit tcp any host 198.51.100.11 eq https\n"
    extra = "access-list OUTSIDE_IN extended deny ip any any\n"
    reordered = asa.replace(line, extra + line)
    assert items(data, "cisco_asa", asa.replace(line, line + extra), reordered) == {
        ("moved", "access-list OUTSIDE_IN extended deny ip any any")
    }


def test_junos_changes_are_set_style_paths_and_secrets_show_without_value(data: DriftData) -> None:
    text = recorded("juniper_junos")
    changed = text.replace("host 192.0.2.51 {", "host 192.0.2.52 {").replace(
        "$9$CANARYtacEdgeR1ZxCvBn", "$9$CANARYtacRotatedNew"
    )
    found = items(data, "juniper_junos", text, changed)
    assert found == {
        ("removed", "system > syslog > host 192.0.2.51"),
        ("added", "system > syslog > host 192.0.2.52"),
        ("secret", "system > tacplus-server > 192.0.2.40 secret <redacted>"),
    }
    assert not any("CANARY" in obj for _, obj in found)


def test_huawei_and_panos_children_under_parents(data: DriftData) -> None:
    vrp = recorded("huawei_vrp")
    assert items(data, "huawei_vrp", vrp, vrp.replace(" description to access-sw7", " description to access-sw8")) == {
        ("removed", "interface GigabitEthernet0/0/2 > description to access-sw7"),
        ("added", "interface GigabitEthernet0/0/2 > description to access-sw8"),
    }
    panos = recorded("paloalto_panos")
    path = "config > devices > localhost.localdomain > deviceconfig > system > service > disable-telnet"
    assert items(data, "paloalto_panos", panos, panos.replace("disable-telnet yes;", "disable-telnet no;")) == {
        ("removed", f"{path} yes"),
        ("added", f"{path} no"),
    }


def test_installation_key_is_private_and_stable(tmp_path: Path) -> None:
    key = installation_key(tmp_path / "home")
    path = tmp_path / "home" / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(key) == 32
    assert installation_key(tmp_path / "home") == key
    a, b = redact_text("enable secret 5 $1$abc$one", key), redact_text("enable secret 5 $1$abc$two", key)
    assert a.startswith("enable secret 5 <redacted:hmac=") and a != b and "$1$" not in a + b
    assert redact_text("enable secret 5 $1$abc$one", key) == a
    path.write_text("not a key\n")
    with pytest.raises(ConfigError, match=r"secret\.key: not a patrol secret key"):
        installation_key(tmp_path / "home")


def test_state_drift_hides_volatile_fields_by_rule(data: DriftData) -> None:
    from patrol.drift.state import diff_state

    before = {"facts": {"os_version": "16.3", "boot_time": "2026-11-20T01:10:00Z"},
              "interfaces": [{"name": "Gi1", "oper_up": True, "in_errors": 0}],
              "resources": [{"kind": "memory", "name": "Processor", "capacity": 100.0, "used": 40.0}],
              "security": {"ntp_servers": ["192.0.2.1"]}}  # fmt: skip
    after = {"facts": {"os_version": "17.3", "boot_time": "2026-11-26T01:10:00Z"},
             "interfaces": [{"name": "Gi1", "oper_up": False, "in_errors": 9}],
             "resources": [{"kind": "memory", "name": "Processor", "capacity": 100.0, "used": 70.0}],
             "security": {"ntp_servers": ["192.0.2.9"]}}  # fmt: skip
    changes, hidden = diff_state(before, after, data.noise.for_host("linux", "host", "state"))
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("facts.os_version", "16.3", "17.3"),
        ("interfaces[Gi1].oper_up", True, False),
        ("security.ntp_servers", ["192.0.2.1"], ["192.0.2.9"]),
    ]
    assert {h.rule for h in hidden} == {"state.uptime", "state.interface-counters", "state.resource-usage"}
    network, _ = diff_state(before, after, data.noise.for_host("cisco_ios", "network", "state"))
    assert "security.ntp_servers" not in {c.path for c in network}, "network posture drifts through the config"
    assert data.rules.classify("state", "facts.os_version").severity.value == "urgent"
