"""Crash-safe compaction of the metric store (issue 14, section 6): a compaction killed with
SIGKILL right after it renamed a month's compact file in, before it deleted the run files it
merged, leaves no duplicate rows for the readers, and the next compaction cleans up.

The kill is real: the compaction runs in a process of its own that sends itself SIGKILL at its
first deletion of a run file of the chosen table (the moment between the two steps)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from patrol.checks import load_profiles
from patrol.history.frames import load_history
from patrol.history.metricschema import TABLES
from patrol.history.metricstore import COMPACT, COVERS, MetricStore, ingest_run
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.conftest import ROOT
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import ingest

OCT = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 5, tzinfo=UTC)

KILLED_COMPACTION = textwrap.dedent("""
    import os, pathlib, signal, sys
    from datetime import datetime
    from patrol.history.metricstore import MetricStore

    root, table = pathlib.Path(sys.argv[1]), sys.argv[2]
    unlink = pathlib.Path.unlink

    def crash_first(self, *args, **kwargs):
        if self.name.startswith("run-") and self.parent.parent.name == table:
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no finally
        return unlink(self, *args, **kwargs)

    pathlib.Path.unlink = crash_first
    MetricStore(root).compact(before=datetime.fromisoformat(sys.argv[3]))
""")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    home = tmp_path / "home"
    home.mkdir()
    with Store.open(f"sqlite:///{home / 'patrol.db'}") as opened:
        profiles = load_profiles([PROFILES_DIR])
        cases = [lab_case(LAB_FIXTURES / f"{name}.json") for name in ("core-sw1", "nas1", "branch-sw9")]
        for day in range(3):
            ingest(opened, f"oct-{day}", cases, profiles, OCT - timedelta(days=2 - day))
            ingest_run(opened, f"oct-{day}", MetricStore.for_store(opened))
        yield opened


def _counts(store: Store) -> dict[str, int]:
    h = load_history(store)
    views = ("hosts", "checks", "findings", "resources")
    return {"runs": len(h.runs), **{v: int(h.sql(f"SELECT count(*) AS n FROM {v}")["n"].iloc[0]) for v in views}}


def _run_files(ms: MetricStore, table: str) -> list[str]:
    return sorted(p.name for p in (ms.root / table / "month=2026-10").glob("run-*.parquet"))


@pytest.mark.parametrize("table", [TABLES[0], "runs"])  # the first table compacted, and the last
def test_kill_9_between_the_compact_file_and_the_deletes_leaves_no_duplicates(store: Store, table: str) -> None:
    ms = MetricStore.for_store(store)
    before = _counts(store)
    assert before["runs"] == 3 and min(before.values()) > 0
    killed = subprocess.run([sys.executable, "-c", KILLED_COMPACTION, str(ms.root), table, NOV.isoformat()],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert killed.returncode == -9, killed.stderr

    compact = ms.root / table / "month=2026-10" / COMPACT
    leftover = _run_files(ms, table)
    assert compact.exists() and leftover == ["run-oct-0.parquet", "run-oct-1.parquet", "run-oct-2.parquet"]
    assert pq.read_metadata(compact).num_rows > 0 and COVERS in (pq.read_schema(compact).metadata or {})
    assert [p.rsplit("/", 1)[-1] for p in ms.files(table)] == [COMPACT], "covered run files are not read"
    assert _counts(store) == before, "no duplicate rows after the crash"

    assert ms.compact(before=NOV) == ["2026-10"]
    assert all(_run_files(ms, name) == [] for name in TABLES), "the next compaction deletes what was left"
    assert all([p.rsplit("/", 1)[-1] for p in ms.files(name)] == [COMPACT] for name in TABLES)
    assert _counts(store) == before


def test_a_run_reingested_after_a_crash_replaces_its_rows(store: Store) -> None:
    ms = MetricStore.for_store(store)
    before = _counts(store)
    killed = subprocess.run([sys.executable, "-c", KILLED_COMPACTION, str(ms.root), "checks", NOV.isoformat()],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    ingest_run(store, "oct-1", ms)  # the checks compact file covers oct-1's file: it is taken out of it
    covers = pq.read_schema(ms.root / "checks" / "month=2026-10" / COMPACT).metadata[COVERS].decode()
    assert "run-oct-0.parquet" in covers and "run-oct-1.parquet" not in covers
    assert _counts(store) == before
    ms.compact(before=NOV)
    assert _counts(store) == before and all(_run_files(ms, name) == [] for name in TABLES)
