"""Which profiles folder patrol uses by default: ``$PATROL_PROFILES``, else ``./inspect`` of the
working directory, else the shipped one (resolved when patrol is imported: a new process each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SHOW = "import patrol.paths as p; print(p.PROFILES_DIR); print(p.SOURCE_CHECKOUT); print(p.PROJECT_ROOT)"


def _paths(cwd: Path, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")}
    proc = subprocess.run([sys.executable, "-c", SHOW], cwd=cwd, env={**clean, "PYTHONPATH": str(ROOT), **env},
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return proc.stdout.split()


def test_the_shipped_profiles_by_default(tmp_path: Path) -> None:
    assert _paths(tmp_path) == [str(ROOT / "inspect"), "True", str(ROOT)], "a checkout: its own folders"


def test_an_inspect_folder_in_the_working_directory_overrides(tmp_path: Path) -> None:
    (tmp_path / "inspect").mkdir()
    assert _paths(tmp_path)[0] == str(tmp_path / "inspect")


def test_patrol_profiles_overrides_both(tmp_path: Path) -> None:
    (tmp_path / "inspect").mkdir()
    assert _paths(tmp_path, PATROL_PROFILES="mine")[0] == str(tmp_path / "mine")
