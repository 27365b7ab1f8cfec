"""The dashboard's inline SVG bar chart: labelled axes, round ticks, escaped text, linked bars."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from patrol.service.svg import Bar, _ticks, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_ticks_are_round_and_reach_the_peak() -> None:
    assert _ticks(0) == [0, 1]
    assert _ticks(4) == [0, 1, 2, 3, 4]
    assert _ticks(7) == [0, 2, 4, 6, 8]
    assert _ticks(13) == [0, 5, 10, 15]
    assert _ticks(1234) == [0, 500, 1000, 1500]


def test_the_chart_names_its_axes_and_escapes_device_text() -> None:
    hostile = "<script>alert(1)</script>"
    svg = bar_chart("Findings per run", "Run", "Findings", [Bar("a", 3, hostile), Bar("b", 0, "b", "/ui/x?a=1&b=2")],
                    "trend")  # fmt: skip
    root = ET.fromstring(str(svg))  # well-formed XML: every text escaped
    texts = {e.get("class"): e.text for e in root.iter(f"{SVG}text")}
    assert texts["chart-title"] == "Findings per run"
    assert texts["axis-label x-label"] == "Run" and texts["axis-label y-label"] == "Findings"
    assert root.get("aria-label") == "Findings per run (Run / Findings)"
    assert [t.text for t in root.iter(f"{SVG}title")] == [hostile, "b"]
    assert "<script>" not in str(svg)
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/ui/x?a=1&b=2"]
    assert len(list(root.iter(f"{SVG}rect"))) == 2
