"""The ``patrol`` command line: the only layer that prints or exits.

Each sub-command family lives in its own module and is added to the group here.
Exit codes are documented in :mod:`patrol.cli.common`.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from patrol import __version__
from patrol.cli import drift, history, inspection, remediate, service, tickets
from patrol.cli.common import EXIT_FAILURE, Context, fail, handled
from patrol.cli.lab import lab
from patrol.config import load_settings

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patrol")
@click.option("--db", help="Store URL or SQLite path [env PATROL_DB; default HOME/patrol.db].")
@click.option("--home", type=click.Path(file_okay=False), help="State folder [env PATROL_HOME; default ./.patrol].")
@click.pass_context
def cli(ctx: click.Context, db: str | None, home: str | None) -> None:
    """patrol: inventory-driven inspection (巡檢) of network, security, host and storage devices."""
    with handled():
        ctx.obj = Context(load_settings(db_url=db, home=home))
    ctx.call_on_close(ctx.obj.close)


cli.add_command(lab)
for module in (inspection, drift, tickets, remediate, history, service):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="patrol", standalone_mode=True)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_FAILURE)
