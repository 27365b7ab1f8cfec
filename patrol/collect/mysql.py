"""MySQL / MariaDB collection with PyMySQL (pure Python), as a read-only login.

Grants the login needs::

    CREATE USER 'patrol_ro'@'<patrol host>' IDENTIFIED BY '...';
    GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'patrol_ro'@'<patrol host>';   -- MySQL
    GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'patrol_ro'@'<patrol host>';  -- MariaDB 10.5+
    GRANT SELECT ON performance_schema.* TO 'patrol_ro'@'<patrol host>';
    -- sizes of every schema: information_schema.TABLES lists only tables the login may see;
    -- add SELECT ON <schema>.* (or *.*) for the schemas whose size must be tracked

Snapshot: like :mod:`patrol.collect.postgres` (``platform: mysql``; ``extra.db`` with up, role
``primary``/``replica``, connections / max_connections, replicas_connected (binlog dump threads),
replicas_missing, lag_seconds (``Seconds_Behind_Master``), replica_io_running / replica_sql_running,
longest_transaction_seconds, lock_waits (InnoDB LOCK WAIT), backup; ``resources`` of kind
``database`` per schema; ``config`` = important ``SHOW GLOBAL VARIABLES``). Backup age:
``patrol_backup_query`` (a timestamp, e.g. ``SELECT max(end_time) FROM ops.backups``), else the
newest binary log's modification is not visible over SQL, so the status is ``not_configured``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from patrol.collect.base import CollectContext, Emit
from patrol.collect.service import (
    ServicePlatform,
    backup_state,
    boot_time,
    collect_all,
    endpoint,
    login,
    number,
    settings_text,
    transport_error,
)
from patrol.errors import AuthError, CollectError
from patrol.models import Facts, Host, Resource, Snapshot, utcnow

__all__ = ["MYSQL_PLATFORM", "SETTINGS", "MysqlCollector", "collect_mysql"]

MYSQL_PLATFORM = ServicePlatform("mysql", "mysql")
SETTINGS = (
    "binlog_format", "character_set_server", "expire_logs_days", "binlog_expire_logs_seconds", "gtid_mode",
    "innodb_buffer_pool_size", "innodb_flush_log_at_trx_commit", "log_bin", "max_connections", "read_only",
    "server_id", "sql_mode", "sync_binlog", "max_allowed_packet", "wait_timeout", "require_secure_transport",
)  # fmt: skip
_SYSTEM_SCHEMAS = ("information_schema", "performance_schema", "mysql", "sys")
_SIZES = ("SELECT table_schema, SUM(data_length + index_length) FROM information_schema.TABLES "
          "WHERE table_schema NOT IN %s GROUP BY table_schema")  # fmt: skip
_TRX = ("SELECT COALESCE(MAX(TIMESTAMPDIFF(SECOND, trx_started, NOW())), 0), "
        "COALESCE(SUM(trx_state = 'LOCK WAIT'), 0) FROM information_schema.INNODB_TRX")  # fmt: skip


def _connect(host: Host) -> Any:
    import pymysql  # type: ignore[import-untyped]  # imported only when MySQL targets exist

    address, port = endpoint(host, 3306)
    user, password = login(host)
    where = f"{address}:{port}"
    try:
        return pymysql.connect(host=address, port=port, user=user or "", password=password or "",
                               connect_timeout=host.connect_timeout, read_timeout=host.command_timeout,
                               write_timeout=host.command_timeout, autocommit=True)  # fmt: skip
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args else 0
        if code in (1044, 1045, 1698):
            raise AuthError(host.name, f"MySQL at {where} refused the login of {user!r} — check patrol_db_user / "
                            "patrol_db_password (vault) and the user's host part") from None  # fmt: skip
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError) or code == 2003:
            raise transport_error(host, where, cause if isinstance(cause, OSError) else exc, "MySQL") from None
        raise CollectError(host.name, f"MySQL at {where}: error {code}") from None
    except OSError as exc:
        raise transport_error(host, where, exc, "MySQL") from None


def _pairs(cur: Any, sql: str) -> dict[str, str]:
    cur.execute(sql)
    return {str(k).lower(): str(v) for k, v in cur.fetchall()}


def _replica_status(cur: Any) -> dict[str, Any] | None:
    import pymysql

    try:
        cur.execute("SHOW SLAVE STATUS")
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] == 1227:  # no SLAVE MONITOR / REPLICATION CLIENT: say so, keep going
            return {"replication_visible": False}
        raise
    row = cur.fetchone()
    if not row:
        return None
    names = [d[0] for d in cur.description]
    status = dict(zip(names, row, strict=False))
    lag = status.get("Seconds_Behind_Master")
    return {"lag_seconds": None if lag is None else float(lag),
            "replica_io_running": status.get("Slave_IO_Running"),
            "replica_sql_running": status.get("Slave_SQL_Running")}  # fmt: skip


def _replication(cur: Any, host: Host) -> dict[str, Any]:
    replica = _replica_status(cur)
    if replica is not None and replica.get("replication_visible") is False:
        return {"role": None, "replication_visible": False, "replicas_missing": None, "lag_seconds": None}
    if replica is not None:
        return {"role": "replica", "replicas_connected": 0, "replicas_expected": 0, "replicas_missing": 0, **replica}
    cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%%'")
    connected = int(cur.fetchone()[0])
    flag = host.vars.get("patrol_expect_replica")
    expected = int(number(host, "patrol_expect_replicas", 1 if flag is True or str(flag).lower() == "true" else 0))
    return {"role": "primary", "replicas_connected": connected, "replicas_expected": expected,
            "replicas_missing": max(0, expected - connected), "lag_seconds": None}  # fmt: skip


def _backup(cur: Any, host: Host, now: datetime) -> dict[str, Any]:
    query = host.vars.get("patrol_backup_query")
    if not query:
        return backup_state(None, False, host, now)
    cur.execute(str(query))
    row = cur.fetchone()
    last = row[0] if row else None
    if isinstance(last, datetime) and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return backup_state(last if isinstance(last, datetime) else None, True, host, now)


def collect_mysql(host: Host) -> Snapshot:
    """One MySQL/MariaDB target's snapshot (see the module docstring); raises CollectError on failure."""
    import pymysql

    address, port = endpoint(host, 3306)
    try:
        return _snapshot(host)
    except (pymysql.err.OperationalError, pymysql.err.ProgrammingError, pymysql.err.InternalError) as exc:
        code = exc.args[0] if exc.args else 0
        if code in (1142, 1227, 1044):
            raise CollectError(
                host.name,
                f"MySQL at {address}:{port}: the login lacks a privilege (error {code}) — "
                "GRANT PROCESS, REPLICATION CLIENT (MariaDB: BINLOG MONITOR, SLAVE MONITOR)",
            ) from None
        if code in (2013, 2006):
            raise transport_error(host, f"{address}:{port}", TimeoutError(), "MySQL") from None
        raise CollectError(host.name, f"MySQL at {address}:{port}: error {code}: {exc.args[-1]}") from None


def _snapshot(host: Host) -> Snapshot:
    now = utcnow()
    wanted = [str(s).lower() for s in host.vars.get("patrol_db_settings") or SETTINGS]
    cap = float(host.vars["patrol_db_capacity_bytes"]) if host.vars.get("patrol_db_capacity_bytes") else None
    with _connect(host) as conn, conn.cursor() as cur:
        variables = _pairs(cur, "SHOW GLOBAL VARIABLES")
        status = _pairs(cur, "SHOW GLOBAL STATUS")
        cur.execute(_TRX)
        longest, lock_waits = cur.fetchone()
        db: dict[str, Any] = {"up": True, **_replication(cur, host), "backup": _backup(cur, host, now)}
        cur.execute(_SIZES, (_SYSTEM_SCHEMAS,))
        sizes = [(str(n), float(s or 0)) for n, s in cur.fetchall()]
    connections, maximum = int(status.get("threads_connected", 0)), int(variables.get("max_connections", 0)) or 1
    db |= {"connections": connections, "max_connections": maximum,
           "connections_percent": round(100.0 * connections / maximum, 2),
           "longest_transaction_seconds": float(longest or 0), "lock_waits": int(lock_waits or 0)}  # fmt: skip
    resources = [Resource(kind="database", name=n, used=s, capacity=cap) for n, s in sizes]
    resources.append(Resource(kind="connections", name="connections", used=connections, capacity=maximum, unit="count"))
    version = variables.get("version", "")
    return Snapshot(
        host=host.name, device_class=host.device_class, platform=MYSQL_PLATFORM.name, collected_at=now,
        facts=Facts(hostname=host.name, vendor="MariaDB" if "mariadb" in version.lower() else "MySQL",
                    os_version=version.split("-")[0] or None,
                    boot_time=boot_time(float(status.get("uptime", 0)) or None, now)),
        resources=resources, config=settings_text({k: variables[k] for k in wanted if k in variables}),
        extra={"db": db},
    )  # fmt: skip


class MysqlCollector:
    """Collects MySQL / MariaDB targets concurrently; see the module docstring for the shape."""

    name: ClassVar[str] = "mysql"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        collect_all(self.name, hosts, ctx, emit, collect_mysql)
