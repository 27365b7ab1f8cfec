"""One definition of opened / reopened / resolved: the monthly report's head, its SLA table and
``patrol trends`` agree on a history where tickets recur (created in June, reopened in November)
and one is resolved through the workflow (``patrol ticket resolve``), not by a run."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from patrol.checks import load_profiles
from patrol.history.processor import HistoryProcessor
from patrol.models import RunStatus
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from patrol.tickets import load_contract
from patrol.tickets.desk import move
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import Case, ingest

from .incli import patrol

GOOD_NTP = ["192.0.2.123", "192.0.2.124"]
#: (day, NTP servers lost?) — one ticket: opened Jun 2, resolved by the run of Jun 3; reopened Nov 3,
#: resolved by the run of Nov 5; reopened Nov 10, resolved by hand Nov 11; reopened by the run of Nov 12
DAYS = [(datetime(2026, 6, 1), False), (datetime(2026, 6, 2), True), (datetime(2026, 6, 3), False),
        (datetime(2026, 11, 1), False), (datetime(2026, 11, 3), True), (datetime(2026, 11, 4), True),
        (datetime(2026, 11, 5), False), (datetime(2026, 11, 10), True), (datetime(2026, 11, 12), True)]  # fmt: skip


def _switch(case: Case, lost: bool) -> Case:
    host, snap, status, error = case
    assert snap is not None
    return host, snap.model_copy(update={"security": snap.security | {"ntp_servers": [] if lost else GOOD_NTP}}), \
        status, error  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("recur") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles, switch = load_profiles([PROFILES_DIR]), lab_case(LAB_FIXTURES / "core-sw2.json")
    for day, lost in DAYS:
        at = day.replace(hour=2, tzinfo=UTC)
        if day.day == 12:  # Nov 11: the operator resolves the NTP ticket through the workflow
            _resolve_by_hand(store, at - timedelta(days=1))
        ingest(store, f"{at:%Y%m%d}", [_switch(switch, lost)], profiles, at)
        HistoryProcessor().run_done(store, f"{at:%Y%m%d}", RunStatus.COMPLETED)
    store.close()
    yield home


def _resolve_by_hand(store: Store, at: datetime) -> None:
    from sqlalchemy import select

    from patrol.store.schema_tickets import tickets

    with store.read() as conn:
        ticket_id = conn.execute(select(tickets.c.id).where(tickets.c.check_id.like("%ntp%"),
                                                             tickets.c.state == "submitted")).scalar_one()  # fmt: skip
    for step, action in enumerate(("analyse", "confirm", "escalate", "reply", "resolve")):
        move(store, load_contract(), str(ticket_id), action, "", "ops", now=at + timedelta(minutes=step))


def _head(text: str) -> tuple[int, int, int]:
    found = re.search(r"Tickets: (\d+) opened, (\d+) reopened, (\d+) resolved", text)
    assert found, text
    return int(found[1]), int(found[2]), int(found[3])


def _sla_rows(text: str) -> list[list[str]]:
    section = text.split("## SLA attainment by priority (resolve clock)", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("|")]
    return rows[2:]  # header, rule


def test_november_counts_agree_across_head_sla_table_and_trends(home: Path, tmp_path: Path) -> None:
    md = tmp_path / "nov.md"
    assert patrol(home, "report", "--period", "2026-11", "--format", "md", "--lang", "en", "-o", str(md)).code == 0
    text = md.read_text(encoding="utf-8")
    opened, reopened, resolved = _head(text)
    assert (opened, reopened, resolved) == (0, 3, 2)  # Nov 5 by a run, Nov 11 by hand (counted 0 before)
    rows = _sla_rows(text)
    assert next(r for r in rows if r[0] == "Normal")[:4] == ["Normal", "3", "2", "36.0"]  # (48 h + 24 h) / 2
    clocks, done = sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows)
    assert done == resolved  # the table's resolved clocks are the head's resolutions
    assert clocks == opened + reopened  # every clock of November started in November here
    assert "once per clock" in text  # the table says what it counts
    trend = json.loads(patrol(home, "trends", "--since", "2026-11-01", "--format", "json").stdout)
    weekly = trend["opened_resolved"]
    assert sum(w["opened"] for w in weekly) == opened + reopened
    assert sum(w["resolved"] for w in weekly) == resolved
    assert [(r["tickets"], r["resolved"]) for r in trend["sla"]] == [(int(r[1]), int(r[2])) for r in rows]


def test_june_report_counts_its_clock_and_not_novembers(home: Path, tmp_path: Path) -> None:
    md = tmp_path / "jun.md"
    assert patrol(home, "report", "--period", "2026-06", "--format", "md", "--lang", "en", "-o", str(md)).code == 0
    text = md.read_text(encoding="utf-8")
    opened, reopened, resolved = _head(text)
    assert (opened, reopened, resolved) == (1, 0, 1)
    rows = _sla_rows(text)
    assert next(r for r in rows if r[0] == "Normal")[:4] == ["Normal", "1", "1", "24.0"]
    assert sum(int(r[2]) for r in rows) == resolved
    assert sum(int(r[1]) for r in rows) == opened  # the November recurrence is not June's
