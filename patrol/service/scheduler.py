"""The scheduler: claims due firings in the database and runs them through the run pipeline.

Every tick, :func:`patrol.service.claims.claim_due` moves each due schedule's ``next_due`` forward with a
compare-and-set (``UPDATE ... WHERE next_due = <the value read>``): of several ``patrol serve``
processes on one database exactly one claims a firing. :func:`run_schedule` then takes the
schedule's lease (:func:`patrol.service.claims.lease_name`: ``run-now`` and a firing never
overlap either), runs it with
:func:`patrol.runner.prepare_run` / :func:`patrol.runner.execute_run` — the same functions as
``patrol run`` — writes the report and records the outcome on the schedule. Report schedules
(``report.period``) are claimed with the same compare-and-set by the delivery timer
(:mod:`patrol.service.deliveries`), never by this loop.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from patrol.config import Settings
from patrol.errors import PatrolError
from patrol.models import RunSummary, utcnow
from patrol.redact import redact_text
from patrol.runner import RunRequest, execute_run, prepare_run
from patrol.service.claims import claim_due, lease_name, new_holder, record
from patrol.service.errors import LeaseHeld
from patrol.service.lease import Heartbeat, acquire, release
from patrol.service.roots import check_api_schedule
from patrol.service.schedules import Schedule
from patrol.store import Store

__all__ = ["Scheduler", "run_schedule"]

log = logging.getLogger(__name__)


def _write_report(settings: Settings, store: Store, s: Schedule, run_id: str) -> Path:
    from patrol.report import build_report
    from patrol.report.output import write_run_report

    path = settings.runs_dir / run_id / f"report.{s.report.format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_run_report(build_report(store, run_id, lang=s.report.lang), s.report.format, path)[0]


def _deliver(store: Store, s: Schedule, summary: RunSummary, report: Path) -> None:
    from patrol.service.deliveries import queue_report
    from patrol.tickets import load_contract

    try:
        queue_report(store, load_contract(), s, summary, report)
    except PatrolError as exc:  # the run itself is done and stored: say why the report did not go out
        log.warning("report of %s not delivered: %s", s.name, exc)
        record(store, s.name, last_error=redact_text(f"report not delivered: {exc}"))


def run_schedule(
    settings: Settings, store: Store, s: Schedule, cancel: threading.Event | None = None, holder: str | None = None
) -> RunSummary:
    """Run ``s`` now under its lease; raises :class:`LeaseHeld` if it is already running."""
    holder, lease = holder or new_holder(), lease_name(s)
    acquire(store, lease, holder)
    try:
        with Heartbeat(store, lease, holder):
            try:
                prepared = prepare_run(settings, _request(settings, s))
            except PatrolError as exc:
                record(store, s.name, last_status="failed", last_error=redact_text(str(exc)))
                raise
            record(store, s.name, last_run_id=prepared.run_id, last_status="running", last_error=None)
            summary = execute_run(settings, prepared, store, cancel=cancel)
            record(store, s.name, last_status=summary.status.value)
            _deliver(store, s, summary, _write_report(settings, store, s, summary.run_id))
            return summary
    finally:
        release(store, lease, holder)


def _request(settings: Settings, s: Schedule) -> RunRequest:
    """What ``s`` runs. An API schedule's paths are checked against the roots again (they may have
    changed since) and it always runs with the server's vault secret; a CLI or file schedule keeps
    its own vault file, else the server's."""
    inventory, profiles = s.inventory, s.profiles
    if s.source == "api":
        inventory, profiles = check_api_schedule(settings, s.name, s.inventory, s.profiles)
    vault = s.vault_password_file if s.source != "api" else None
    server_vault = str(settings.vault_password_file) if settings.vault_password_file else None
    return RunRequest(inventory, profiles, s.limit, s.forks, vault or server_vault)


class Scheduler:
    """The loop of ``patrol serve``: every ``tick`` seconds claim due firings, run each in a thread."""

    def __init__(self, settings: Settings, store: Store, tick: float = 5.0) -> None:
        self.settings, self.store, self.tick = settings, store, tick
        self.stop = threading.Event()
        self.cancel = threading.Event()
        self._runs: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def run_now(self, s: Schedule) -> threading.Thread:
        """Start ``s`` in a background thread (LeaseHeld is checked first, in the caller).

        A report schedule delivers its report now (:func:`patrol.service.deliveries.deliver_schedule`).
        """
        holder = new_holder()
        acquire(self.store, lease_name(s), holder)  # raises LeaseHeld here, not in the thread
        if s.kind == "report":
            thread = threading.Thread(target=self._deliver, args=(s, holder), name=f"report-{s.name}", daemon=True)
            thread.start()
            return thread
        return self._start(s, holder)

    def _deliver(self, s: Schedule, holder: str) -> None:
        from patrol.service.deliveries import deliver_schedule

        try:
            deliver_schedule(self.settings, self.store, s, holder=holder)
        except Exception:
            log.exception("report delivery of %s failed", s.name)

    def shutdown(self, drain: float) -> None:
        """Stop claiming; cancel running runs and wait up to ``drain`` seconds for them to close."""
        self.stop.set()
        self.cancel.set()
        self._thread.join(timeout=self.tick + 1)
        deadline = utcnow().timestamp() + drain
        for thread in self._runs:
            thread.join(timeout=max(0.0, deadline - utcnow().timestamp()))

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                for claim in claim_due(self.store):
                    self._start(claim.schedule)
            except Exception:
                log.exception("scheduler tick failed")
            self.stop.wait(self.tick)

    def _start(self, s: Schedule, holder: str | None = None) -> threading.Thread:
        args = (s, holder or new_holder())
        thread = threading.Thread(target=self._run, args=args, name=f"run-{s.name}", daemon=True)
        self._runs = [t for t in self._runs if t.is_alive()] + [thread]
        thread.start()
        return thread

    def _run(self, s: Schedule, holder: str) -> None:
        try:
            run_schedule(self.settings, self.store, s, self.cancel, holder)
        except LeaseHeld as exc:
            log.warning("schedule %s not started: %s", s.name, exc)
        except Exception:
            log.exception("scheduled run of %s failed", s.name)
