"""Drift on NX-OS, IOS-XR, Comware, FortiOS and Gaia configurations: paths a user reads, noise
hidden, secrets never in clear text (recorded configs from tests/platforms/data and tests/drift/data)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from patrol.drift.confdiff import Node, diff_configs, diff_trees
from patrol.drift.engine import DriftData
from patrol.redact import redact_text

KEY = bytes(range(32))
TESTS = Path(__file__).parent.parent
CONFIGS = {
    "cisco_nxos": TESTS / "platforms/data/cisco_nxos/n9k-10.3/show_running-config.txt",
    "cisco_xr": TESTS / "platforms/data/cisco_xr/ncs5500-6.1/show_running-config.txt",
    "hp_comware": TESTS / "platforms/data/hp_comware/s6850-cw7/display_current-configuration.txt",
    "fortinet": TESTS / "drift/data/fortinet.conf",
    "checkpoint_gaia": TESTS / "drift/data/checkpoint_gaia.conf",
}


@pytest.fixture(scope="module")
def data() -> DriftData:
    return DriftData.load()


def recorded(platform: str) -> str:
    return CONFIGS[platform].read_text(encoding="utf-8")


def items(data: DriftData, platform: str, before: str, after: str) -> set[tuple[str, str]]:
    noise = data.noise.for_host(platform, "network")
    old, new = redact_text(before, KEY), redact_text(after, KEY)
    fast = diff_configs(old, new, platform, noise, data.rules.ordering)
    full = diff_trees(data.parse(old, platform, "network"), data.parse(new, platform, "network"), data.rules.ordering)
    assert sorted(map(repr, fast)) == sorted(map(repr, full)), "the fast path must give the same items"
    found = {(i.kind, i.object) for i in fast}
    assert not any("CANARY" in obj for _, obj in found), found
    return found


@pytest.mark.parametrize("platform", sorted(CONFIGS))
def test_identical_config_has_no_drift_and_every_secret_is_redacted(data: DriftData, platform: str) -> None:
    text = recorded(platform)
    assert items(data, platform, text, text) == set()
    redacted = redact_text(text, KEY)
    leaked = [line for line in redacted.splitlines() if "CANARY" in line]
    assert leaked == []
    assert data.parse(text, platform, "network").lines() > 10


def test_nxos_and_xr_headers_are_noise(data: DriftData) -> None:
    nxos = recorded("cisco_nxos")
    later = nxos.replace("!Time: Fri Dec  4 09:12:01 2026", "!Time: Sat Dec  5 10:00:00 2026")
    later = later.replace("Wed May 28 16:40:02 2025", "Fri Dec  4 08:00:00 2026")
    assert items(data, "cisco_nxos", nxos, later) == set()
    xr = recorded("cisco_xr")
    later = xr.replace("Wed Mar 14 12:31:31.021 UTC", "Thu Mar 15 01:00:00.500 UTC").replace(
        "Tue Mar 13 09:14:22 2018", "Thu Mar 15 00:59:00 2018"
    )
    assert items(data, "cisco_xr", xr, later) == set()


def test_xr_section_children_are_under_their_section(data: DriftData) -> None:
    xr = recorded("cisco_xr")
    assert items(data, "cisco_xr", xr, xr.replace(" server 192.0.2.2\n", " server 192.0.2.3\n")) == {
        ("removed", "ntp > server 192.0.2.2"),
        ("added", "ntp > server 192.0.2.3"),
    }
    found = items(data, "cisco_xr", xr, xr.replace("$6$CANARYxr1$pencs1AdminSha512HashXyZaBcD", "$6$CANARYnew$x"))
    assert [(kind, obj.split(" <redacted")[0]) for kind, obj in found] == [("secret", "username admin > secret 10")]


def test_comware_global_statements_are_top_level_not_under_the_interface_above(data: DriftData) -> None:
    text = recorded("hp_comware")
    changed = text.replace(" info-center loghost 192.0.2.50", " info-center loghost 192.0.2.59").replace(
        " description FIRST_BLOCK", " description SECOND_BLOCK"
    )
    assert items(data, "hp_comware", text, changed) == {
        ("removed", "info-center loghost 192.0.2.50"),
        ("added", "info-center loghost 192.0.2.59"),
        ("removed", "interface Bridge-Aggregation20 > description FIRST_BLOCK"),
        ("added", "interface Bridge-Aggregation20 > description SECOND_BLOCK"),
    }
    tree = data.parse(text, "hp_comware", "network")
    snmp = [node.text for node in tree.root.children if node.text.startswith("snmp-agent")]
    assert snmp[0] == "snmp-agent" and len(snmp) == 3
    assert {i.rule for i in tree.ignored} >= {"vrp.separator", "comware.return"}


def test_fortios_edit_blocks_are_paths_and_headers_are_noise(data: DriftData) -> None:
    text = recorded("fortinet")
    changed = (
        text.replace("#conf_file_ver=1183423511263241", "#conf_file_ver=99")
        .replace("set allowaccess ping https ssh telnet", "set allowaccess ping https ssh")
        .replace("set uuid 0a1b2c3d-0000-5000-8000-00000000abcd", "set uuid 0a1b2c3d-0000-5000-8000-00000000ffff")
        .replace("CANARYfgtPskEncBase64YmFyYmF6==", "CANARYfgtPskRotatedBase64==")
    )
    found = items(data, "fortinet", text, changed)
    interface = 'config system interface > edit "wan1"'
    psk = 'config vpn ipsec phase1-interface > edit "to-hq" > set psksecret ENC'
    assert {(k, o.split(" <redacted")[0]) for k, o in found} == {
        ("removed", f"{interface} > set allowaccess ping https ssh telnet"),
        ("added", f"{interface} > set allowaccess ping https ssh"),
        ("secret", psk),
    }
    nested = data.parse(text, "fortinet", "network")
    paths = {" > ".join(n.text for n in chain) for chain in _chains(nested.root.children)}
    assert "config system snmp community > edit 1 > config hosts > edit 1 > set ip 192.0.2.60 255.255.255.255" in paths


def test_gaia_set_lines_are_grouped_by_feature(data: DriftData) -> None:
    text = recorded("checkpoint_gaia")
    changed = text.replace("set net-access telnet on", "set net-access telnet off").replace(
        "# Exported by admin on Fri Dec  4 09:00:00 2026", "# Exported by admin on Sat Dec  5 09:00:00 2026"
    )
    assert items(data, "checkpoint_gaia", text, changed) == {
        ("removed", "net-access > set net-access telnet on"),
        ("added", "net-access > set net-access telnet off"),
    }
    found = items(data, "checkpoint_gaia", text, text.replace("gwdc1ExpertSha512HashAsDfGh", "rotated"))
    expert = "expert-password-hash > set expert-password-hash"
    assert [(k, o.split(" <redacted")[0]) for k, o in found] == [("secret", expert)]


def _chains(nodes: list[Node], prefix: tuple[Node, ...] = ()) -> Iterator[tuple[Node, ...]]:
    for node in nodes:
        yield (*prefix, node)
        yield from _chains(node.children, (*prefix, node))
