"""The collector contract.

A *platform* (entry-point group ``patrol.platforms``) names the collector that serves it and
the default device class. A *collector* (group ``patrol.collectors``) takes a batch of hosts
and emits one :class:`~patrol.models.HostResult` per host, as each finishes, from any thread.
Collectors are stateless between runs: everything they need is in the hosts and the context,
so a run can be sharded across execution nodes and the results merged.

Failures are data: a collector never lets one host's exception escape; it emits a result with
status ``unreachable`` / ``auth_failed`` / ``timeout`` / ``parse_error`` / ``host_key_changed`` /
``host_key_unknown`` / ``error`` instead. Every SSH collector checks the host key against
``known_hosts`` / ``user_known_hosts`` before sending a credential (:mod:`patrol.collect.hostkeys`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from patrol.errors import CollectError
from patrol.models import DeviceClass, Host, HostResult, HostStatus, utcnow

__all__ = ["CollectContext", "Collector", "Emit", "Platform", "failure_result"]

Emit = Callable[[HostResult], None]


@dataclass(frozen=True)
class CollectContext:
    """Run-wide inputs of a collection. ``cancel`` is set on Ctrl-C / SIGTERM: start no new host."""

    run_id: str
    work_dir: Path
    inventory_sources: tuple[str, ...] = ()
    vault_password_file: str | None = None
    forks: int = 50
    cancel: threading.Event = field(default_factory=threading.Event)
    #: patrol's SSH known_hosts (keys learned on first contact are appended); None: learned keys
    #: are kept for this collection only. ``user_known_hosts`` is only read.
    known_hosts: Path | None = None
    user_known_hosts: Path | None = None


@runtime_checkable
class Platform(Protocol):
    """A platform driver: which collector serves it and what device class it is by default."""

    name: str
    collector: str
    default_device_class: DeviceClass | None


class Collector(Protocol):
    """Collects a batch of hosts, emitting one result per host (thread-safe ``emit``)."""

    name: ClassVar[str]

    def collect(self, hosts: Sequence[Host], ctx: CollectContext, emit: Emit) -> None: ...


_STATUS_BY_KIND = {status.value: status for status in HostStatus}


def failure_result(
    host: Host, collector: str, exc: BaseException, started_at: datetime, attempts: int = 1
) -> HostResult:
    """Turn an exception raised while collecting ``host`` into its recorded result."""
    if isinstance(exc, CollectError):
        status, message = _STATUS_BY_KIND.get(exc.kind, HostStatus.ERROR), str(exc)
    else:
        status, message = HostStatus.ERROR, f"{type(exc).__name__}: {exc}"
    return HostResult(
        host=host.name,
        status=status,
        collector=collector,
        error=message or type(exc).__name__,
        started_at=started_at,
        finished_at=utcnow(),
        attempts=attempts,
    )
