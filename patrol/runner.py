"""One inspection run: inventory -> collect -> store -> checks -> findings.

Everything that can be wrong with the input (inventory, profiles, settings) is found before
the first connection. Collectors run concurrently, one thread per collector plugin, each with
its own bounded concurrency; their per-host results flow through a queue to this thread,
which redacts (every string of the result: :func:`patrol.sanitize.scrub_result`), stores and
evaluates each host as it arrives, so an interrupted run keeps what it already saw and is marked
``aborted``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from patrol import plugins
from patrol.checks import ProfileSet, evaluate, findings_for, load_profiles
from patrol.collect.base import CollectContext, Collector
from patrol.config import Settings
from patrol.inventory import Inventory, load_inventory
from patrol.models import CheckResult, Finding, Host, HostResult, HostStatus, RunStatus, RunSummary, utcnow
from patrol.redact import installation_key
from patrol.sanitize import scrub_result, scrub_text
from patrol.store import Store

__all__ = ["RunObserver", "RunProcessor", "RunRequest", "execute_run", "load_processors", "new_run_id", "prepare_run"]

log = logging.getLogger(__name__)

#: how long in-flight hosts may finish after Ctrl-C / SIGTERM before the run is closed
DRAIN_SECONDS = 30.0
#: how long a collector may tidy up after its last host (ansible-runner's files are redacted then)
SETTLE_SECONDS = 30.0


@dataclass(frozen=True)
class RunRequest:
    inventory: Sequence[str]
    profiles: Sequence[str]
    limit: str | None = None
    forks: int | None = None
    vault_password_file: str | None = None


class RunObserver(Protocol):
    """Progress hooks (the CLI draws a progress bar with them)."""

    def planned(self, run_id: str, hosts: Sequence[Host]) -> None: ...

    def host_done(self, result: HostResult) -> None: ...


class RunProcessor(Protocol):
    """A later pipeline stage hooked into every run (entry-point group ``patrol.processors``).

    ``host_done`` runs after a host's checks are evaluated and may return extra check results
    and findings (drift against the baseline, for example); they are stored with the host's
    own. ``run_done`` runs once the run is closed (tickets, notifications). A processor that
    raises is logged and skipped: it never aborts the run or loses collected data.
    """

    name: str

    def host_done(
        self, store: Store, run_id: str, host: Host, result: HostResult
    ) -> tuple[Sequence[CheckResult], Sequence[Finding]]: ...

    def run_done(self, store: Store, run_id: str, status: RunStatus) -> None: ...


def load_processors() -> list[RunProcessor]:
    """Every registered processor, instantiated, in name order."""
    return [plugins.load("patrol.processors", name)() for name in plugins.names("patrol.processors")]


@dataclass
class PreparedRun:
    """A run whose inputs are validated: nothing has been contacted yet."""

    request: RunRequest
    inventory: Inventory
    profiles: ProfileSet
    forks: int
    processors: list[RunProcessor] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: new_run_id())


def new_run_id() -> str:
    """Time-sortable, unique across execution nodes: ``20261126-020003-9f3a``."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def prepare_run(settings: Settings, request: RunRequest) -> PreparedRun:
    """Validate profiles and inventory (raises ProfileError / InventoryError with the fix)."""
    profiles = load_profiles(request.profiles)
    inventory = load_inventory(
        request.inventory,
        limit=request.limit,
        vault_password_file=request.vault_password_file,
        connect_timeout=settings.connect_timeout,
        command_timeout=settings.command_timeout,
    )
    for name in inventory.by_collector():
        plugins.load("patrol.collectors", name)  # a broken plugin stops the run before any connection
    return PreparedRun(request, inventory, profiles, request.forks or settings.forks, load_processors())


def execute_run(
    settings: Settings,
    prepared: PreparedRun,
    store: Store,
    observer: RunObserver | None = None,
    cancel: threading.Event | None = None,
) -> RunSummary:
    """Collect, store and evaluate every host; returns the run's summary.

    ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM turned into it by the CLI) or ``cancel`` stops
    starting new hosts, lets in-flight ones finish for up to :data:`DRAIN_SECONDS`, and marks
    the run ``aborted``; the store stays consistent either way.
    """
    run_id, hosts = prepared.run_id, prepared.inventory.hosts
    work_dir = settings.runs_dir / run_id
    work_dir.mkdir(parents=True, exist_ok=True)
    ctx = CollectContext(
        run_id=run_id,
        work_dir=work_dir.resolve(),
        inventory_sources=tuple(str(Path(s).resolve()) if Path(s).exists() else s for s in prepared.inventory.sources),
        vault_password_file=prepared.inventory.vault_password_file,
        forks=prepared.forks,
        cancel=cancel or threading.Event(),
        known_hosts=settings.known_hosts.resolve(),
        user_known_hosts=settings.user_known_hosts,
    )
    session = _Session(store, prepared, ctx, observer, installation_key(settings.home))
    store.create_run(
        run_id,
        inventory=list(prepared.inventory.sources),
        profiles=list(prepared.request.profiles),
        limit=prepared.request.limit,
        forks=prepared.forks,
        hosts=hosts,
    )
    status, error = RunStatus.COMPLETED, None
    try:  # from here on the run row exists: whatever happens, it is closed below
        if observer:
            observer.planned(run_id, hosts)
        session.run()
    except KeyboardInterrupt:
        ctx.cancel.set()
        status, error = RunStatus.ABORTED, "interrupted"
        session.drain(DRAIN_SECONDS)
    except Exception as exc:
        ctx.cancel.set()
        status, error = RunStatus.FAILED, scrub_text(f"{type(exc).__name__}: {exc}")
        log.exception("run %s failed", run_id)
        session.drain(5.0)
    finally:
        if ctx.cancel.is_set() and status is RunStatus.COMPLETED:
            status, error = RunStatus.ABORTED, "cancelled"
        store.finish_run(run_id, status, error)
    _run_done(prepared.processors, store, run_id, status)
    return store.run_summary(run_id)


def _run_done(processors: Sequence[RunProcessor], store: Store, run_id: str, status: RunStatus) -> None:
    for processor in processors:
        try:
            processor.run_done(store, run_id, status)
        except Exception:
            log.exception("processor %s failed after run %s", processor.name, run_id)


def _log_host_timing(host: Host, result: HostResult, checks: int, findings: int) -> None:
    """One INFO line per host (``patrol -v`` shows them): status, collect time, checks, findings."""
    seconds = max(0.0, (result.finished_at - result.started_at).total_seconds())
    log.info(
        "host %s: %s in %.2fs (%s, %d attempt%s), %d checks, %d findings",
        host.name, result.status.value, seconds, result.collector, result.attempts,
        "" if result.attempts == 1 else "s", checks, findings,
    )  # fmt: skip


class _Session:
    """The moving parts of one run: collector threads feeding one result queue."""

    def __init__(
        self, store: Store, prepared: PreparedRun, ctx: CollectContext, observer: RunObserver | None, key: bytes
    ):
        self.store, self.prepared, self.ctx, self.observer, self.key = store, prepared, ctx, observer, key
        self.results: queue.Queue[HostResult] = queue.Queue()
        self.pending = {h.name: h for h in prepared.inventory.hosts}
        self.threads: list[threading.Thread] = []

    def run(self) -> None:
        for name, hosts in self.prepared.inventory.by_collector().items():
            collector: Collector = plugins.load("patrol.collectors", name)()
            thread = threading.Thread(
                target=self._collect, args=(collector, hosts), name=f"collect-{name}", daemon=True
            )
            thread.start()
            self.threads.append(thread)
        while self.pending and (self._alive() or not self.results.empty()):
            self._take(timeout=0.2)
        self._close_missing("collector returned no result for this host")
        self._settle(SETTLE_SECONDS)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while self.pending and time.monotonic() < deadline and (self._alive() or not self.results.empty()):
                self._take(timeout=0.2)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pass
        self._close_missing("run interrupted before this host finished", HostStatus.ABORTED)
        with contextlib.suppress(KeyboardInterrupt):
            self._settle(max(0.0, deadline - time.monotonic()))

    def _settle(self, seconds: float) -> None:
        """Wait for the collector threads to return (their clean-up runs after the last result)."""
        deadline = time.monotonic() + seconds
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _alive(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def _collect(self, collector: Collector, hosts: list[Host]) -> None:
        try:
            collector.collect(hosts, self.ctx, self.results.put)
        except Exception as exc:  # a collector bug must not lose the other collectors' hosts
            log.exception("collector %s failed", collector.name)
            for host in hosts:
                self.results.put(
                    HostResult(
                        host=host.name,
                        status=HostStatus.ERROR,
                        collector=collector.name,
                        error=scrub_text(f"collector {collector.name} failed: {type(exc).__name__}: {exc}"),
                    )
                )

    def _take(self, timeout: float) -> None:
        try:
            result = self.results.get(timeout=timeout)
        except queue.Empty:
            return
        host = self.pending.pop(result.host, None)
        if host is None:  # unknown or duplicate result: the first one counts
            log.warning("ignoring unexpected result for host %s", result.host)
            return
        self._record(host, scrub_result(result, self.key))

    def _record(self, host: Host, result: HostResult) -> None:
        self.store.record_host_result(self.ctx.run_id, result)
        profiles = self.prepared.profiles
        checks = evaluate(profiles, host, result.snapshot, result.status, error=result.error)
        findings = findings_for(self.ctx.run_id, host, checks, profiles, result)
        for processor in self.prepared.processors:
            try:
                extra_checks, extra_findings = processor.host_done(self.store, self.ctx.run_id, host, result)
            except Exception:
                log.exception("processor %s failed on host %s", processor.name, host.name)
                continue
            checks, findings = [*checks, *extra_checks], [*findings, *extra_findings]
        self.store.record_checks(self.ctx.run_id, checks, findings)
        _log_host_timing(host, result, len(checks), len(findings))
        if self.observer:
            self.observer.host_done(result)

    def _close_missing(self, message: str, status: HostStatus = HostStatus.ERROR) -> None:
        for host in list(self.pending.values()):
            self.pending.pop(host.name)
            self._record(
                host,
                HostResult(host=host.name, status=status, collector=host.collector, error=message, started_at=utcnow()),
            )
