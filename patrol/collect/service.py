"""What the service collectors (databases, Redis, HTTP metrics endpoints) share.

A service target is one inventory host whose ``patrol_platform`` names the kind of service
(``postgresql``, ``mysql``, ``redis``, ``prometheus``, ``http_json``, ``nginx``). Its address is
``ansible_host``, its port ``patrol_db_port`` (else ``ansible_port``, else the service's default),
its login ``patrol_db_user`` / ``patrol_db_password`` (vault; ``ansible_user`` /
``ansible_password`` are read when those are absent).

Every target of a batch runs in a thread pool of ``ctx.forks`` workers; each target's failure
is data (:func:`~patrol.collect.base.failure_result`): a refused login is ``auth_failed``, a
closed port or unknown name ``unreachable``, a peer that accepts and never answers ``timeout``
— each message names the target's address and what to check. Passwords never reach a message.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from patrol.collect.base import CollectContext, Emit, failure_result
from patrol.errors import CollectError, CollectTimeout, UnreachableError
from patrol.models import DeviceClass, Host, HostResult, HostStatus, Snapshot, utcnow
from patrol.sanitize import register_secrets

__all__ = [
    "ServicePlatform",
    "boot_time",
    "collect_all",
    "endpoint",
    "login",
    "number",
    "settings_text",
    "transport_error",
]

log = logging.getLogger(__name__)

#: one target -> its snapshot (raises CollectError on a per-target failure)
CollectOne = Callable[[Host], Snapshot]


@dataclass(frozen=True)
class ServicePlatform:
    """A service platform: which collector serves it; device class ``host`` unless the inventory says."""

    name: str
    collector: str
    default_device_class: DeviceClass | None = DeviceClass.HOST


def endpoint(host: Host, default_port: int) -> tuple[str, int]:
    """``(address, port)`` of ``host``: ``patrol_db_port`` / ``patrol_port``, else the port, else the default."""
    port = host.vars.get("patrol_db_port") or host.vars.get("patrol_port") or host.port or default_port
    return host.address, int(port)


def login(host: Host) -> tuple[str | None, str | None]:
    """The read-only login of ``host``: user and password (the password is masked everywhere)."""
    cred = host.credentials
    password = cred.password.get_secret_value() if cred.password else None
    if password:
        register_secrets([password])
    return cred.username, password


def number(host: Host, key: str, default: float) -> float:
    """A numeric inventory variable of ``host`` (``default`` when absent or not a number)."""
    value = host.vars.get(key)
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def boot_time(uptime_seconds: float | None, now: datetime) -> datetime | None:
    """Uptime as a start time rounded to the minute (stable between runs)."""
    if uptime_seconds is None:
        return None
    start = now - timedelta(seconds=float(uptime_seconds))
    return (start + timedelta(seconds=30)).replace(second=0, microsecond=0)


def settings_text(settings: dict[str, Any]) -> str:
    """Important server settings as ``name = value`` lines (sorted): the snapshot's config."""
    return "".join(f"{name} = {settings[name]}\n" for name in sorted(settings))


def transport_error(host: Host, where: str, exc: BaseException, what: str) -> CollectError:
    """A socket-level failure as the target's status: timeout, unreachable, or error."""
    text = str(exc).lower()
    if isinstance(exc, TimeoutError | socket.timeout) or "timeout" in text or "timed out" in text:
        return CollectTimeout(
            host.name,
            f"{what} at {where} did not answer within {host.connect_timeout:g}s — "
            "check that the service is healthy and not overloaded, and the firewall",
        )
    if isinstance(exc, ConnectionRefusedError | socket.gaierror) or "refused" in text or "resolve" in text:
        return UnreachableError(
            host.name,
            f"{what} at {where} is unreachable ({type(exc).__name__}) — check that it runs and listens "
            "on that address and port (patrol_db_port)",
        )
    return CollectError(host.name, f"{what} at {where} failed: {type(exc).__name__}: {exc}")


def collect_all(name: str, hosts: Sequence[Host], ctx: CollectContext, emit: Emit, one: CollectOne) -> None:
    """Collect every target concurrently (``ctx.forks`` at most); one result each, failures as data."""
    if not hosts:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(ctx.forks, len(hosts))), thread_name_prefix=name) as pool:
        for host in hosts:
            pool.submit(_one, name, host, ctx, emit, one)


def _one(name: str, host: Host, ctx: CollectContext, emit: Emit, one: CollectOne) -> None:
    started = utcnow()
    if ctx.cancel.is_set():
        emit(HostResult(host=host.name, status=HostStatus.ABORTED, collector=name,
                        error="run cancelled before the host was collected", started_at=started,
                        finished_at=utcnow()))  # fmt: skip
        return
    try:
        snapshot = one(host)
    except Exception as exc:  # one target's failure is data, never the batch's end
        log.info("%s %s: %s", name, host.name, type(exc).__name__)
        emit(failure_result(host, name, exc, started))
        return
    emit(HostResult(host=host.name, status=HostStatus.OK, collector=name, snapshot=snapshot,
                    started_at=started, finished_at=utcnow()))  # fmt: skip


def backup_state(last_ok: datetime | None, configured: bool, host: Host, now: datetime) -> dict[str, Any]:
    """``{"status": ok|stale|never|not_configured, "last_ok": iso, "age_hours": h, "max_age_hours": m}``.

    ``patrol_backup_max_age_hours`` (default 26: a daily backup plus slack) is the age at which
    the last successful backup/archive is ``stale``.
    """
    max_age = number(host, "patrol_backup_max_age_hours", 26.0)
    if last_ok is None:
        status = "never" if configured else "not_configured"
        return {"status": status, "last_ok": None, "age_hours": None, "max_age_hours": max_age}
    age = round((now - last_ok).total_seconds() / 3600, 2)
    return {"status": "ok" if age <= max_age else "stale", "last_ok": last_ok.isoformat(),
            "age_hours": age, "max_age_hours": max_age}  # fmt: skip
