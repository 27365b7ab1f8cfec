"""Path options, made absolute against the working directory when the command line is parsed.

Every option or argument that names a file or folder uses one of these click types, so the
stages, ansible-runner's private folders and the playbooks it runs never see a relative path::

    patrol remediate T --check --vault-password-file inventory/lab/vault-password.txt
    # the stage gets /home/noc/site/inventory/lab/vault-password.txt (ansible-runner runs
    # in HOME/changes/previews/<id>/, where the relative path would name nothing)

* :class:`CwdPath` — a :class:`click.Path` (same checks) whose value is absolute; ``~`` is
  expanded (environment variables such as ``PATROL_VAULT_PASSWORD_FILE`` go through it too).
  ``shipped=True``: a relative path that names nothing in the working directory but names a
  shipped file (``playbooks/remediate/ntp_servers.yml``, ``inspect/network.yml``) is that file.
* :class:`InventorySource` — the same for ``-i``, except an Ansible host list (``web1,db1,``),
  which is not a path and is kept as given.
"""

from __future__ import annotations

import os
from typing import Any

import click

from patrol.paths import PROJECT_ROOT

__all__ = ["CwdPath", "InventorySource", "absolute"]


def absolute(value: str, *, shipped: bool = False) -> str:
    """``value`` made absolute against the working directory (``~`` expanded).

    ``shipped``: a relative path missing here but present under the shipped data is that one."""
    expanded = os.path.expanduser(value)
    here = os.path.abspath(expanded)
    if shipped and not os.path.isabs(expanded) and not os.path.exists(here):
        packaged = PROJECT_ROOT / expanded
        if packaged.exists():
            return str(packaged)
    return here


class CwdPath(click.Path):
    """A :class:`click.Path` whose value is absolute against the working directory."""

    def __init__(self, *, shipped: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shipped = shipped

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | os.PathLike):
            value = absolute(os.fsdecode(value), shipped=self.shipped)
        return super().convert(value, param, ctx)


class InventorySource(CwdPath):
    """``-i``: an inventory file or folder made absolute; a comma-separated host list kept as is."""

    name = "inventory"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "," in value and not os.path.exists(value):
            return value
        return super().convert(value, param, ctx)
