"""Database sizes from a real PostgreSQL snapshot feed the capacity history and `patrol forecast`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from patrol.checks import load_profiles
from patrol.collect.postgres import PostgresCollector
from patrol.history.processor import HistoryProcessor
from patrol.lab.db_servers import Server
from patrol.models import HostStatus, RunStatus
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.collect_db.conftest import PASSWORD, collect, service_host
from tests.conftest import PatrolCLI
from tests.report.ingest import ingest

CAPACITY = 10e9
DAYS = 20


def test_database_size_growth_is_forecast(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    host = service_host("pg1", "postgresql", "postgresql", pg_pair[0].port, patrol_db_capacity_bytes=CAPACITY)
    result = collect(PostgresCollector(), [host], tmp_path)["pg1"]
    assert result.status is HostStatus.OK and result.snapshot is not None
    snapshot = result.snapshot
    home = tmp_path / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles, history = load_profiles([PROFILES_DIR]), HistoryProcessor()
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    for day in range(DAYS):  # the postgres database grows 1 % of the capacity a day from 40 %
        resources = [r.model_copy(update={"used": CAPACITY * (40 + day) / 100}) if r.kind == "database"
                     and r.name == "postgres" else r for r in snapshot.resources]  # fmt: skip
        at = end - timedelta(days=DAYS - 1 - day)
        snap = snapshot.model_copy(update={"resources": resources, "collected_at": at})
        run_id = f"{at:%Y%m%d}-db{day:02d}"
        ingest(store, run_id, [(host, snap, HostStatus.OK, None)], profiles, at)
        history.run_done(store, run_id, RunStatus.COMPLETED)
    store.close()
    run = PatrolCLI(home)("forecast", "--metric", "database", "--horizon", "365d", "--json")
    assert run.code == 0, run.output
    found = {(f["kind"], f["name"]): f for f in json.loads(run.stdout)}
    postgres = found[("database", "postgres")]
    assert postgres["status"] == "ok" and abs(postgres["days"] - (85 - 59)) < 3, postgres
    assert ("tablespace", "pg_default") in found
    assert PASSWORD not in run.output
