"""Real PostgreSQL (primary + replica), MariaDB and Redis servers for the service collectors' tests.

Started once per session on free loopback ports under a temporary folder (never the demo lab's
ports), as root only: each test module skips with the reason otherwise. The read-only login is
``patrol_ro`` with :data:`PASSWORD` — the canary the secret tests look for everywhere.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patrol.collect.base import CollectContext
from patrol.lab.db_servers import Server, missing, start_mariadb, start_postgres, start_redis, start_replica
from patrol.models import Credentials, DeviceClass, Host, HostResult
from tests.conftest import free_ports

PASSWORD = "Canary-Db-7f3a91"


def service_host(
    name: str,
    platform: str,
    collector: str,
    port: int,
    *,
    user: str | None = "patrol_ro",
    password: str | None = PASSWORD,
    timeout: float = 5.0,
    **variables: Any,
) -> Host:
    """A service target as the inventory would resolve it."""
    return Host(name=name, address="127.0.0.1", port=port, device_class=DeviceClass.HOST, platform=platform,
                collector=collector, connect_timeout=timeout, command_timeout=timeout,
                credentials=Credentials(username=user, password=password), vars=dict(variables))  # fmt: skip


def collect(collector: Any, hosts: list[Host], tmp_path: Path) -> dict[str, HostResult]:
    """Run ``collector`` on ``hosts``; the results by host name."""
    results: dict[str, HostResult] = {}
    lock = threading.Lock()

    def emit(result: HostResult) -> None:
        with lock:
            results[result.host] = result

    collector.collect(hosts, CollectContext(run_id="t", work_dir=tmp_path), emit)
    return results


@pytest.fixture(scope="session")
def db_root() -> Iterator[Path]:
    """A folder of its own: pytest's shared basetemp is pruned by concurrent pytest sessions."""
    folder = Path(tempfile.mkdtemp(prefix="patrol-dbservers-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _skip_unless(kind: str) -> None:
    reason = missing(kind)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_pair(db_root: Path) -> Iterator[tuple[Server, Server]]:
    """A primary whose archive_command fails and a streaming replica."""
    _skip_unless("postgresql")
    p1, p2 = free_ports(2)
    primary = start_postgres(db_root / "pg1", p1, PASSWORD, ("archive_mode=on", "archive_command=false"))
    try:
        replica = start_replica(primary, db_root / "pg2", p2, PASSWORD)
    except BaseException:
        primary.stop()
        raise
    yield primary, replica
    replica.stop()
    primary.stop()


@pytest.fixture(scope="session")
def mariadb(db_root: Path) -> Iterator[Server]:
    _skip_unless("mariadb")
    server = start_mariadb(db_root / "mariadb", free_ports(1)[0], PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(db_root: Path) -> Iterator[Server]:
    _skip_unless("redis")
    server = start_redis(db_root / "redis", free_ports(1)[0], PASSWORD,
                         ("maxmemory 1mb", "maxmemory-policy allkeys-lru", 'save ""'))  # fmt: skip
    yield server
    server.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP listener that accepts connections and never answers (a hung service)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    return free_ports(1)[0]
