"""``patrol lab up|down|status``: the bundled emulated lab."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from patrol.cli.common import EXIT_FAILURE, err, fail, handled, out

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
def lab_status_cmd() -> None:
    """Show what the lab serves (exit 3 when it is not running)."""
    from patrol.lab.manager import lab_status

    with handled():
        status = lab_status()
        if not status.running:
            fail("the lab is not running: start it with `patrol lab up`", EXIT_FAILURE)
        _print_lab(status)


def _print_lab(status: Any) -> None:
    table = Table(title=f"lab (pid {status.pid})")
    for column in ("host", "kind", "endpoint", "state"):
        table.add_column(column)
    for e in status.endpoints:
        state = (
            f"[yellow]skipped: {e.skipped}[/]"
            if e.skipped
            else ("[green]up[/]" if e.host in status.reachable else "[red]down[/]")
        )
        table.add_row(e.host, e.kind, f"{e.proto}/{e.address}:{e.port}", state)
    out.print(table)
    out.print(f"log: {status.log_file}")
