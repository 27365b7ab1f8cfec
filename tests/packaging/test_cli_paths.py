"""Every path option of every command is made absolute against the working directory when the
command line is parsed (issue 15, 1a), so no stage or subprocess ever sees a relative path."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from patrol.cli import COMMAND_MODULES, cli, module_commands
from patrol.cli.pathtypes import CwdPath, InventorySource
from patrol.paths import PROJECT_ROOT

#: parameter names that always name a file or folder
PATH_NAMES = {"inventory", "profiles", "vault_password_file", "output", "rules", "noise", "service",
              "schedules_file", "playbook", "home", "folder"}  # fmt: skip


def _commands(command: click.Command, prefix: str) -> list[tuple[str, click.Command]]:
    found = [(prefix, command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _commands(sub, f"{prefix} {name}")
    return found


def _every_command() -> list[tuple[str, click.Command]]:
    found = [("patrol", cli)]
    for module in sorted(set(COMMAND_MODULES.values())):
        for name, command in module_commands(module).items():
            found += _commands(command, f"patrol {name}")
    return found


def test_every_path_parameter_is_made_absolute() -> None:
    commands = _every_command()
    assert len(commands) > 40 and any(name == "patrol remediate" for name, _ in commands)
    relative, named = [], 0
    for name, command in commands:
        for param in command.params:
            if isinstance(param.type, click.Path) and not isinstance(param.type, CwdPath):
                relative.append(f"{name} {param.name}: {type(param.type).__name__}")
            if param.name in PATH_NAMES:
                named += 1
                if not isinstance(param.type, CwdPath):
                    relative.append(f"{name} {param.name}: {param.type.name}")
    assert not relative, f"path parameters kept relative: {relative}"
    assert named >= 20


def test_relative_paths_resolve_against_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CwdPath(dir_okay=False).convert("inventory/lab/vault-password.txt", None, None) == str(
        tmp_path / "inventory" / "lab" / "vault-password.txt"
    )
    assert CwdPath(path_type=Path).convert("out/report.html", None, None) == tmp_path / "out" / "report.html"
    assert CwdPath().convert("~/x.yml", None, None) == str(Path.home() / "x.yml")
    assert CwdPath().convert("/etc/hosts", None, None) == "/etc/hosts"


def test_shipped_paths_fall_back_to_the_packaged_files_unless_the_working_directory_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    playbook = "playbooks/remediate/ntp_servers.yml"
    assert CwdPath(shipped=True).convert(playbook, None, None) == str(PROJECT_ROOT / playbook)
    assert CwdPath().convert(playbook, None, None) == str(tmp_path / playbook), "only with shipped=True"
    (tmp_path / "playbooks" / "remediate").mkdir(parents=True)
    (tmp_path / playbook).write_text("- hosts: all\n  tasks: []\n")
    assert CwdPath(shipped=True).convert(playbook, None, None) == str(tmp_path / playbook), "the user's own wins"
    assert CwdPath(shipped=True).convert("inspect/none.yml", None, None) == str(tmp_path / "inspect" / "none.yml")


def test_inventory_host_lists_are_not_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert InventorySource().convert("web1,db1,", None, None) == "web1,db1,"
    assert InventorySource().convert("inventory/lab", None, None) == str(tmp_path / "inventory" / "lab")


def test_missing_required_file_names_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(click.BadParameter, match=str(tmp_path / "nope.txt")):
        CwdPath(exists=True, dir_okay=False).convert("nope.txt", None, None)
