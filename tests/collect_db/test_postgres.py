"""The PostgreSQL collector against a real primary and streaming replica (root only)."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from patrol.collect.postgres import PostgresCollector
from patrol.lab.db_servers import Server, psql
from patrol.models import Host, HostStatus
from tests.collect_db.conftest import PASSWORD, collect, service_host


def _pg(name: str, port: int, **kw: Any) -> Host:
    return service_host(name, "postgresql", "postgresql", port, **kw)


def test_primary_and_replica_shape(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    primary, replica = pg_pair
    psql(primary, "CREATE DATABASE sales")
    results = collect(PostgresCollector(), [_pg("pg1", primary.port, patrol_expect_replicas=2),
                                            _pg("pg2", replica.port)], tmp_path)  # fmt: skip
    one, two = results["pg1"], results["pg2"]
    assert one.status is HostStatus.OK and two.status is HostStatus.OK, (one.error, two.error)
    snap = one.snapshot
    assert snap is not None and snap.platform == "postgresql" and snap.facts.vendor == "PostgreSQL"
    assert snap.facts.os_version and snap.facts.os_version[0].isdigit() and snap.facts.boot_time
    db = snap.extra["db"]
    assert db["role"] == "primary" and db["up"] is True
    assert db["replicas_connected"] == 1 and db["replicas_expected"] == 2 and db["replicas_missing"] == 1
    assert 0 < db["connections"] <= db["max_connections"] == 100
    assert db["backup"]["status"] == "never"  # archive_mode on, archive_command false: never archived
    sizes = {(r.kind, r.name): r for r in snap.resources}
    assert sizes[("database", "sales")].used and sizes[("database", "sales")].used > 1_000_000
    assert ("tablespace", "pg_default") in sizes and ("connections", "connections") in sizes
    assert "archive_mode = on\n" in (snap.config or "") and "max_connections = 100\n" in (snap.config or "")
    standby = two.snapshot.extra["db"] if two.snapshot else {}
    for _ in range(20):  # lag is unknown (None) while the replica has not replayed the new database yet
        if standby.get("lag_seconds") is not None:
            break
        time.sleep(0.5)
        again = collect(PostgresCollector(), [_pg("pg2", replica.port)], tmp_path)["pg2"].snapshot
        standby = again.extra["db"] if again else {}
    assert standby["role"] == "replica" and standby["wal_receiver"] == "streaming"
    assert standby["lag_seconds"] is not None and standby["lag_seconds"] < 60


def test_long_transaction_and_lock_wait(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    import psycopg

    primary = pg_pair[0]
    psql(primary, "CREATE TABLE IF NOT EXISTS t (id int primary key, v int); INSERT INTO t VALUES (1, 0) "
                  "ON CONFLICT DO NOTHING; GRANT UPDATE, SELECT ON t TO patrol_ro")  # fmt: skip
    dsn = f"host=127.0.0.1 port={primary.port} user=patrol_ro password={PASSWORD} dbname=postgres"
    with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as waiter:
        holder.execute("UPDATE t SET v = v + 1 WHERE id = 1")
        waiter.execute("SET statement_timeout = '20s'")
        blocked = threading.Thread(target=lambda: _quietly(waiter, "UPDATE t SET v = v + 1 WHERE id = 1"))
        blocked.start()
        time.sleep(1.5)
        db = collect(PostgresCollector(), [_pg("pg1", primary.port)], tmp_path)["pg1"].snapshot.extra["db"]  # type: ignore[union-attr]
        holder.rollback()
        blocked.join(timeout=30)
    assert db["lock_waits"] >= 1 and db["longest_transaction_seconds"] >= 1.0


def _quietly(conn: object, sql: str) -> None:
    with contextlib.suppress(Exception):  # the blocked statement ends when the lock holder rolls back
        conn.execute(sql)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", ["auth", "down", "hang"])
def test_failures_are_statuses(
    case: str, pg_pair: tuple[Server, Server], closed_port: int, silent_port: int, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    port = {"auth": pg_pair[0].port, "down": closed_port, "hang": silent_port}[case]
    wrong = PASSWORD + "-wrong"
    host = _pg("db-x", port, password=wrong if case == "auth" else PASSWORD, timeout=2.0)
    started = time.monotonic()
    result = collect(PostgresCollector(), [host], tmp_path)["db-x"]
    expected = {"auth": HostStatus.AUTH_FAILED, "down": HostStatus.UNREACHABLE, "hang": HostStatus.TIMEOUT}[case]
    assert result.status is expected, result.error
    assert time.monotonic() - started < 15
    assert f"127.0.0.1:{port}" in (result.error or "") and ("patrol_db" in (result.error or "") or case == "hang")
    everything = result.model_dump_json() + caplog.text
    assert PASSWORD not in everything and wrong not in everything


def test_password_never_in_snapshot(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    result = collect(PostgresCollector(), [_pg("pg1", pg_pair[0].port)], tmp_path)["pg1"]
    assert result.status is HostStatus.OK
    assert PASSWORD not in json.dumps(result.model_dump(mode="json"))


def test_missing_grant_and_slow_query_say_what_to_do(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    primary = pg_pair[0]
    psql(primary, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nomon') THEN "
                  f"CREATE ROLE nomon LOGIN PASSWORD '{PASSWORD}'; END IF; END$$")  # fmt: skip
    hosts = [_pg("no-grant", primary.port, user="nomon"),
             _pg("slow", primary.port, timeout=1.0, patrol_backup_query="SELECT now() FROM pg_sleep(3)")]  # fmt: skip
    results = collect(PostgresCollector(), hosts, tmp_path)
    assert results["no-grant"].status is HostStatus.ERROR
    assert "GRANT pg_monitor TO nomon" in (results["no-grant"].error or "")
    assert results["slow"].status is HostStatus.TIMEOUT and "patrol_command_timeout" in (results["slow"].error or "")


def test_backup_query_gives_the_backup_age(pg_pair: tuple[Server, Server], tmp_path: Path) -> None:
    query = "SELECT now() - interval '30 hours'"
    result = collect(PostgresCollector(), [_pg("pg1", pg_pair[0].port, patrol_backup_query=query)], tmp_path)["pg1"]
    backup = result.snapshot.extra["db"]["backup"] if result.snapshot else {}
    assert backup["status"] == "stale" and 29.9 < backup["age_hours"] < 30.1
