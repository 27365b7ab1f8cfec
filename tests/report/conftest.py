"""A store filled with one run over the recorded lab snapshots (real SQLite, real checks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patrol.checks import evaluate, findings_for, load_profiles
from patrol.models import Host, HostResult, HostStatus, RunStatus, Snapshot
from patrol.paths import PROFILES_DIR
from patrol.store import Store

RUN_ID = "20261126-020003-9f3a"
#: Recorded lab snapshots shared with tests/checks (see its fixtures/lab/README.md).
LAB_FIXTURES = Path(__file__).resolve().parents[1] / "checks" / "fixtures" / "lab"
LAB_NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def lab_case(path: Path) -> tuple[Host, Snapshot | None, HostStatus, str | None]:
    data = json.loads(path.read_text(encoding="utf-8"))
    snapshot = Snapshot.model_validate(data["snapshot"]) if data["snapshot"] else None
    return Host.model_validate(data["host"]), snapshot, HostStatus(data["status"]), data["error"]


@pytest.fixture(scope="session")
def lab_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("report") / "patrol.db"
    store = Store.open(f"sqlite:///{db}")
    profiles = load_profiles([PROFILES_DIR])
    cases = [lab_case(p) for p in sorted(LAB_FIXTURES.glob("*.json"))]
    store.create_run(
        RUN_ID, inventory=["inventory/lab"], profiles=["inspect"], limit=None, forks=10, hosts=[c[0] for c in cases]
    )
    for host, snapshot, status, error in cases:
        result = HostResult(host=host.name, status=status, collector=host.collector, error=error, snapshot=snapshot)
        store.record_host_result(RUN_ID, result)
        checks = evaluate(profiles, host, snapshot, status, now=LAB_NOW)
        store.record_checks(RUN_ID, checks, findings_for(RUN_ID, host, checks, profiles, result))
    store.finish_run(RUN_ID, RunStatus.COMPLETED)
    yield store
    store.close()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path
