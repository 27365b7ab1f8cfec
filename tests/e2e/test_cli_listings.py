"""Listings as a user reads them in a pipe, a CI log or an 80-column terminal: ids, host names and
check ids are never cut; every listing command also speaks JSON.

The store holds one run over the recorded lab snapshots (the real checks and ticket stage), with
one host renamed to a long fully qualified name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from patrol.checks import load_profiles
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.conftest import ROOT, PatrolCLI
from tests.report.conftest import LAB_FIXTURES, LAB_NOW, lab_case
from tests.report.ingest import ingest

RUN_ID = "20261126-020003-9f3a"
LONG_HOST = "nas1.storage-cluster.dc-east-1.example.net"


class Listing(PatrolCLI):
    """The CLI with ``COLUMNS`` as given (``None``: unset), stdout and stderr not terminals."""

    columns: str | None = "80"

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env.pop("COLUMNS")
        return env | ({"COLUMNS": self.columns} if self.columns else {})


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("listings") / "patrol.db"
    store = Store.open(f"sqlite:///{path}")
    cases = []
    for host, snapshot, status, error in (lab_case(p) for p in sorted(LAB_FIXTURES.glob("*.json"))):
        if host.name == "nas1":
            host = host.model_copy(update={"name": LONG_HOST})
            snapshot = snapshot.model_copy(update={"host": LONG_HOST}) if snapshot else None
        cases.append((host, snapshot, status, error))
    ingest(store, RUN_ID, cases, load_profiles([PROFILES_DIR]), LAB_NOW)
    store.close()
    return f"sqlite:///{path}"


def cli(tmp_path: Path, columns: str | None = "80") -> Listing:
    listing = Listing(tmp_path / "home")
    listing.columns = columns
    return listing


def run(patrol: PatrolCLI, db: str, *args: str) -> str:
    result = patrol("--db", db, *args)
    assert result.code == 0, result.output
    return result.stdout


def whole(text: str, values: Sequence[str]) -> list[str]:
    """The values that no line of ``text`` holds whole (cut or wrapped)."""
    lines = text.splitlines()
    return [v for v in values if not any(v in line for line in lines)]


def as_json(patrol: PatrolCLI, db: str, *args: str) -> Any:
    return json.loads(run(patrol, db, *args))


def test_at_80_columns_ids_hosts_and_check_ids_are_whole_and_other_columns_wrap(tmp_path: Path, db: str) -> None:
    patrol = cli(tmp_path)
    runs = run(patrol, db, "runs")
    assert not whole(runs, [RUN_ID])
    assert max(len(line) for line in runs.splitlines()) <= 80, runs

    findings = as_json(patrol, db, "findings", "--json")
    assert any(f["host"] == LONG_HOST for f in findings)
    table = run(patrol, db, "findings")
    assert not whole(table, [f["host"] for f in findings] + [f["check_id"] for f in findings]), table

    tickets = as_json(patrol, db, "tickets", "--json", "--at", "2026-11-26T03:00")
    table = run(patrol, db, "tickets", "--at", "2026-11-26T03:00")
    missing = whole(table, [t["host"] for t in tickets])
    assert tickets and not missing, table
    ids = {line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")} - {""}
    assert ids == {str(t["id"]) for t in tickets}

    shown = run(patrol, db, "show", RUN_ID[:8])
    assert not whole(shown, [LONG_HOST, "branch-sw9", "core-sw1"])


def test_through_a_real_pipe_the_run_id_is_whole(tmp_path: Path, db: str) -> None:
    env = cli(tmp_path).env
    command = [sys.executable, "-m", "patrol", "--db", db, "runs"]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert RUN_ID in proc.stdout and "…" not in proc.stdout


def test_without_columns_a_pipe_gets_whole_lines(tmp_path: Path, db: str) -> None:
    patrol = cli(tmp_path, columns=None)
    findings = as_json(patrol, db, "findings", "--json")
    table = run(patrol, db, "findings")
    assert not whole(table, [f["message"] for f in findings])


@pytest.mark.parametrize(
    "args",
    [
        ["runs"], ["findings"], ["show", "latest"], ["show", "latest", "core-sw1"], ["tickets", "--state", "all"],
        ["ticket", "show", "1"], ["waivers"], ["notifications"], ["changes"], ["baseline", "show", "core-sw1"],
        ["drift"], ["schedule", "list"], ["token", "list"], ["sla"],
    ],
)  # fmt: skip
def test_every_listing_command_has_json(tmp_path: Path, db: str, args: list[str]) -> None:
    data = as_json(cli(tmp_path), db, *args, "--json")
    assert isinstance(data, list | dict)
