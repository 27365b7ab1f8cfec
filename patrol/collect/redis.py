"""Redis collection: ``INFO`` over the RESP protocol on a plain socket (no client library).

The login needs only ``INFO`` (Redis 6+ ACL: ``user patrol on >PASSWORD +info +ping``); with a
password only (``requirepass``) leave ``patrol_db_user`` unset. Snapshot (abridged)::

    {"platform": "redis", "facts": {"vendor": "Redis", "os_version": "7.0.15", "boot_time": "..."},
     "resources": [{"kind": "cache", "name": "maxmemory", "used": 1.9e6, "capacity": 2.0e6},
                   {"kind": "connections", "name": "clients", "used": 3, "capacity": 10000, "unit": "count"}],
     "config": "maxmemory = 2097152\\nmaxmemory_policy = allkeys-lru\\n...",
     "extra": {"redis": {"role": "master", "connected_replicas": 0, "replicas_expected": 0,
                         "replicas_missing": 0, "master_link_status": null, "memory_percent": 95.0,
                         "evicted_keys": 1200, "rdb_last_bgsave_status": "ok",
                         "persistence_age_hours": 0.2, "aof_enabled": false,
                         "changes_since_last_save": 4000}}}

``memory_percent`` is null when ``maxmemory`` is 0 (unbounded).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any, ClassVar

from patrol.collect.base import CollectContext, Emit
from patrol.collect.service import (
    ServicePlatform,
    boot_time,
    collect_all,
    endpoint,
    login,
    number,
    settings_text,
    transport_error,
)
from patrol.errors import AuthError, CollectError, ParseError
from patrol.models import Facts, Host, Resource, Snapshot, utcnow

__all__ = ["REDIS_PLATFORM", "RedisCollector", "collect_redis", "parse_info"]

REDIS_PLATFORM = ServicePlatform("redis", "redis")
#: INFO fields kept as the snapshot's config (drift-tracked)
SETTINGS = ("maxmemory", "maxmemory_policy", "aof_enabled", "maxclients", "redis_mode")


def _command(*args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _reply(stream: Any) -> Any:
    """One RESP reply from a socket file; errors come back as :class:`_RedisError`."""
    line = stream.readline()
    if not line:
        raise ConnectionResetError("connection closed by the server")
    kind, body = line[:1], line[1:].rstrip(b"\r\n")
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        return _RedisError(body.decode(errors="replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        size = int(body)
        return None if size < 0 else stream.read(size + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        return [_reply(stream) for _ in range(max(0, int(body)))]
    raise ValueError(f"unexpected RESP reply {line[:40]!r}")


class _RedisError(str):
    pass


def parse_info(text: str) -> dict[str, str]:
    """``INFO`` text -> ``{field: value}`` (section headers and blank lines skipped)."""
    info: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
    return info


def _info(host: Host) -> dict[str, str]:
    address, port = endpoint(host, 6379)
    where = f"{address}:{port}"
    user, password = login(host)
    try:
        with socket.create_connection((address, port), timeout=host.connect_timeout) as sock:
            sock.settimeout(host.command_timeout)
            stream = sock.makefile("rb")
            if password:
                sock.sendall(_command("AUTH", *([user] if user else []), password))
                answer = _reply(stream)
                if isinstance(answer, _RedisError):
                    raise AuthError(host.name, f"Redis at {where} refused the login ({answer.split()[0]}) — "
                                    "check patrol_db_password (vault) and the ACL user's +info permission")  # fmt: skip
            sock.sendall(_command("INFO", "everything"))
            reply = _reply(stream)
    except CollectError:
        raise
    except (OSError, ValueError) as exc:
        raise transport_error(host, where, exc, "Redis") from None
    if isinstance(reply, _RedisError):
        if reply.startswith(("NOAUTH", "NOPERM", "WRONGPASS")):
            raise AuthError(host.name, f"Redis at {where} refused INFO ({reply.split()[0]}) — set patrol_db_password "
                            "(vault) and allow +info for the login")  # fmt: skip
        raise CollectError(host.name, f"Redis at {where}: {reply}")
    if not isinstance(reply, str):
        raise ParseError(host.name, f"Redis at {where} answered INFO with {type(reply).__name__}")
    return parse_info(reply)


def _int(info: dict[str, str], key: str) -> int | None:
    try:
        return int(float(info[key]))
    except (KeyError, ValueError):
        return None


def _state(host: Host, info: dict[str, str], now_ts: float) -> dict[str, Any]:
    used, limit = _int(info, "used_memory") or 0, _int(info, "maxmemory") or 0
    connected = _int(info, "connected_slaves") or 0
    expected = int(number(host, "patrol_expect_replicas", 1 if host.vars.get("patrol_expect_replica") else 0))
    last_save = _int(info, "rdb_last_save_time")
    return {
        "role": info.get("role"), "connected_replicas": connected, "replicas_expected": expected,
        "replicas_missing": max(0, expected - connected) if info.get("role") == "master" else 0,
        "master_link_status": info.get("master_link_status"),
        "master_last_io_seconds_ago": _int(info, "master_last_io_seconds_ago"),
        "memory_used": used, "maxmemory": limit,
        "memory_percent": round(100.0 * used / limit, 2) if limit else None,
        "evicted_keys": _int(info, "evicted_keys"), "rejected_connections": _int(info, "rejected_connections"),
        "rdb_last_bgsave_status": info.get("rdb_last_bgsave_status"),
        "changes_since_last_save": _int(info, "rdb_changes_since_last_save"),
        "persistence_age_hours": None if last_save is None else round((now_ts - last_save) / 3600, 2),
        "aof_enabled": info.get("aof_enabled") == "1", "aof_last_write_status": info.get("aof_last_write_status"),
    }  # fmt: skip


def collect_redis(host: Host) -> Snapshot:
    """One Redis target's snapshot (see the module docstring); raises CollectError on failure."""
    now = utcnow()
    info = _info(host)
    state = _state(host, info, now.timestamp())
    resources = [Resource(kind="connections", name="clients", used=_int(info, "connected_clients"),
                          capacity=_int(info, "maxclients"), unit="count")]  # fmt: skip
    if state["maxmemory"]:
        resources.insert(0, Resource(kind="cache", name="maxmemory", used=state["memory_used"],
                                     capacity=state["maxmemory"]))  # fmt: skip
    return Snapshot(
        host=host.name, device_class=host.device_class, platform=REDIS_PLATFORM.name, collected_at=now,
        facts=Facts(hostname=host.name, vendor="Redis", os_version=info.get("redis_version"),
                    boot_time=boot_time(_int(info, "uptime_in_seconds"), now)),
        resources=resources, config=settings_text({k: info[k] for k in SETTINGS if k in info}),
        extra={"redis": state},
    )  # fmt: skip


class RedisCollector:
    """Collects Redis targets concurrently; see the module docstring for the shape."""

    name: ClassVar[str] = "redis"

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None:
        collect_all(self.name, hosts, ctx, emit, collect_redis)
