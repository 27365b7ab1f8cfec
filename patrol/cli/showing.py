"""Terminal views of stored runs for ``patrol show`` (tables with rich, or JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import first_line, print_table
from patrol.errors import NotFoundError
from patrol.store import Store
from patrol.tickets.waivers import mark_waived

__all__ = ["host_detail", "run_hosts"]

STATUS_STYLE = {"ok": "green", "pending": "dim", "aborted": "magenta", "timeout": "yellow", "parse_error": "yellow",
                "host_key_changed": "bold red", "host_key_unknown": "red"}  # fmt: skip


def run_hosts(out: Console, store: Store, run_id: str, as_json: bool) -> None:
    """Every planned host of the run: status, error, findings count."""
    summary = store.run_summary(run_id)
    rows = store.host_results(run_id)
    counts: dict[str, int] = {}
    for finding in store.findings(run_id):
        counts[finding.host] = counts.get(finding.host, 0) + 1
    if as_json:
        data = {
            "run": summary.model_dump(mode="json"),
            "hosts": [_row_dict(r) | {"findings": counts.get(r.host, 0)} for r in rows],
        }
        out.print_json(json.dumps(data, default=str))
        return
    out.print(
        f"run [bold]{run_id}[/] {summary.status.value}, {summary.hosts_inspected}/{summary.hosts_total} "
        f"inspected ({summary.coverage_percent}%)"
    )
    table = Table()
    for column in ("host", "domain", "platform", "status", "findings", "seconds", "error"):
        table.add_column(column, overflow="fold")
    for r in rows:
        style = STATUS_STYLE.get(str(r.status), "red")
        seconds = f"{(r.finished_at - r.started_at).total_seconds():.1f}" if r.finished_at and r.started_at else ""
        table.add_row(
            r.host,
            str(r.device_class),
            r.platform,
            f"[{style}]{r.status}[/]",
            str(counts.get(r.host, 0)),
            seconds,
            escape(first_line(r.error)),
        )
    print_table(table, keys={"host"})


def _row_dict(row: Any) -> dict[str, Any]:
    if hasattr(row, "model_dump"):
        return dict(row.model_dump(mode="json"))
    return {k: v for k, v in vars(row).items() if not k.startswith("_")}


def host_detail(out: Console, store: Store, run_id: str, host: str, as_json: bool) -> None:
    """One host in one run: status, facts, resources, posture, findings."""
    row = next((r for r in store.host_results(run_id) if r.host == host), None)
    if row is None:
        raise NotFoundError("host", host, f"not part of run {run_id}; see `patrol show {run_id}`")
    snapshot = store.snapshot(run_id, host)
    found = mark_waived(store, store.run_summary(run_id), store.findings(run_id, host=host))
    if as_json:
        data = {
            "host": _row_dict(row),
            "snapshot": snapshot.model_dump(mode="json") if snapshot else None,
            "findings": [f.model_dump(mode="json") for f in found],
        }
        out.print_json(json.dumps(data, default=str))
        return
    out.print(f"[bold]{host}[/] in run {run_id}: {row.status}" + (f" — {escape(row.error)}" if row.error else ""))
    if snapshot:
        _print_snapshot(out, snapshot)
    waived = sum(f.waived for f in found)
    table = Table(title=f"findings: {len(found) - waived}" + (f" (+{waived} waived)" if waived else ""),
                  title_justify="left")  # fmt: skip
    for column in ("severity", "check", "object", "message", *["waived"][: bool(waived)]):
        table.add_column(column, overflow="fold")
    for f in sorted(found, key=lambda f: (f.waived, -f.severity.rank)):
        mark = [f"#{f.waiver.id} until {f.waiver.until:%Y-%m-%d}" if f.waiver else ""][: bool(waived)]
        table.add_row(f.severity.value, f.check_id, escape(f.object), escape(f.message), *mark)
    print_table(table, keys={"check"})


def _print_snapshot(out: Console, snapshot: Any) -> None:
    facts = snapshot.facts
    out.print(" ".join(f"{k}=[cyan]{escape(str(v))}[/]" for k, v in facts.model_dump().items() if v is not None))
    if snapshot.resources:
        res = Table(title="resources", title_justify="left")
        for column in ("kind", "name", "used %", "capacity"):
            res.add_column(column)
        for r in snapshot.resources:
            res.add_row(
                r.kind,
                escape(r.name),
                "" if r.used_percent is None else f"{r.used_percent:.1f}",
                "" if r.capacity is None else f"{r.capacity:,.0f} {r.unit}",
            )
        print_table(res, keys={"name"})
    down = [i.name for i in snapshot.interfaces if i.admin_up and i.oper_up is False]
    out.print(
        f"interfaces: {len(snapshot.interfaces)}" + (f", admin-up but down: {escape(', '.join(down))}" if down else "")
    )
    for key, value in sorted(snapshot.security.items()):
        out.print(f"  {key}: {escape(json.dumps(value, default=str))}")
