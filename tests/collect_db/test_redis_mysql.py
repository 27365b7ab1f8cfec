"""The Redis and MySQL/MariaDB collectors against real servers (root only)."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import time
from pathlib import Path

import pytest

from patrol.collect.mysql import MysqlCollector
from patrol.collect.redis import RedisCollector, _command
from patrol.lab.db_servers import Server
from patrol.models import HostStatus
from tests.collect_db.conftest import PASSWORD, collect, service_host


def _fill(port: int, keys: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_command("AUTH", PASSWORD) + b"".join(_command("SET", f"k{i}", "x" * 1000) for i in range(keys)))
        stream = sock.makefile("rb")
        for _ in range(keys + 1):
            stream.readline()


def test_redis_memory_evictions_and_shape(redis_server: Server, tmp_path: Path) -> None:
    _fill(redis_server.port, 2000)
    host = service_host("redis1", "redis", "redis", redis_server.port, user=None, patrol_expect_replicas=1)
    result = collect(RedisCollector(), [host], tmp_path)["redis1"]
    assert result.status is HostStatus.OK, result.error
    snap = result.snapshot
    assert snap is not None and snap.facts.vendor == "Redis" and snap.facts.os_version
    state = snap.extra["redis"]
    assert state["role"] == "master" and state["replicas_missing"] == 1
    assert state["evicted_keys"] > 0 and state["memory_percent"] > 90 and state["rdb_last_bgsave_status"] == "ok"
    cache = next(r for r in snap.resources if r.kind == "cache")
    assert cache.capacity == 1024 * 1024 and cache.used_percent and cache.used_percent > 90
    assert "maxmemory_policy = allkeys-lru\n" in (snap.config or "")
    assert PASSWORD not in json.dumps(result.model_dump(mode="json"))


@pytest.mark.parametrize("case", ["auth", "down", "hang"])
def test_redis_failures(
    case: str, redis_server: Server, closed_port: int, silent_port: int, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    port = {"auth": redis_server.port, "down": closed_port, "hang": silent_port}[case]
    host = service_host("r-x", "redis", "redis", port, user=None, password=PASSWORD + "x", timeout=1.5)
    result = collect(RedisCollector(), [host], tmp_path)["r-x"]
    expected = {"auth": HostStatus.AUTH_FAILED, "down": HostStatus.UNREACHABLE, "hang": HostStatus.TIMEOUT}[case]
    assert result.status is expected, result.error
    assert f"127.0.0.1:{port}" in (result.error or "")
    assert PASSWORD not in result.model_dump_json() + caplog.text


def test_mariadb_shape_and_lock_wait(mariadb: Server, tmp_path: Path) -> None:
    sock = mariadb.extra["socket"]
    subprocess.run(["mariadb", f"--socket={sock}", "-uroot", "-e",
                    "CREATE TABLE IF NOT EXISTS app.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;"
                    "INSERT IGNORE INTO app.t VALUES (1, 0);"], check=True, timeout=60)  # fmt: skip
    lock = "BEGIN; UPDATE app.t SET v = v + 1 WHERE id = 1;"
    holder = subprocess.Popen(["mariadb", f"--socket={sock}", "-uroot", "-e", lock + " SELECT SLEEP(30);"])
    time.sleep(1.0)
    waiter = subprocess.Popen(["mariadb", f"--socket={sock}", "-uroot", "-e", lock], stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    try:
        host = service_host("maria", "mysql", "mysql", mariadb.port, patrol_db_settings=["max_connections", "log_bin"])
        result = collect(MysqlCollector(), [host], tmp_path)["maria"]
    finally:
        holder.kill()
        waiter.kill()
    assert result.status is HostStatus.OK, result.error
    snap = result.snapshot
    assert snap is not None and snap.facts.vendor == "MariaDB" and snap.facts.boot_time
    db = snap.extra["db"]
    assert db["role"] == "primary" and db["lock_waits"] >= 1 and db["longest_transaction_seconds"] >= 1
    assert db["max_connections"] == 20 and db["backup"]["status"] == "not_configured"
    assert snap.config == "log_bin = ON\nmax_connections = 20\n"
    assert any(r.kind == "database" and r.name == "app" for r in snap.resources)


@pytest.mark.parametrize("case", ["auth", "down", "hang"])
def test_mariadb_failures(case: str, mariadb: Server, closed_port: int, silent_port: int, tmp_path: Path) -> None:
    port = {"auth": mariadb.port, "down": closed_port, "hang": silent_port}[case]
    host = service_host("m-x", "mysql", "mysql", port, password=PASSWORD + "x", timeout=1.5)
    result = collect(MysqlCollector(), [host], tmp_path)["m-x"]
    expected = {"auth": HostStatus.AUTH_FAILED, "down": HostStatus.UNREACHABLE, "hang": HostStatus.TIMEOUT}[case]
    assert result.status is expected, result.error
    assert f"127.0.0.1:{port}" in (result.error or "") and PASSWORD not in result.model_dump_json()
