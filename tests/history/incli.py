"""The ``patrol`` command run in this process (click's test runner) against its own state folder.

For the many short error / "no data" checks: the same CLI code as ``tests.conftest.PatrolCLI``,
without a new interpreter per call (the end-to-end flows keep using the real subprocess).
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from patrol.cli import cli
from tests.conftest import Result


def patrol(home: Path, *args: str) -> Result:
    env = {"PATROL_HOME": str(home), "PATROL_DB": None, "PATROL_METRICS_DIR": None, "COLUMNS": "200",
           "NO_COLOR": "1", "TERM": "dumb"}  # fmt: skip
    cwd = os.getcwd()
    try:
        os.chdir(Path(__file__).resolve().parents[2])
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(cwd)
    return Result(result.exit_code, result.stdout, result.stderr)
