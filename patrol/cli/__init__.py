"""The ``patrol`` command line: the only layer that prints or exits.

Each sub-command family lives in its own module (its ``COMMANDS`` list); :data:`COMMAND_MODULES`
names the module of every command so that ``patrol X`` imports only X's module (the CLI starts
in about half the time; ``patrol --help`` still loads them all for the short help lines).
Exit codes are documented in :mod:`patrol.cli.common`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence

import click

from patrol import __version__
from patrol.cli.common import EXIT_FAILURE, Context, fail, handled
from patrol.cli.logs import setup_logging
from patrol.cli.pathtypes import CwdPath
from patrol.config import load_settings

__all__ = ["COMMAND_MODULES", "cli", "main"]

#: command name -> module of patrol.cli whose ``COMMANDS`` (or ``lab``) defines it
COMMAND_MODULES: dict[str, str] = {
    "lab": "lab",
    "init": "project",
    **dict.fromkeys(["run", "runs", "show", "findings", "report"], "inspection"),
    **dict.fromkeys(["baseline", "drift", "diff"], "drift"),
    **dict.fromkeys(["tickets", "ticket"], "tickets"),
    **dict.fromkeys(["waive", "waiver", "waivers", "sla", "notifications"], "waiving"),
    **dict.fromkeys(["remediate", "rollback", "changes"], "remediate"),
    **dict.fromkeys(["trends", "forecast", "propose", "history"], "history"),
    **dict.fromkeys(["schedule", "serve", "token"], "service"),
    "hostkey": "hostkey",
}


def module_commands(module: str) -> dict[str, click.Command]:
    """The commands defined by ``patrol.cli.<module>``, by name."""
    loaded = importlib.import_module(f"patrol.cli.{module}")
    commands: list[click.Command] = [loaded.lab] if module == "lab" else list(loaded.COMMANDS)
    return {command.name or "": command for command in commands}


class _LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        return module_commands(module).get(cmd_name) if module else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """An unknown command is refused with the close names (``patrol fidnings`` -> findings)."""
        name = click.utils.make_str(args[0]) if args else ""
        if args and name not in COMMAND_MODULES and not name.startswith("-"):
            close = difflib.get_close_matches(name, list(COMMAND_MODULES), n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint} (`patrol --help` lists the commands)")
        return super().resolve_command(ctx, args)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patrol")
@click.option("--db", help="Store URL or SQLite path [env PATROL_DB; default HOME/patrol.db].")
@click.option("--home", type=CwdPath(file_okay=False), help="State folder [env PATROL_HOME; default ./.patrol].")
@click.pass_context
def cli(ctx: click.Context, db: str | None, home: str | None) -> None:
    """patrol: inventory-driven inspection (巡檢) of network, security, host and storage devices."""
    with handled():
        ctx.obj = Context(load_settings(db_url=db, home=home))
        setup_logging(ctx.obj.settings)
    ctx.call_on_close(ctx.obj.close)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="patrol", standalone_mode=True)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_FAILURE)
