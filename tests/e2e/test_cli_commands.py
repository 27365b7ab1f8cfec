"""The lazily loaded CLI knows every command its modules define, and nothing else."""

from __future__ import annotations

import pkgutil

import patrol.cli
from patrol.cli import COMMAND_MODULES, module_commands


def test_every_command_module_is_mapped_both_ways() -> None:
    defined: dict[str, str] = {}
    for info in pkgutil.iter_modules(patrol.cli.__path__):
        if info.name in {"common", "showing"}:
            continue
        defined.update(dict.fromkeys(module_commands(info.name), info.name))
    assert defined == COMMAND_MODULES
