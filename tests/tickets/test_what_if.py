"""Issue 16 items 1, 9, 10 at the service desk, through the real `patrol` command (in-process):
`patrol sla --at` is a what-if that writes nothing; remaining time reads "N min left" /
"overdue N min"; dates are read in the user's forms and echoed; desk listings say what they mean."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from patrol.models import Severity
from patrol.store import Store
from patrol.tickets import load_contract, sync_run
from tests.tickets.conftest import make_run
from tests.tickets.test_desk import NEW, PatrolCLI
from tests.tickets.test_desk import patrol_cli as patrol_cli  # the fixture

SERVICE = Path(__file__).resolve().parents[2] / "inspect" / "service.yml"  # critical: respond 15m, resolve 4h


def _rows(cli: PatrolCLI, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(cli.home / "patrol.db")
    try:
        return list(con.execute(sql))
    finally:
        con.close()


def test_sla_what_if_writes_nothing_and_now_escalates_with_minutes_left(patrol_cli: PatrolCLI) -> None:
    cli = patrol_cli
    opened = datetime.now(UTC) - timedelta(minutes=12)  # 80 % of the 15 min respond clock used
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        run = make_run(store, "r1", failing=[("core-sw1", "net.telnet.disabled", "")], severity=Severity.CRITICAL)
        sync_run(store, run, load_contract(SERVICE), now=opened)
    listed = cli("tickets")
    assert listed.code == 0 and "respond warning (2 min left)" in listed.stdout, listed.output
    assert "+0." not in listed.stdout and "-0." not in listed.stdout
    what_if = cli("sla", "--at", "+1d")
    assert what_if.code == 0, what_if.output
    assert "what-if +1d: nothing written" in what_if.stdout and "2 would be escalated" in what_if.stdout
    assert "would be escalated: ticket 1 respond clock breached, overdue 23 h 5" in what_if.stdout  # 56/57 min
    assert _rows(cli, "SELECT * FROM sla_alerts") == []
    assert [r[0] for r in _rows(cli, "SELECT action FROM ticket_events")] == ["opened"], "no event dated tomorrow"
    now = cli("sla")
    assert now.code == 0 and "1 escalated now" in now.stdout, now.output
    assert "escalated: ticket 1 respond clock warning, 2 min left" in now.stdout
    shown = json.loads(cli("ticket", "show", "1", "--json").stdout)
    event = next(e for e in shown["timeline"] if e["action"] == "sla_warning")
    assert "2 min left" in event["note"] and "past 75% of its time" in event["note"]
    assert datetime.fromisoformat(event["at"]) <= datetime.now(UTC), "dated now, not in the future"
    assert shown["class"] == "defect" and "klass" not in shown
    again = cli("sla", "--json")
    assert json.loads(again.stdout)["escalated"] == [], "the same warning is not escalated twice"


def test_waiver_until_a_date_is_the_end_of_that_day_echoed_back(patrol_cli: PatrolCLI) -> None:
    cli = patrol_cli
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        sync_run(store, make_run(store, "r1", failing=[("sw1", "net.ntp.servers", "")]), load_contract(SERVICE))
    day = datetime.now() + timedelta(days=30)
    why = ("--check", "net.ntp.servers", "--host", "sw1", "--reason", "NTP migration", "--approver", "Zhang Wei")
    slashed = cli("waive", *why, "--until", day.strftime("%d/%m/%Y") if day.day > 12 else day.strftime("%d.%m.%Y"))
    assert slashed.code == 0, slashed.output
    assert f"until {day:%Y-%m-%d} (end of day)" in slashed.stdout
    waiver = json.loads(cli("waivers", "--json").stdout)[0]
    until = datetime.fromisoformat(waiver["until"]).astimezone()
    assert (until.date(), until.hour, until.minute) == (day.date(), 23, 59)
    ambiguous = cli("waive", *why, "--until", "04/05/2030")
    assert ambiguous.code == 2 and "--until: '04/05/2030' is ambiguous" in ambiguous.stderr
    assert "2030-05-04 or 2030-04-05" in ambiguous.stderr
    past = cli("waive", *why, "--until", "yesterday")
    assert past.code == 2 and "(end of day), which is not in the future" in past.stderr


def test_desk_listing_and_refusals_say_what_they_mean(patrol_cli: PatrolCLI) -> None:
    cli = patrol_cli
    assert cli(*NEW, "--class", "consultation", "--priority", "normal", "printer question").code == 0
    assert cli(*NEW, "--class", "defect", "--priority", "urgent", "core switch reboots").code == 0
    table = cli("tickets").stdout
    header = next(line for line in table.splitlines() if "host" in line and "location" in line)
    row = next(line for line in table.splitlines() if "printer question" in line)
    columns = dict(zip([c.strip() for c in header.split("┃")], [c.strip() for c in row.split("│")], strict=True))
    assert columns["host"] == "" and columns["location"] == "DC1 room 3", columns
    refused = cli("ticket", "move", "2", "reply")
    assert refused.code == 2 and "analyse → confirm → escalate → reply → resolve → close" in refused.stderr
    listed = json.loads(cli("tickets", "--json").stdout)
    assert {t["class"] for t in listed} == {"consultation", "defect"} and all("klass" not in t for t in listed)
    typo = cli("ticket", "mvoe", "1", "close")
    assert typo.code == 2 and "Did you mean 'move'?" in typo.stderr


def test_monthly_report_says_none_where_a_section_is_empty(patrol_cli: PatrolCLI) -> None:
    cli = patrol_cli
    with Store.open(f"sqlite:///{cli.home / 'patrol.db'}") as store:
        sync_run(store, make_run(store, "r1", failing=[("sw1", "net.ntp.servers", "")]), load_contract(SERVICE))
    month = datetime.now(UTC).strftime("%Y-%m")
    for fmt, none in (("md", "## Improvement proposals\n\nNone.\n"), ("html", '<p class="none">None.</p>')):
        path = cli.home / f"month.{fmt}"
        written = cli("report", "--period", month, "--format", fmt, "-o", str(path), "--lang", "en")
        assert written.code == 0, written.output
        assert none in path.read_text(encoding="utf-8"), fmt
