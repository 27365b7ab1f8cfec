"""Findings -> tickets after a run: open, update, auto-resolve, reopen (one ticket per fingerprint).

For each finding of the run, the ticket with the same fingerprint (host, check, object) is::

    absent           -> opened (a defect, priority = the finding's severity, clocks start)
    active           -> updated: last seen, occurrence count, latest title, message and evidence
    resolved/closed  -> reopened (state submitted, recurrence + 1, clocks restart)

An active inspection ticket without a finding in this run is resolved only when the run
inspected its host AND the same (host, check, object) was evaluated with outcome ``pass``; a
run where the host was unreachable or the check could not be evaluated resolves nothing.
A finding covered by an active waiver keeps its ticket, marked waived (no notification, no
SLA escalation). The database's unique index on ``fingerprint`` makes racing runs update one
ticket instead of opening two. Everything happens in one write transaction, notifications
included (queued in the outbox).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from patrol.models import Outcome, utcnow
from patrol.notify.outbox import redact_payload
from patrol.sanitize import scrub_text
from patrol.store import Store
from patrol.store import schema as t
from patrol.store.schema_tickets import ticket_events, ticket_sightings, tickets
from patrol.tickets.contract import ServiceContract
from patrol.tickets.model import ACTIVE_STATES, CLOSED_STATES, Source, TicketClass, TicketState, Waiver
from patrol.tickets.notices import notify
from patrol.tickets.repo import SYSTEM, active_waivers, event_row, get_ticket

__all__ = ["RunFacts", "SyncReport", "read_run", "sync_run"]

CHUNK = 500
_ACTIVE = [s.value for s in ACTIVE_STATES]


@dataclass
class RunFacts:
    """What a run saw, read once: findings, inspected hosts, passed checks, host groups."""

    run_id: str
    findings: list[Row[Any]]
    inspected: set[str]
    groups: dict[str, list[str]]
    passed: set[tuple[str, str, str]]


@dataclass
class SyncReport:
    """``{"run_id": "…", "opened": [3, 4], "updated": 10, "reopened": [2], "resolved": [7], "waived": 1}``"""

    run_id: str
    opened: list[int] = field(default_factory=list)
    updated: int = 0
    reopened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    waived: int = 0


def read_run(store: Store, run_id: str) -> RunFacts:
    hr, cr, f = t.host_results.c, t.check_results.c, t.findings.c
    with store.read() as conn:
        hosts = conn.execute(select(hr.host, hr.status, hr.groups).where(hr.run_id == run_id)).all()
        passed = conn.execute(
            select(cr.host, cr.check_id, cr.object).where(cr.run_id == run_id, cr.outcome == Outcome.PASS.value)
        ).all()
        found = conn.execute(select(t.findings).where(f.run_id == run_id).order_by(f.id)).all()
    return RunFacts(
        run_id=run_id,
        findings=list({r.fingerprint: r for r in found}.values()),
        inspected={h.host for h in hosts if h.status == "ok"},
        groups={h.host: list(h.groups or []) for h in hosts},
        passed={(p.host, p.check_id, p.object) for p in passed},
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _insert_ignoring_duplicates(conn: Connection, rows: list[dict[str, Any]], table: Any, keys: list[str]) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=keys), rows)
    elif dialect == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(index_elements=keys), rows)
    else:
        conn.execute(insert(table), rows)


class _Sync:
    """One run's ingestion inside one write transaction."""

    def __init__(self, conn: Connection, contract: ServiceContract, facts: RunFacts, now: datetime) -> None:
        self.conn, self.contract, self.facts, self.now = conn, contract, facts, now
        self.report = SyncReport(facts.run_id)
        self.events: list[dict[str, Any]] = []
        self.notices: list[tuple[int, str, str]] = []
        self.waivers: list[Waiver] = active_waivers(conn, now)
        self.seen_ids: list[int] = []
        self._opened: dict[str, int] = {}

    def apply(self) -> SyncReport:
        fingerprints = [f.fingerprint for f in self.facts.findings]
        existing = self._existing(fingerprints)
        fresh = [f for f in self.facts.findings if f.fingerprint not in existing]
        self._open(fresh)
        existing.update(self._existing([f.fingerprint for f in fresh if f.fingerprint not in self._opened]))
        self._update(existing)
        self._resolve(set(fingerprints))
        self._sightings()
        if self.events:
            self.conn.execute(insert(ticket_events), self.events)
        for ticket_id, event, note in self.notices if self.contract.notify else ():
            notify(self.conn, self.contract, get_ticket(self.conn, ticket_id), event, self.now, note)
        return self.report

    # -- reading ---------------------------------------------------------------------------

    def _existing(self, fingerprints: Sequence[str]) -> dict[str, Row[Any]]:
        found: dict[str, Row[Any]] = {}
        for chunk in _chunks(list(fingerprints)):
            rows = self.conn.execute(select(tickets).where(tickets.c.fingerprint.in_(chunk))).all()
            found.update({r.fingerprint: r for r in rows})
        return found

    def _waiver(self, host: str, check_id: str) -> int | None:
        groups = self.facts.groups.get(host, [])
        return next((w.id for w in self.waivers if w.covers(check_id, host, groups)), None)

    # -- opening ---------------------------------------------------------------------------

    def _new_row(self, finding: Row[Any]) -> dict[str, Any]:
        run_id, now = self.facts.run_id, self.now
        title = scrub_text(finding.title_en)
        return {
            "klass": TicketClass.DEFECT.value, "source": Source.INSPECTION.value,
            "state": TicketState.SUBMITTED.value, "priority": finding.severity,
            "title": title, "description": scrub_text(f"{finding.host}: {title} ({finding.title_zh})"),
            "message": scrub_text(finding.message), "host": finding.host, "check_id": finding.check_id,
            "object": finding.object, "fingerprint": finding.fingerprint, "domain": finding.domain,
            "groups": self.facts.groups.get(finding.host, []), "reporter": f"{SYSTEM} run {run_id}",
            "location": finding.host, "evidence": redact_payload(finding.evidence or {}),
            "release": self.contract.next_release if finding.severity == "other" else None,
            "occurrences": 1, "recurrence": 0, "first_seen": now, "last_seen": now, "first_run_id": run_id,
            "last_run_id": run_id, "clock_start": now, "created_at": now, "updated_at": now,
            "waiver_id": self._waiver(finding.host, finding.check_id), "record": {},
        }  # fmt: skip

    def _open(self, fresh: Sequence[Row[Any]]) -> None:
        rows = [self._new_row(f) for f in fresh]
        _insert_ignoring_duplicates(self.conn, rows, tickets, ["fingerprint"])
        created = self._existing([r["fingerprint"] for r in rows])
        for row in rows:
            mine = created.get(row["fingerprint"])
            if mine is None or mine.first_run_id != self.facts.run_id:
                continue  # another run opened it meanwhile: it is updated below instead
            self._opened[row["fingerprint"]] = mine.id
            self.seen_ids.append(mine.id)
            self.report.opened.append(mine.id)
            note = f"opened from a finding: {row['message']}"
            self.events.append(event_row(mine.id, self.now, "opened", to_state=TicketState.SUBMITTED.value,
                                         note=note, run_id=self.facts.run_id))  # fmt: skip
            if row["waiver_id"] is not None:
                self._waived_event(mine.id, row["waiver_id"])
            else:
                self.notices.append((mine.id, "opened", ""))

    def _waived_event(self, ticket_id: int, waiver_id: int) -> None:
        self.report.waived += 1
        self.events.append(event_row(ticket_id, self.now, "waived", note=f"covered by waiver {waiver_id}",
                                     run_id=self.facts.run_id))  # fmt: skip

    # -- updating and reopening ------------------------------------------------------------

    def _update(self, existing: dict[str, Row[Any]]) -> None:
        findings = {f.fingerprint: f for f in self.facts.findings}
        plain: list[dict[str, Any]] = []
        for fingerprint, row in existing.items():
            finding = findings[fingerprint]
            self.seen_ids.append(row.id)
            if row.last_run_id == self.facts.run_id:
                continue  # this run was already counted
            waiver_id = self._waiver(finding.host, finding.check_id)
            if waiver_id is not None and row.waiver_id != waiver_id:
                self._waived_event(row.id, waiver_id)
            title = scrub_text(finding.title_en)  # a ticket opened before a profile's rewording takes the new one
            values = {
                "_id": row.id, "occurrences": row.occurrences + 1, "last_seen": self.now,
                "last_run_id": self.facts.run_id, "message": scrub_text(finding.message), "title": title,
                "description": scrub_text(f"{finding.host}: {title} ({finding.title_zh})"),
                "evidence": redact_payload(finding.evidence or {}), "priority": finding.severity,
                "waiver_id": waiver_id, "updated_at": self.now,
            }  # fmt: skip
            if row.state in CLOSED_STATES:
                self._reopen(row, values)
            else:
                plain.append(values)
        if plain:
            stmt = update(tickets).where(tickets.c.id == bindparam("_id"))
            self.conn.execute(stmt.values({k: bindparam(k) for k in plain[0] if k != "_id"}), plain)
        self.report.updated += len(plain)

    def _reopen(self, row: Row[Any], values: dict[str, Any]) -> None:
        values = {k: v for k, v in values.items() if k != "_id"} | {
            "state": TicketState.SUBMITTED.value, "recurrence": row.recurrence + 1, "clock_start": self.now,
            "responded_at": None, "resolved_at": None, "closed_at": None, "escalated_at": None,
            "escalated_to": None,
        }  # fmt: skip
        self.conn.execute(update(tickets).where(tickets.c.id == row.id).values(values))
        self.report.reopened.append(row.id)
        note = f"the finding came back in run {self.facts.run_id} (recurrence {row.recurrence + 1})"
        self.events.append(event_row(row.id, self.now, "reopened", from_state=row.state,
                                     to_state=TicketState.SUBMITTED.value, note=note,
                                     run_id=self.facts.run_id))  # fmt: skip
        if values["waiver_id"] is None:
            self.notices.append((row.id, "reopened", note))

    # -- resolving -------------------------------------------------------------------------

    def _resolve(self, seen: set[str]) -> None:
        hosts = sorted(self.facts.inspected)
        for chunk in _chunks(hosts):
            rows = self.conn.execute(
                select(tickets.c.id, tickets.c.state, tickets.c.host, tickets.c.check_id, tickets.c.object,
                       tickets.c.fingerprint).where(
                    and_(tickets.c.source == Source.INSPECTION.value, tickets.c.state.in_(_ACTIVE),
                         tickets.c.host.in_(chunk))
                )
            ).all()  # fmt: skip
            for row in rows:
                key = (row.host, row.check_id, row.object or "")
                if row.fingerprint not in seen and key in self.facts.passed:
                    self._resolve_one(row)

    def _resolve_one(self, row: Any) -> None:
        run_id = self.facts.run_id
        note = f"resolved automatically: run {run_id} inspected {row.host} and {row.check_id} passed"
        self.conn.execute(
            update(tickets).where(tickets.c.id == row.id).values(
                state=TicketState.RESOLVED.value, resolved_at=self.now, updated_at=self.now)
        )  # fmt: skip
        self.events.append(event_row(row.id, self.now, "resolved", from_state=row.state,
                                     to_state=TicketState.RESOLVED.value, note=note, run_id=run_id))  # fmt: skip
        self.report.resolved.append(row.id)
        self.notices.append((row.id, "resolved", note))

    def _sightings(self) -> None:
        rows = [{"ticket_id": i, "run_id": self.facts.run_id, "at": self.now} for i in self.seen_ids]
        _insert_ignoring_duplicates(self.conn, rows, ticket_sightings, ["ticket_id", "run_id"])


def sync_run(store: Store, run_id: str, contract: ServiceContract, now: datetime | None = None) -> SyncReport:
    """Ingest run ``run_id``'s findings and check results into tickets (see the module docstring)."""
    facts = read_run(store, run_id)
    with store.write() as conn:
        return _Sync(conn, contract, facts, now or utcnow()).apply()
