"""The lazily loaded CLI knows every command its modules define, and nothing else."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import patrol.cli
from patrol.cli import COMMAND_MODULES, module_commands


def test_every_command_module_is_mapped_both_ways() -> None:
    defined: dict[str, str] = {}
    for info in pkgutil.iter_modules(patrol.cli.__path__):
        if info.name in {"common", "dates", "known", "logs", "pathtypes", "showing"}:  # helpers, no command
            continue
        defined.update(dict.fromkeys(module_commands(info.name), info.name))
    assert defined == COMMAND_MODULES


def test_each_command_module_imports_on_its_own() -> None:
    """The suite's ``patrol`` commands fork from one interpreter that preloaded the whole package
    (tests/clizygote.py); here each command's module is imported the way ``patrol X`` imports it,
    in a new interpreter and alone, so an import that only works after another module's does not
    pass unseen."""
    script = "import sys\nfrom patrol.cli import module_commands\nassert module_commands(sys.argv[1]), sys.argv[1]\n"
    for module in sorted(set(COMMAND_MODULES.values())):
        proc = subprocess.run([sys.executable, "-c", script, module], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"patrol.cli.{module}: {proc.stderr[-2000:]}"
