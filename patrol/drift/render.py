"""``patrol diff`` output as data: plain text and JSON (schema ``patrol.diff/1``).

The side-by-side HTML form is rendered by :mod:`patrol.report.diff` (the report stage, which
also dispatches every format for ``patrol diff``): drift never imports the report stage.

Every form shows secrets only as ``<redacted>`` (a changed secret is ``~ ... secret changed``);
the keyed-hash markers themselves are never printed.

JSON::

    {"schema": "patrol.diff/1", "host": "core-sw1",
     "from": {"ref": "20261126-0200", "label": "run ... (2026-11-26 02:00 UTC)", "run_id": "...", "at": "..."},
     "to": {...},
     "config": [{"kind": "added", "object": "interface Gi2 > ip access-group BLOCK in",
                 "path": ["interface Gi2"], "line": "ip access-group BLOCK in", "line_from": null,
                 "line_to": 52, "block": [], "rule": "acl", "severity": "critical"}],
     "state": [{"path": "facts.os_version", "kind": "changed", "before": "16.3", "after": "17.3"}],
     "ignored": {"from": [{"line": 5, "text": "! Last configuration change ...", "rule": "ios.last-change"}],
                 "to": [...]}}     # only with explain=True
"""

from __future__ import annotations

import json
from typing import Any

from patrol.drift.confdiff import Ignored
from patrol.drift.engine import excerpt
from patrol.drift.rules import DriftRules
from patrol.drift.timetravel import DiffReport, Point
from patrol.errors import ReportError
from patrol.redact import mask_markers

__all__ = ["FORMATS", "as_data", "render_diff"]

FORMATS = ("text", "json")


def _point(point: Point) -> dict[str, Any]:
    return {"ref": point.ref, "label": point.label, "run_id": point.run_id,
            "at": point.at.isoformat() if point.at else None}  # fmt: skip


def _ignored(items: list[Ignored]) -> list[dict[str, Any]]:
    return [{"line": i.line, "text": mask_markers(i.text), "rule": i.rule} for i in items]


def as_data(report: DiffReport, rules: DriftRules, explain: bool = False) -> dict[str, Any]:
    config = []
    for item in report.config:
        rule = rules.classify("config", item.object)
        config.append({"kind": item.kind, "object": item.object, "path": list(item.path), "line": item.text,
                       "line_from": item.line_from, "line_to": item.line_to, "block": list(item.block),
                       "rule": rule.id, "severity": rule.severity.value})  # fmt: skip
    data: dict[str, Any] = {
        "schema": "patrol.diff/1",
        "host": report.host,
        "from": _point(report.before),
        "to": _point(report.after),
        "config": config,
        "state": [{"path": c.path, "kind": c.kind, "before": c.before, "after": c.after} for c in report.state],
    }
    if explain:
        data["ignored"] = {"from": _ignored(report.ignored_before), "to": _ignored(report.ignored_after)}
    return data


def _text(report: DiffReport, rules: DriftRules, explain: bool) -> str:
    lines = [f"{report.host}: {report.before.label}  ->  {report.after.label}"]
    lines.append(f"config: {len(report.config)} change(s)")
    for item in report.config:
        rule = rules.classify("config", item.object)
        note = "   (secret changed, value not shown)" if item.kind == "secret" else ""
        note = f"   (order changed: line {item.line_from} -> {item.line_to})" if item.kind == "moved" else note
        lines.append(f"  [{rule.severity.value}] {item.kind}" + (f" line {item.line_to}" if item.line_to else ""))
        lines.extend("    " + row for row in excerpt(item).splitlines())
        if note:
            lines[-1] += note
    lines.append(f"state: {len(report.state)} change(s)")
    lines.extend(f"  ~ {c.path}: {c.before!r} -> {c.after!r}" for c in report.state)
    if explain:
        for side, items in (("from", report.ignored_before), ("to", report.ignored_after)):
            lines.append(f"ignored ({side}): {len(items)} line(s)")
            lines.extend(f"  {i.line or '-':>5}  [{i.rule}]  {mask_markers(i.text)}" for i in items)
    return "\n".join(lines) + "\n"


def render_diff(report: DiffReport, rules: DriftRules, fmt: str = "text", explain: bool = False) -> str:
    """The diff as ``text`` or ``json``; :class:`ReportError` for another format (HTML: :mod:`patrol.report.diff`)."""
    if fmt == "text":
        return _text(report, rules, explain)
    if fmt == "json":
        return json.dumps(as_data(report, rules, explain), indent=2, ensure_ascii=False, default=str) + "\n"
    raise ReportError(f"unknown diff format {fmt!r}: use one of {', '.join(FORMATS)}")
