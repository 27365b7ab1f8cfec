"""Interface utilisation read from ``show interfaces``-like outputs (``kind="interface"`` resources).

The recorded cases in ``data/`` carry the lab's FakeNOS outputs (dist-sw1's Ethernet1 runs hot at
7.64 Gbps of 10G); these tests add the unit variants real devices print and the gaps.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol.collect.platforms import arista_eos, cisco_asa, cisco_ios
from patrol.collect.platforms._parse import interface_utilisation
from patrol.models import Interface

DATA = Path(__file__).parent / "data"


def _outputs(case: Path) -> dict[str, str]:
    return {p.stem.replace("_", " "): p.read_text(encoding="utf-8") for p in sorted(case.glob("*.txt"))}


def test_hot_lab_uplink_is_a_bps_resource_with_its_percentage() -> None:
    snapshot = arista_eos.PLATFORM.parse("dist-sw1", _outputs(DATA / "arista_eos" / "dist-sw1"))
    links = {r.name: r for r in snapshot.resources if r.kind == "interface"}
    assert links["Ethernet1"].capacity == 10e9
    assert links["Ethernet1"].used == pytest.approx(7.64e9)  # max(input 7.64G, output 2.35G)
    assert links["Ethernet1"].unit == "bps"
    assert links["Ethernet1"].used_percent == 76.4
    assert links["Ethernet2"].used_percent == 0.0


@pytest.mark.parametrize(
    ("rate_line", "expected_bps"),
    [
        ("5 minutes input rate 512 bps (0.0% with framing overhead)", 512.0),
        ("5 minutes input rate 12.5 kbps (0.0% with framing overhead)", 12_500.0),
        ("5 minutes input rate 310 Mbps (3.1% with framing overhead)", 310e6),
    ],
)
def test_eos_rate_units(rate_line: str, expected_bps: float) -> None:
    text = f"Ethernet9 is up, line protocol is up (connected)\n  {rate_line}\n"
    interfaces = [Interface(name="Ethernet9", speed_mbps=10000)]
    links = interface_utilisation(text, interfaces, arista_eos._IF_HEAD, arista_eos._IF_RATES)
    assert [(r.name, r.used) for r in links] == [("Ethernet9", pytest.approx(expected_bps))]


def test_asa_counts_bytes_per_second() -> None:
    text = (
        'Interface GigabitEthernet1/1 "outside", is up, line protocol is up\n'
        "      5 minute input rate 900 pkts/sec,  1250000 bytes/sec\n"
        "      5 minute output rate 300 pkts/sec,  250000 bytes/sec\n"
    )
    interfaces = [Interface(name="GigabitEthernet1/1", speed_mbps=1000)]
    [link] = interface_utilisation(text, interfaces, cisco_asa._IF_HEAD, cisco_asa._IF_RATES)
    assert link.used == 10e6 and link.used_percent == 1.0


def test_interfaces_without_speed_or_rates_give_no_resource() -> None:
    text = (
        "Gi1 is up, line protocol is up\n  5 minute input rate 2000 bits/sec, 3 packets/sec\n"
        "Gi2 is up, line protocol is up\n  MTU 1500 bytes\n"
    )
    interfaces = [Interface(name="Gi1"), Interface(name="Gi2", speed_mbps=1000)]
    assert interface_utilisation(text, interfaces, cisco_ios._IF_HEAD, cisco_ios._IF_RATES) == []


def test_utilisation_appearing_or_moving_is_not_state_drift() -> None:
    """Baselines taken before utilisation was collected must not drift on every network device."""
    from patrol.drift.engine import DriftData
    from patrol.drift.state import diff_state, state_fields

    snapshot = arista_eos.PLATFORM.parse("dist-sw1", _outputs(DATA / "arista_eos" / "dist-sw1"))
    after = state_fields(snapshot)
    before = {**after, "resources": [r for r in after["resources"] if r["kind"] != "interface"]}
    noise = DriftData.load().noise.for_host("arista_eos", "network", "state")
    changes, hidden = diff_state(before, after, noise)
    assert changes == [] and "state.interface-utilisation" in {h.rule for h in hidden}
