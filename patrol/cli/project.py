"""``patrol init DIR``: scaffold a project folder (example inventory, profiles, settings)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from patrol.cli.common import handled, out
from patrol.cli.pathtypes import CwdPath

__all__ = ["COMMANDS"]


@click.command()
@click.argument("folder", type=CwdPath(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace files that differ from the scaffold (default: refuse).")
def init(folder: Path, force: bool) -> None:
    """Scaffold FOLDER: example inventory (the lab's), inspect/ profiles to edit, service.yml, patrol.yml."""
    from patrol.scaffold import scaffold

    with handled():
        result = scaffold(folder, force=force)
    out.print(f"{escape(str(folder))}: {len(result.written)} file(s) written, {len(result.unchanged)} unchanged")
    out.print(f"next: cd {escape(str(folder))}; patrol lab up; "
              "patrol run -i inventory --vault-password-file inventory/vault-password.txt", soft_wrap=True)  # fmt: skip


COMMANDS: list[click.Command] = [init]
