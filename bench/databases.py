"""Benchmark: one collection of 50 database targets (PostgreSQL + MariaDB), wall and client CPU.

Starts (as root) a PostgreSQL and a MariaDB server in a temporary folder on free ports, creates
one database per PostgreSQL target and one schema per MariaDB target, then runs patrol's
``PostgresCollector`` and ``MysqlCollector`` on the targets (each a logical target with its own
``patrol_db_name``) in this process. The servers are separate processes, so *client CPU* is
patrol's own user+system time (``getrusage(RUSAGE_SELF)``, all threads) over the collection.

    .venv/bin/python bench/databases.py                      # 30 PostgreSQL + 20 MariaDB targets
    .venv/bin/python bench/databases.py --pg 50 --mysql 0 --forks 25
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from patrol.collect.base import CollectContext
from patrol.collect.mysql import MysqlCollector
from patrol.collect.postgres import PostgresCollector
from patrol.lab.db_servers import Server, missing, psql, start_mariadb, start_postgres
from patrol.models import Credentials, DeviceClass, Host, HostResult, HostStatus

PASSWORD = "Bench-Db-Pass1"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _host(name: str, platform: str, port: int, dbname: str) -> Host:
    return Host(name=name, address="127.0.0.1", port=port, device_class=DeviceClass.HOST, platform=platform,
                collector=platform, credentials=Credentials(username="patrol_ro", password=PASSWORD),
                vars={"patrol_db_name": dbname, "patrol_db_capacity_bytes": 10**10})  # fmt: skip


def _measure(label: str, collector: object, hosts: list[Host], forks: int) -> list[str]:
    if not hosts:
        return []
    results: list[HostResult] = []
    lock = threading.Lock()

    def emit(result: HostResult) -> None:
        with lock:
            results.append(result)

    ctx = CollectContext(run_id="bench", work_dir=Path(tempfile.gettempdir()), forks=forks)
    cpu, wall = _cpu(), time.perf_counter()
    collector.collect(hosts, ctx, emit)  # type: ignore[attr-defined]
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    ok = sum(1 for r in results if r.status is HostStatus.OK)
    errors = {r.error for r in results if r.status is not HostStatus.OK}
    line = f"| {label:<10} | {len(hosts):>7} | {ok:>3} | {wall:>6.2f} | {1000 * cpu / len(hosts):>20.1f} |"
    return [line, *(f"  error: {e}" for e in sorted(e or "" for e in errors))]


def _servers(root: Path, pg: int, mysql: int) -> tuple[Server | None, Server | None]:
    from tests.conftest import free_ports  # the same helper the tests use

    pg_port, my_port = free_ports(2)
    postgres = start_postgres(root / "pg", pg_port, PASSWORD, ("max_connections=200",)) if pg else None
    for i in range(pg if postgres else 0):
        if postgres:
            psql(postgres, f"CREATE DATABASE bench{i}")
    maria = start_mariadb(root / "maria", my_port, PASSWORD, max_connections=200) if mysql else None
    if maria:
        sql = "".join(f"CREATE DATABASE bench{i}; CREATE TABLE bench{i}.t (id INT PRIMARY KEY); "
                      f"GRANT SELECT ON bench{i}.* TO 'patrol_ro'@'127.0.0.1';" for i in range(mysql))  # fmt: skip
        subprocess.run(["mariadb", f"--socket={maria.extra['socket']}", "-uroot", "-e", sql], check=True, timeout=120)
    return postgres, maria


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", type=int, default=30)
    parser.add_argument("--mysql", type=int, default=20)
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args()
    reasons = [r for k, n in (("postgresql", args.pg), ("mariadb", args.mysql)) if n and (r := missing(k))]
    if reasons:
        print("skipped: " + "; ".join(reasons))
        return 0
    root = Path(tempfile.mkdtemp(prefix="patrol-bench-db-"))
    postgres = maria = None
    try:
        postgres, maria = _servers(root, args.pg, args.mysql)
        pg_hosts = (
            [_host(f"pg{i}", "postgresql", postgres.port, f"bench{i}") for i in range(args.pg)] if postgres else []
        )
        my_hosts = [_host(f"my{i}", "mysql", maria.port, f"bench{i}") for i in range(args.mysql)] if maria else []
        print("| collector  | targets |  ok | wall s | client CPU ms/target |")
        print("|------------|--------:|----:|-------:|---------------------:|")
        lines = _measure("postgresql", PostgresCollector(), pg_hosts, args.forks)
        lines += _measure("mysql", MysqlCollector(), my_hosts, args.forks)
        print("\n".join(lines))
        cpu, wall = _cpu(), time.perf_counter()
        both: list[HostResult] = []
        ctx = CollectContext(run_id="bench", work_dir=root, forks=args.forks)
        threads = [threading.Thread(target=c.collect, args=(h, ctx, both.append))
                   for c, h in ((PostgresCollector(), pg_hosts), (MysqlCollector(), my_hosts))]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        total = max(1, len(both))
        ok = sum(1 for r in both if r.status is HostStatus.OK)
        print(f"| one run    | {total:>7} | {ok:>3} | {wall:>6.2f} | {1000 * cpu / total:>20.1f} |")
    finally:
        for server in (postgres, maria):
            if server:
                server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
