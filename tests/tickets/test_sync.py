"""Findings -> tickets on a real SQLite store: dedup, racing runs, auto-resolve rules, reopen, waivers."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from patrol.models import utcnow
from patrol.store import Store
from patrol.store.schema_tickets import tickets as tickets_table
from patrol.tickets import ServiceContract, TicketFilter, grant_waiver, list_tickets, sync_run
from patrol.tickets.repo import ticket_events_of, ticket_runs
from tests.tickets.conftest import make_run

CONTRACT = ServiceContract()
A1 = ("sw1", "net.telnet.disabled", "")
A2 = ("sw1", "net.interfaces.oper_down", "Gi2")
B1 = ("sw2", "net.ntp.servers", "")


def all_tickets(store: Store) -> dict[tuple[str | None, str | None, str | None], object]:
    return {(t.host, t.check_id, t.object): t for t in list_tickets(store, TicketFilter("all"))}


def test_same_finding_updates_one_ticket_and_texts_are_redacted(store: Store) -> None:
    for n in range(3):
        sync_run(store, make_run(store, f"r{n}", failing=[A1, A2]), CONTRACT)
    found = list_tickets(store, TicketFilter("all"))
    assert len(found) == 2
    ticket = next(t for t in found if t.check_id == A1[1])
    assert ticket.occurrences == 3 and ticket.last_run_id == "r2" and ticket.first_run_id == "r0"
    assert [r for r, _ in ticket_runs(store, ticket.id)] == ["r0", "r1", "r2"]
    dump = ticket.model_dump_json() + "".join(e.note for e in ticket_events_of(store, ticket.id))
    assert "s3cret-X" not in dump and "<redacted>" in dump


def test_auto_resolve_needs_inspection_and_a_pass(store: Store) -> None:
    sync_run(store, make_run(store, "r1", failing=[A1, A2, B1]), CONTRACT)
    # sw2 unreachable; sw1 inspected: A1 passes, A2 only "not evaluated" -> only A1 resolves
    report = sync_run(store, make_run(store, "r2", unreachable=["sw2"], passing=[A1], not_evaluated=[A2]), CONTRACT)
    states = {k: t.state.value for k, t in all_tickets(store).items()}  # type: ignore[attr-defined]
    assert states == {A1: "resolved", A2: "submitted", B1: "submitted"}
    assert len(report.resolved) == 1
    events = ticket_events_of(store, report.resolved[0])
    assert events[-1].action == "resolved" and "run r2 inspected sw1" in events[-1].note and events[-1].run_id == "r2"


def test_unreachable_host_resolves_nothing_even_with_a_stale_pass(store: Store) -> None:
    sync_run(store, make_run(store, "r1", failing=[B1]), CONTRACT)
    report = sync_run(store, make_run(store, "r2", unreachable=["sw2"], passing=[B1]), CONTRACT)
    assert report.resolved == []


def test_returning_finding_reopens_with_recurrence(store: Store) -> None:
    sync_run(store, make_run(store, "r1", failing=[A1]), CONTRACT)
    sync_run(store, make_run(store, "r2", passing=[A1]), CONTRACT)
    report = sync_run(store, make_run(store, "r3", failing=[A1]), CONTRACT)
    (ticket,) = list_tickets(store, TicketFilter("all"))
    assert report.reopened == [ticket.id] and report.opened == []
    assert ticket.state.value == "submitted" and ticket.recurrence == 1 and ticket.occurrences == 2
    assert [e.action for e in ticket_events_of(store, ticket.id)] == ["opened", "resolved", "reopened"]


def test_database_refuses_a_second_ticket_for_a_fingerprint(store: Store) -> None:
    sync_run(store, make_run(store, "r1", failing=[A1]), CONTRACT)
    (ticket,) = list_tickets(store, TicketFilter("all"))
    row = ticket.model_dump(exclude={"id", "title_zh"})  # title_zh is read from the findings, not stored
    row |= {"klass": "defect", "source": "inspection", "state": "submitted"}
    with pytest.raises(IntegrityError), store._engine.begin() as conn:
        conn.execute(insert(tickets_table).values(row))


def test_audit_trail_is_append_only_in_the_database(store: Store, tmp_path: Path) -> None:
    sync_run(store, make_run(store, "r1", failing=[A1]), CONTRACT)
    con = sqlite3.connect(tmp_path / "patrol.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE ticket_events SET note = 'rewritten'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM ticket_events")
    con.close()


def _sync_in_process(url: str, run_id: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    with Store.open(url) as store:
        barrier.wait()
        sync_run(store, run_id, ServiceContract())


def test_two_processes_racing_open_one_ticket_per_finding(store: Store, tmp_path: Path) -> None:
    keys = [(f"h{i % 20}", "net.ntp.servers", f"o{i}") for i in range(200)]
    make_run(store, "ra", failing=keys)
    make_run(store, "rb", failing=keys)
    url = f"sqlite:///{tmp_path / 'patrol.db'}"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_sync_in_process, args=(url, run, barrier)) for run in ("ra", "rb")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    found = list_tickets(store, TicketFilter("all"))
    assert len(found) == 200 and {t.occurrences for t in found} == {2}


def test_waived_finding_stays_visible_as_waived(store: Store) -> None:
    sync_run(store, make_run(store, "r1", failing=[A1, B1]), CONTRACT)
    waiver, covered = grant_waiver(store, check_id=A1[1], group="core", until=utcnow() + timedelta(days=3),
                                   reason="replacement switch ordered", approver="Zhang Wei", actor="ops")  # fmt: skip
    assert len(covered) == 1
    sync_run(store, make_run(store, "r2", failing=[A1, B1]), CONTRACT)
    waived = list_tickets(store, TicketFilter("waived"))
    assert [(t.host, t.check_id, t.waiver_id) for t in waived] == [("sw1", A1[1], waiver.id)]
    assert len(list_tickets(store, TicketFilter("open"))) == 2  # still listed with the open ones
