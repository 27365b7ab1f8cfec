"""``patrol lab up|down|status``: the bundled emulated lab."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import EXIT_FAILURE, err, fail, handled, out, print_table

__all__ = ["lab"]


@click.group()
def lab() -> None:
    """The bundled emulated lab (FakeNOS, snmpsim, sshd hosts) for the demo and tests."""


@lab.command("up")
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait until every device serves.")
def lab_up_cmd(timeout: float) -> None:
    """Start the lab in the background (no-op if it runs)."""
    from patrol.lab.manager import lab_up, require_lab_extra

    with handled():
        require_lab_extra()
        err.print("starting the lab …")
        _print_lab(lab_up(timeout))


@lab.command("down")
def lab_down_cmd() -> None:
    """Stop the lab."""
    from patrol.lab.manager import lab_down

    with handled():
        out.print("lab stopped" if lab_down() else "lab was not running")


@lab.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def lab_status_cmd(as_json: bool) -> None:
    """Show what the lab serves (exit 3 when it is not running)."""
    from patrol.lab.manager import lab_status

    with handled():
        status = lab_status()
        if not status.running:
            fail("the lab is not running: start it with `patrol lab up`", EXIT_FAILURE)
    if as_json:
        endpoints = [asdict(e) | {"reachable": e.host in status.reachable} | status.health.get(e.host, {})
                     for e in status.endpoints]  # fmt: skip
        out.print_json(json.dumps({"pid": status.pid, "log_file": str(status.log_file), "endpoints": endpoints}))
        return
    _print_lab(status)


def _print_lab(status: Any) -> None:
    from patrol.lab.manager import probe_name

    table = Table(title=f"lab (pid {status.pid})")
    for column in ("host", "kind", "endpoint", "state"):
        table.add_column(column)
    for e in status.endpoints:
        health = status.health.get(e.host, {})
        state = (
            f"[yellow]skipped: {e.skipped}[/]"
            if e.skipped
            else ("[green]up[/]" if e.host in status.reachable
                  else f"[red]down[/] (no {probe_name(e)})")
        )
        if health.get("dead"):
            state += f" [red]given up: {escape(str(health['dead']))}[/]"
        elif health.get("restarts"):
            state += f" (restarted {health['restarts']}x)"
        table.add_row(e.host, e.kind, f"{e.proto}/{e.address}:{e.port}", state)
    print_table(table, keys={"host"})
    out.print(f"log: {status.log_file}")
