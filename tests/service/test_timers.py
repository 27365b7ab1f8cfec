"""Two `patrol serve` processes on one PostgreSQL database: a due schedule runs once.

(The SQLite variant, with a monthly report delivered once as well, is in test_serve.py.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from patrol.service.schedules import ReportDelivery, Schedule, add_schedule, get_schedule
from patrol.store import Store
from tests.conftest import LAB_INVENTORY, LAB_VAULT, PatrolCLI
from tests.service.conftest import start_servers, stop_servers, wait_for
from tests.store import conftest as store_fixtures

pg_url = store_fixtures.pg_url  # the throw-away PostgreSQL cluster of the store tests (skips without one)


def _seconds_ahead(seconds: int) -> tuple[str, datetime]:
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return f"{at.minute} {at.hour} {at.day} {at.month} * {at.second}", at


def test_two_servers_on_postgresql_run_a_due_schedule_once(pg_url: str, tmp_path: Path) -> None:
    store_fixtures._reset_pg(pg_url)
    cli = PatrolCLI(tmp_path / "home")
    env = {"PATROL_DB": pg_url}
    servers = start_servers(2, cli, "--tick", "0.2", env=env)
    try:
        with Store.open(pg_url) as store:
            cron, _ = _seconds_ahead(3)
            once = Schedule("once", cron, (str(LAB_INVENTORY),), limit="fw1", vault_password_file=str(LAB_VAULT),
                            report=ReportDelivery("json"))  # fmt: skip
            add_schedule(store, once)
            wait_for(lambda: get_schedule(store, "once").last_status == "completed", timeout=60)
            time.sleep(1)  # both schedulers ticked many times since the firing
            runs = store.list_runs(10)
    finally:
        codes = stop_servers(servers)
    assert codes == [0, 0]
    assert [r.hosts_total for r in runs] == [1]


pytestmark = pytest.mark.usefixtures("lab")
