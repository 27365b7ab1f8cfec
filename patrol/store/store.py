"""The snapshot store: runs, per-host results, snapshots, check results and findings.

One :class:`Store` per process; methods are thread-safe (collector threads may record
results). Every write is one short transaction, so a run killed half-way leaves complete
rows only: the run stays ``running`` until :meth:`Store.abort_orphaned_runs` (called by the
next patrol command) sees its process is gone and marks it and its pending hosts ``aborted``.

Typical use (the runner)::

    store = Store.open("sqlite:///.patrol/patrol.db")
    store.create_run(run_id, inventory=["inventory/lab"], profiles=["inspect"], limit=None,
                     forks=50, hosts=hosts)
    store.record_host_result(run_id, redacted_result)          # per host, as it arrives
    store.record_checks(run_id, check_results, findings)       # per host
    store.finish_run(run_id, RunStatus.COMPLETED)
    store.run_summary(run_id).gaps    # {"branch-sw9": "unreachable: connection refused"}
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, and_, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import SQLAlchemyError

from patrol.errors import NotFoundError, StoreError
from patrol.models import (
    CheckResult,
    Finding,
    Host,
    HostResult,
    HostStatus,
    Outcome,
    RunStatus,
    RunSummary,
    Severity,
    Snapshot,
    utcnow,
)
from patrol.store import schema as t
from patrol.store.engine import WRITE, connect, migrate, reason, safe_url
from patrol.store.process import proc_token as _proc_token
from patrol.store.process import process_alive as _alive
from patrol.store.rows import PENDING, HostRow, finding_from_row, host_row, summary

__all__ = ["Store"]

log = logging.getLogger(__name__)


class Store:
    """Runs, host results, snapshots, check results and findings in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.url = safe_url(engine.url)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and migrate it; :class:`StoreError` on a bad URL or unusable database."""
        engine = connect(url)
        try:
            migrate(engine)
        except StoreError:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql`` (for the few statements that differ)."""
        return str(self._engine.dialect.name)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (serialised in this process, ``BEGIN IMMEDIATE`` on SQLite).

        Later stages (baselines, tickets …) keep their own tables in this database and use
        these two transactions, so every write shares the same locking and error handling.
        """
        with self._lock:
            try:
                with self._engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
                    yield conn
            except SQLAlchemyError as exc:
                raise StoreError(f"store {self.url}: write failed: {reason(exc)}") from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        try:
            with self._engine.connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.url}: read failed: {reason(exc)}") from exc

    # -- writes ---------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        *,
        inventory: list[str],
        profiles: list[str],
        limit: str | None,
        forks: int,
        hosts: Sequence[Host],
    ) -> None:
        """Record a ``running`` run owned by this process and one ``pending`` row per planned host."""
        pid = os.getpid()
        run = {
            "id": run_id,
            "status": RunStatus.RUNNING.value,
            "started_at": utcnow(),
            "inventory": list(inventory),
            "profiles": list(profiles),
            "limit_expr": limit,
            "forks": forks,
            "pid": pid,
            "proc_token": _proc_token(pid),
            "node": socket.gethostname(),
        }
        rows = [
            {
                "run_id": run_id,
                "host": h.name,
                "status": PENDING,
                "device_class": h.device_class.value,
                "platform": h.platform,
                "collector": h.collector,
                "groups": list(h.groups),
                "attempts": 0,
            }
            for h in hosts
        ]
        with self.write() as conn:
            if conn.execute(select(t.runs.c.id).where(t.runs.c.id == run_id)).first():
                raise StoreError(f"store {self.url}: run {run_id!r} already exists; use a new run id")
            conn.execute(insert(t.runs).values(run))
            if rows:
                conn.execute(insert(t.host_results), rows)

    def record_host_result(self, run_id: str, result: HostResult) -> None:
        """Store a host's result and its snapshot (which the caller has already redacted)."""
        snap = result.snapshot
        values: dict[str, Any] = {
            "status": result.status.value,
            "error": result.error,
            "collector": result.collector,
            "started_at": result.started_at,
            "finished_at": result.finished_at,
            "attempts": result.attempts,
        }
        if snap is not None:
            values.update(device_class=snap.device_class.value, platform=snap.platform)
        key = {"run_id": run_id, "host": result.host}
        with self.write() as conn:
            self._require_run(conn, run_id)
            hr = t.host_results.c
            done = conn.execute(
                update(t.host_results).where(hr.run_id == run_id, hr.host == result.host).values(values)
            )
            if not done.rowcount:
                conn.execute(insert(t.host_results).values(**key, groups=[], **values))
            sn = t.snapshots.c
            conn.execute(delete(t.snapshots).where(sn.run_id == run_id, sn.host == result.host))
            if snap is not None:
                doc = snap.model_dump(mode="json")
                conn.execute(insert(t.snapshots).values(**key, collected_at=snap.collected_at, document=doc))

    def record_checks(self, run_id: str, results: Sequence[CheckResult], findings: Sequence[Finding]) -> None:
        """Store check results and findings; replaces what was stored for the same hosts in this run."""
        hosts = {r.host for r in results} | {f.host for f in findings}
        result_rows = [{"run_id": run_id, **r.model_dump(mode="json")} for r in results]
        finding_rows = [_finding_row(run_id, f) for f in findings]
        with self.write() as conn:
            self._require_run(conn, run_id)
            for table in (t.check_results, t.findings):
                conn.execute(delete(table).where(table.c.run_id == run_id, table.c.host.in_(hosts)))
            if result_rows:
                conn.execute(insert(t.check_results), result_rows)
            if finding_rows:
                conn.execute(insert(t.findings), finding_rows)

    def finish_run(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        """Close the run; hosts still pending become ``aborted`` (they were never collected)."""
        with self.write() as conn:
            self._require_run(conn, run_id)
            conn.execute(
                update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(status=status.value, finished_at=utcnow(), error=error)
            )
            _abort_pending(conn, run_id, f"no result: the run ended {status.value} before this host was collected")

    def abort_orphaned_runs(self) -> list[str]:
        """Mark ``aborted`` the runs of this machine left ``running`` by a process that is gone."""
        node = socket.gethostname()
        with self.read() as conn:
            running = conn.execute(
                select(t.runs.c.id, t.runs.c.pid, t.runs.c.proc_token, t.runs.c.node).where(
                    t.runs.c.status == RunStatus.RUNNING.value
                )
            ).all()
        orphans = [r for r in running if r.node == node and not _alive(r.pid, r.proc_token)]
        for run in orphans:
            message = f"aborted: the process that ran it (pid {run.pid} on {run.node}) is gone"
            with self.write() as conn:
                conn.execute(
                    update(t.runs)
                    .where(t.runs.c.id == run.id, t.runs.c.status == RunStatus.RUNNING.value)
                    .values(status=RunStatus.ABORTED.value, finished_at=utcnow(), error=message)
                )
                _abort_pending(conn, run.id, "no result: the run's process died before this host was collected")
            log.warning("run %s %s", run.id, message)
        return [r.id for r in orphans]

    # -- reads ----------------------------------------------------------------------------

    def resolve_run(self, ref: str) -> str:
        """``latest``/``last``, a full run id or a unique prefix -> the run id."""
        ref = ref.strip()
        with self.read() as conn:
            if ref.lower() in ("latest", "last"):
                found = conn.execute(_newest_first(select(t.runs.c.id)).limit(1)).scalar()
                if found is None:
                    raise NotFoundError("run", ref, "the store has no runs yet: start one with `patrol run`")
                return str(found)
            if conn.execute(select(t.runs.c.id).where(t.runs.c.id == ref)).first():
                return ref
            pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            matches = conn.execute(select(t.runs.c.id).where(t.runs.c.id.like(pattern, escape="\\"))).scalars().all()
            recent = conn.execute(_newest_first(select(t.runs.c.id)).limit(5)).scalars().all()
        if len(matches) == 1:
            return str(matches[0])
        if matches:
            raise NotFoundError("run", ref, f"ambiguous, it starts {', '.join(sorted(matches))}; give more characters")
        hint = f"recent runs: {', '.join(recent)} (or 'latest')" if recent else "the store has no runs yet"
        raise NotFoundError("run", ref, hint)

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """Newest first."""
        with self.read() as conn:
            rows = conn.execute(_newest_first(select(t.runs)).limit(limit)).all()
            return [summary(conn, row) for row in rows]

    def run_summary(self, run_id: str) -> RunSummary:
        with self.read() as conn:
            return summary(conn, self._require_run(conn, run_id))

    def run_info(self, run_id: str) -> dict[str, Any]:
        """The run's inputs: ``{"inventory": [...], "profiles": [...], "limit": None, "forks": 50,
        "node": "ctl1", "pid": 4242, "error": None}``."""
        with self.read() as conn:
            row = self._require_run(conn, run_id)
        return {
            "inventory": row.inventory,
            "profiles": row.profiles,
            "limit": row.limit_expr,
            "forks": row.forks,
            "node": row.node,
            "pid": row.pid,
            "error": row.error,
        }

    def host_results(self, run_id: str) -> list[HostRow]:
        """Every planned host of the run, sorted by name."""
        with self.read() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                select(t.host_results).where(t.host_results.c.run_id == run_id).order_by(t.host_results.c.host)
            ).all()
        return [host_row(r) for r in rows]

    def snapshot(self, run_id: str, host: str) -> Snapshot | None:
        """The host's snapshot in that run; None if it was not inspected."""
        sn = t.snapshots.c
        with self.read() as conn:
            doc = conn.execute(select(sn.document).where(sn.run_id == run_id, sn.host == host)).scalar()
        return Snapshot.model_validate(doc) if doc is not None else None

    def check_results(self, run_id: str, host: str | None = None) -> list[CheckResult]:
        c = t.check_results.c
        query = select(t.check_results).where(c.run_id == run_id)
        if host is not None:
            query = query.where(c.host == host)
        with self.read() as conn:
            rows = conn.execute(query.order_by(c.host, c.check_id, c.object)).all()
        return [
            CheckResult(
                host=r.host,
                check_id=r.check_id,
                object=r.object,
                outcome=Outcome(r.outcome),
                message=r.message,
                evidence=r.evidence or {},
            )
            for r in rows
        ]

    def findings(
        self,
        run_id: str | None = None,
        *,
        severity: Sequence[Severity] = (),
        host: str | None = None,
        domain: str | None = None,
    ) -> list[Finding]:
        """Findings of a run (None = the latest completed run; [] if there is none), worst first."""
        f = t.findings.c
        with self.read() as conn:
            if run_id is None:
                run_id = conn.execute(
                    _newest_first(select(t.runs.c.id)).where(t.runs.c.status == RunStatus.COMPLETED.value).limit(1)
                ).scalar()
                if run_id is None:
                    return []
            filters = [f.run_id == run_id]
            if severity:
                filters.append(f.severity.in_([Severity(s).value for s in severity]))
            if host is not None:
                filters.append(f.host == host)
            if domain is not None:
                filters.append(f.domain == domain)
            rows = conn.execute(select(t.findings).where(and_(*filters))).all()
        found = [finding_from_row(r) for r in rows]
        return sorted(found, key=lambda x: (-x.severity.rank, x.host, x.check_id, x.object))

    # -- helpers --------------------------------------------------------------------------

    def _require_run(self, conn: Connection, run_id: str) -> Row[Any]:
        row = conn.execute(select(t.runs).where(t.runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundError("run", run_id, f"not in store {self.url}; `patrol runs` lists the runs")
        return row


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(t.runs.c.started_at.desc(), t.runs.c.id.desc())


def _abort_pending(conn: Connection, run_id: str, message: str) -> None:
    hr = t.host_results.c
    conn.execute(
        update(t.host_results)
        .where(hr.run_id == run_id, hr.status == PENDING)
        .values(status=HostStatus.ABORTED.value, error=message)
    )


def _finding_row(run_id: str, finding: Finding) -> dict[str, Any]:
    row = finding.model_dump(mode="json", exclude={"waiver", "waived"})  # a waiver is the tickets stage's
    row["run_id"] = run_id
    return row
