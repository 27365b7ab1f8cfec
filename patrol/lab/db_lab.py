"""Lab databases and cache: real PostgreSQL (primary + streaming replica), MariaDB and Redis.

Started only as root (each runs as its Debian system user); otherwise every endpoint is skipped
with the reason. Data lives under ``state_dir/db/`` and is kept between ``lab up``\\ s (a second
start takes a second or two). Each has a seeded fault the demo run finds::

    pg1      tcp 127.0.0.1:15432  primary; archive_command fails (backup "never"), max_connections 20
                                  with 17 idle sessions held (connections >= 90 %), 2 replicas expected
                                  and 1 streams (replica missing)
    pg2      tcp 127.0.0.1:15433  streaming replica of pg1 (healthy)
    mariadb1 tcp 127.0.0.1:13306  a transaction waiting on a row lock held by another (lock wait)
    redis1   tcp 127.0.0.1:16379  maxmemory 2 MB, full, allkeys-lru evicting (memory, evictions)

Logins are the read-only ``patrol_ro`` (the same values as the vault-encrypted host_vars).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from patrol.lab.base import Endpoint
from patrol.lab.db_servers import Server, missing, start_mariadb, start_postgres, start_redis, start_replica

__all__ = ["PORTS", "DatabaseLab"]

log = logging.getLogger(__name__)

#: lab-only password of patrol_ro (and the replicator), as in inventory/lab/host_vars (vaulted)
_PASSWORD = "Lab-Db-Pass1"
PORTS = {"pg1": 15432, "pg2": 15433, "mariadb1": 13306, "redis1": 16379}
_PG_FAULTS = ("archive_mode=on", "archive_command=false", "archive_timeout=60", "max_connections=20",
              "superuser_reserved_connections=1")  # fmt: skip


class DatabaseLab:
    name = "databases"

    def __init__(self) -> None:
        self.servers: list[Server] = []
        self.holders: list[Any] = []

    def start(self, state_dir: Path) -> list[Endpoint]:
        root = state_dir / "db"
        endpoints = []
        for host, kind, starter in (("pg1", "postgresql", self._postgres), ("mariadb1", "mariadb", self._mariadb),
                                    ("redis1", "redis", self._redis)):  # fmt: skip
            reason = missing(kind)
            if reason is None:
                try:
                    starter(root)
                except Exception as exc:  # one server's failure leaves the rest of the lab up
                    log.exception("%s did not start", host)
                    reason = f"{kind} did not start: {exc}"
            endpoints.append(Endpoint(host, kind, "127.0.0.1", PORTS[host], skipped=reason))
            if host == "pg1":
                pg2 = reason or (None if len(self.servers) > 1 else "the replica did not start")
                endpoints.append(Endpoint("pg2", kind, "127.0.0.1", PORTS["pg2"], skipped=pg2))
        return endpoints

    def _postgres(self, root: Path) -> None:
        primary = start_postgres(root / "pg1", PORTS["pg1"], _PASSWORD, _PG_FAULTS)
        self.servers.append(primary)
        try:
            self.servers.append(start_replica(primary, root / "pg2", PORTS["pg2"], _PASSWORD))
        except Exception:
            log.exception("the pg2 replica did not start")
        self._hold_pg_sessions(17)

    def _hold_pg_sessions(self, count: int) -> None:
        import psycopg

        for _ in range(count):
            self.holders.append(psycopg.connect(host="127.0.0.1", port=PORTS["pg1"], user="patrol_ro",
                                                password=_PASSWORD, dbname="postgres", autocommit=True))  # fmt: skip

    def _mariadb(self, root: Path) -> None:
        server = start_mariadb(root / "mariadb1", PORTS["mariadb1"], _PASSWORD)
        self.servers.append(server)
        sock = server.extra["socket"]
        subprocess.run(["mariadb", f"--socket={sock}", "-uroot", "-e",
                        "CREATE TABLE IF NOT EXISTS app.orders (id INT PRIMARY KEY, qty INT) ENGINE=InnoDB;"
                        "INSERT IGNORE INTO app.orders VALUES (1, 1);"], check=True, timeout=60)  # fmt: skip
        holder = "SET SESSION innodb_lock_wait_timeout=86400; BEGIN; UPDATE app.orders SET qty = qty + 1 WHERE id = 1;"
        for script in (holder + " SELECT SLEEP(86400);", holder):
            time.sleep(1.0)  # the first session takes the row lock before the second asks for it
            self.holders.append(subprocess.Popen(["mariadb", f"--socket={sock}", "-uroot", "-e", script],
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip

    def _redis(self, root: Path) -> None:
        server = start_redis(root / "redis1", PORTS["redis1"], _PASSWORD,
                             ("maxmemory 2mb", "maxmemory-policy allkeys-lru", 'save ""'))  # fmt: skip
        self.servers.append(server)
        with socket.create_connection(("127.0.0.1", PORTS["redis1"]), timeout=10) as sock:
            payload = b"AUTH %s\r\n" % _PASSWORD.encode()
            payload += b"".join(b"SET lab:key:%d %s\r\n" % (i, b"x" * 1000) for i in range(3000))
            sock.sendall(payload)
            stream = sock.makefile("rb")
            for _ in range(3001):
                stream.readline()

    def stop(self) -> None:
        for holder in self.holders:
            try:
                holder.kill() if isinstance(holder, subprocess.Popen) else holder.close()
            except Exception:
                log.debug("closing a lab session failed", exc_info=True)
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        self.holders.clear()
