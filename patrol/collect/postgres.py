"""PostgreSQL collection with psycopg 3, as a read-only role, over one short session per target.

Grants the login needs (nothing more)::

    CREATE ROLE patrol LOGIN PASSWORD '...';  GRANT pg_monitor TO patrol;

The session is read-only (``default_transaction_read_only``) with a ``statement_timeout`` of the
host's ``patrol_command_timeout``. Snapshot (``model_dump(mode="json")``, abridged)::

    {"host": "pg1", "device_class": "host", "platform": "postgresql",
     "facts": {"hostname": "pg1", "vendor": "PostgreSQL", "os_version": "15.14",
               "boot_time": "2026-12-01T02:00:00Z"},
     "resources": [{"kind": "database", "name": "app", "used": 8.1e6, "capacity": 1.0e10},
                   {"kind": "tablespace", "name": "pg_default", "used": 3.1e7, "capacity": 1.0e10},
                   {"kind": "connections", "name": "connections", "used": 12, "capacity": 100,
                    "unit": "count", "used_percent": 12.0}],
     "config": "archive_mode = on\\nmax_connections = 100\\n...",
     "extra": {"db": {"up": true, "role": "primary", "connections": 12, "max_connections": 100,
                      "connections_percent": 12.0, "replicas": [{"name": "walreceiver",
                      "state": "streaming", "lag_seconds": 0.0}], "replicas_connected": 1,
                      "replicas_expected": 1, "replicas_missing": 0, "lag_seconds": null,
                      "longest_transaction_seconds": 3.2, "lock_waits": 0,
                      "backup": {"status": "ok", "last_ok": "...", "age_hours": 1.5,
                                 "max_age_hours": 26}}}}

Capacity: a database's ``capacity`` is ``patrol_db_capacity_bytes`` (the data volume or the
agreed budget) when set, so ``patrol forecast --metric database`` can say when it fills.
Backup age: ``pg_stat_archiver.last_archived_time`` when ``archive_mode`` is on, or the
timestamp returned by ``patrol_backup_query`` (e.g. ``SELECT max(finished) FROM ops.backups``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from patrol.errors import AuthError, CollectError, CollectTimeout
from patrol.models import Facts, Host, Resource, Snapshot, utcnow

__all__ = ["POSTGRESQL_PLATFORM", "SETTINGS", "PostgresCollector", "collect_postgres"]

POSTGRESQL_PLATFORM = ServicePlatform("postgresql", "postgresql")

#: server settings kept as the snapshot's config (baselined, drift-tracked); ``patrol_db_settings``
#: (a list of names) replaces it for a host
SETTINGS = (
    "archive_command", "archive_mode", "autovacuum", "checkpoint_timeout", "data_checksums",
    "effective_cache_size", "fsync", "full_page_writes", "hot_standby", "listen_addresses",
    "log_min_duration_statement", "maintenance_work_mem",
    "max_connections", "max_replication_slots", "max_wal_senders", "max_wal_size", "password_encryption",
    "shared_buffers", "ssl", "superuser_reserved_connections", "synchronous_commit", "synchronous_standby_names",
    "wal_level", "work_mem",
)  # fmt: skip

_ACTIVITY = """SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
  coalesce(max(extract(epoch FROM now() - xact_start)) FILTER (WHERE state <> 'idle'), 0),
  count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity"""
_REPLICAS = """SELECT coalesce(application_name, ''), coalesce(client_addr::text, 'local'), state,
  extract(epoch FROM replay_lag) FROM pg_stat_replication"""
_LAG = """SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1)"""
_DATABASES = "SELECT datname, pg_database_size(datname) FROM pg_database WHERE datallowconn AND NOT datistemplate"
_TABLESPACES = "SELECT spcname, pg_tablespace_size(oid) FROM pg_tablespace"
_ARCHIVER = "SELECT last_archived_time, failed_count FROM pg_stat_archiver"


def _connect(host: Host) -> Any:
    import psycopg  # imported only when PostgreSQL targets exist

    address, port = endpoint(host, 5432)
    user, password = login(host)
    timeout_ms = int(host.command_timeout * 1000)
    where = f"{address}:{port}"
    try:
        return psycopg.connect(
            host=address, port=port, user=user, password=password, autocommit=True,
            dbname=str(host.vars.get("patrol_db_name") or "postgres"),
            connect_timeout=max(1, int(host.connect_timeout)), application_name="patrol",
            options=f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on",
        )  # fmt: skip
    except psycopg.OperationalError as exc:
        raise _login_error(host, where, exc) from None


def _login_error(host: Host, where: str, exc: Exception) -> CollectError:
    text = str(exc)
    if "database" in text and "does not exist" in text:
        return CollectError(host.name, f"PostgreSQL at {where}: the database to connect to does not exist — "
                            "set patrol_db_name (default postgres)")  # fmt: skip
    if "password authentication failed" in text or "no pg_hba.conf entry" in text or "does not exist" in text:
        return AuthError(
            host.name,
            f"PostgreSQL at {where} refused the login of {host.credentials.username!r} — check patrol_db_user / "
            "patrol_db_password (vault) and pg_hba.conf; the role needs LOGIN and pg_monitor",
        )
    if "timeout expired" in text:
        return transport_error(host, where, TimeoutError(), "PostgreSQL")
    if "Connection refused" in text or "could not translate host name" in text:
        return transport_error(host, where, ConnectionRefusedError(), "PostgreSQL")
    return CollectError(host.name, f"PostgreSQL at {where}: {text.strip().splitlines()[-1] if text else exc}")


def _rows(cur: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    cur.execute(sql, params or None)
    return list(cur.fetchall())


def _replication(cur: Any, host: Host, in_recovery: bool) -> dict[str, Any]:
    expected = _expected_replicas(host)
    if in_recovery:
        lag, receiver = _rows(cur, _LAG)[0]
        return {"role": "replica", "lag_seconds": None if lag is None else round(float(lag), 2),
                "wal_receiver": receiver, "replicas": [], "replicas_connected": 0,
                "replicas_expected": 0, "replicas_missing": 0}  # fmt: skip
    replicas = [{"name": name, "address": addr, "state": state, "lag_seconds": None if lag is None else float(lag)}
                for name, addr, state, lag in _rows(cur, _REPLICAS)]  # fmt: skip
    streaming = sum(1 for r in replicas if r["state"] == "streaming")
    return {"role": "primary", "lag_seconds": None, "wal_receiver": None, "replicas": replicas,
            "replicas_connected": streaming, "replicas_expected": expected,
            "replicas_missing": max(0, expected - streaming)}  # fmt: skip


def _expected_replicas(host: Host) -> int:
    flag = host.vars.get("patrol_expect_replica")
    if flag is True or str(flag).lower() in ("true", "yes"):
        return max(1, int(number(host, "patrol_expect_replicas", 1)))
    return int(number(host, "patrol_expect_replicas", 0))


def _backup(cur: Any, host: Host, settings: dict[str, str], now: datetime) -> dict[str, Any]:
    query = host.vars.get("patrol_backup_query")
    if query:
        rows = _rows(cur, str(query))
        last = rows[0][0] if rows and rows[0] else None
        return backup_state(last if isinstance(last, datetime) else None, True, host, now)
    archived, failed = _rows(cur, _ARCHIVER)[0]
    archiving = str(_rows(cur, "SHOW archive_mode")[0][0]) in ("on", "always")
    state = backup_state(archived, archiving, host, now)
    state["archive_failed_count"] = int(failed or 0)
    return state


def _resources(cur: Any, host: Host, connections: int, max_connections: int) -> list[Resource]:
    capacity = host.vars.get("patrol_db_capacity_bytes")
    cap = float(capacity) if capacity else None
    resources = [Resource(kind="database", name=str(n), used=float(s), capacity=cap) for n, s in _rows(cur, _DATABASES)]
    resources += [Resource(kind="tablespace", name=str(n), used=float(s), capacity=cap)
                  for n, s in _rows(cur, _TABLESPACES)]  # fmt: skip
    resources.append(Resource(kind="connections", name="connections", used=connections, capacity=max_connections,
                              unit="count"))  # fmt: skip
    return resources


def collect_postgres(host: Host) -> Snapshot:
    """One PostgreSQL target's snapshot (see the module docstring); raises CollectError on failure."""
    import psycopg

    address, port = endpoint(host, 5432)
    try:
        return _snapshot(host)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CollectError(
            host.name,
            f"PostgreSQL at {address}:{port}: the login lacks a privilege "
            f"({exc.diag.message_primary}) — GRANT pg_monitor TO {host.credentials.username}",
        ) from None
    except psycopg.errors.QueryCanceled:
        raise CollectTimeout(
            host.name,
            f"PostgreSQL at {address}:{port}: a monitoring query ran longer than "
            f"{host.command_timeout:g}s (patrol_command_timeout) — the server is overloaded",
        ) from None
    except psycopg.OperationalError as exc:
        raise transport_error(host, f"{address}:{port}", exc, "PostgreSQL") from None


def _snapshot(host: Host) -> Snapshot:
    now = utcnow()
    wanted = host.vars.get("patrol_db_settings") or SETTINGS
    with _connect(host) as conn, conn.cursor() as cur:
        version, started, in_recovery = _rows(
            cur, "SELECT current_setting('server_version'), pg_postmaster_start_time(), pg_is_in_recovery()"
        )[0]
        settings = {
            str(n): str(v)
            for n, v in _rows(
                cur, "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", list(wanted)
            )
        }
        connections, longest, lock_waits = _rows(cur, _ACTIVITY)[0]
        max_connections = int(settings.get("max_connections") or _rows(cur, "SHOW max_connections")[0][0])
        db: dict[str, Any] = {"up": True, "connections": int(connections), "max_connections": max_connections,
                              "connections_percent": round(100.0 * int(connections) / max_connections, 2),
                              "longest_transaction_seconds": round(float(longest), 2),
                              "lock_waits": int(lock_waits)}  # fmt: skip
        db |= _replication(cur, host, bool(in_recovery))
        db["backup"] = _backup(cur, host, settings, now)
        resources = _resources(cur, host, int(connections), max_connections)
    return Snapshot(
        host=host.name, device_class=host.device_class, platform=POSTGRESQL_PLATFORM.name, collected_at=now,
        facts=Facts(hostname=host.name, vendor="PostgreSQL", os_version=str(version).split()[0],
                    boot_time=boot_time((now - started).total_seconds(), now)),
        resources=resources, config=settings_text(settings), extra={"db": db},
    )  # fmt: skip


class PostgresCollector:
    """Collects PostgreSQL targets concurrently; see the module docstring for the shape."""

    name: ClassVar[str] = "postgresql"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        collect_all(self.name, hosts, ctx, emit, collect_postgres)
