"""Schedules as a user manages them (`patrol schedule ...`), the cron/zone maths, the misfire policy and leases."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from patrol.service.claims import claim_due
from patrol.service.errors import LeaseHeld, ScheduleError
from patrol.service.export import JobTarget, to_crontab, to_systemd
from patrol.service.lease import acquire, release
from patrol.service.schedules import (
    ReportDelivery,
    Schedule,
    add_schedule,
    get_schedule,
    list_schedules,
    next_fire,
    previous_month,
    sync_declared,
    validate,
)
from patrol.store import Store
from tests.conftest import LAB_INVENTORY, PatrolCLI

INV = ("-i", str(LAB_INVENTORY))


def listed(cli: PatrolCLI) -> list[dict[str, object]]:
    result = cli("schedule", "list", "--json")
    assert result.code == 0, result.output
    return list(json.loads(result.stdout))


def test_add_list_pause_resume_remove(patrol_cli: PatrolCLI) -> None:
    added = patrol_cli("schedule", "add", "daily-net", "--cron", "0 2 * * *", "--timezone", "Asia/Shanghai",
                       "--limit", "network", "--jitter", "0", *INV)  # fmt: skip
    assert added.code == 0, added.output
    assert "next run 20" in added.stdout and "18:00:00 UTC" in added.stdout  # 02:00 in Shanghai = 18:00 UTC
    [s] = listed(patrol_cli)
    assert (s["name"], s["cron"], s["timezone"], s["limit"], s["paused"]) == (
        "daily-net", "0 2 * * *", "Asia/Shanghai", "network", False)  # fmt: skip
    assert patrol_cli("schedule", "pause", "daily-net").code == 0
    assert listed(patrol_cli)[0]["paused"] is True
    assert "resumed; next run" in patrol_cli("schedule", "resume", "daily-net").stdout
    assert patrol_cli("schedule", "remove", "daily-net").code == 0
    assert listed(patrol_cli) == []


BAD = [
    (("nightly", "--cron", "0 2 * * *"), "exists already"),
    (("other", "--cron", "0 25 * * *"), "invalid cron expression '0 25 * * *'"),
    (("other", "--cron", "every day"), "invalid cron expression 'every day'"),
    (("other", "--cron", "0 2 * * *", "--timezone", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
]


def test_bad_schedules_are_refused_and_change_nothing(patrol_cli: PatrolCLI) -> None:
    assert patrol_cli("schedule", "add", "nightly", "--cron", "0 3 * * *", *INV).code == 0
    before = listed(patrol_cli)
    running = [(patrol_cli.popen("schedule", "add", *args, *INV), args, message) for args, message in BAD]
    for proc, args, message in running:  # side by side: each is refused before it writes
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 2, args
        assert message in " ".join(stderr.split())
    assert listed(patrol_cli) == before


def test_unknown_schedule_names_the_fix(patrol_cli: PatrolCLI) -> None:
    result = patrol_cli("schedule", "run-now", "ghost")
    assert result.code == 2
    assert "no schedule 'ghost'" in result.stderr and "patrol schedule list" in result.stderr


def test_export_crontab_and_systemd_honour_zone_and_jitter(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    patrol_cli("schedule", "add", "weekly", "--cron", "30 1 * * 1", "--timezone", "Asia/Shanghai",
               "--jitter", "90", "--limit", "network", *INV)  # fmt: skip
    patrol_cli("schedule", "add", "steady", "--cron", "0 3 * * *", "--timezone", "Europe/Berlin", *INV)
    cron = patrol_cli("schedule", "export", "--crontab")
    assert cron.code == 0, cron.output
    lines = cron.stdout.splitlines()
    assert "SHELL=/bin/bash" in lines  # $RANDOM is a bash variable
    weekly = next(x for x in lines if x.startswith("30 1 * * 1 "))
    assert lines[lines.index(weekly) - 1] == "CRON_TZ=Asia/Shanghai"
    assert weekly.startswith("30 1 * * 1 sleep $((RANDOM \\% 91)) && ")  # cron reads a bare % as a newline
    assert " -m patrol --home " in weekly and " run -i " in weekly and "--limit network" in weekly
    steady = next(x for x in lines if x.startswith("0 3 * * * "))
    assert lines[lines.index(steady) - 1] == "CRON_TZ=Europe/Berlin" and "sleep" not in steady
    job = weekly.split(" ", 5)[5].replace("\\%", "%")  # what cron hands to bash
    assert subprocess.run(["bash", "-n", "-c", job], check=False).returncode == 0
    units = patrol_cli("schedule", "export", "--systemd").stdout
    assert "OnCalendar=Mon *-*-* 1:30:00 Asia/Shanghai" in units and "OnCalendar=*-*-* 3:00:00 Europe/Berlin" in units
    assert units.count("RandomizedDelaySec=") == 1 and "RandomizedDelaySec=90" in units and "[Install]" in units
    if shutil.which("systemd-analyze"):
        for when in ("Mon *-*-* 1:30:00 Asia/Shanghai", "*-*-* 3:00:00 Europe/Berlin"):
            checked = subprocess.run(["systemd-analyze", "calendar", when], capture_output=True, text=True,
                                     check=False)  # fmt: skip
            assert checked.returncode == 0 and "Next elapse" in checked.stdout, checked.stderr


SERVICE = "notify:\n  - {name: noc-mail, type: smtp, host: 127.0.0.1, port: 25, sender: p@x.net, to: [a@x.net]}\n"


def test_unknown_recipients_are_refused_naming_the_known_ones(patrol_cli: PatrolCLI, tmp_path: Path) -> None:
    service = tmp_path / "service.yml"
    service.write_text(SERVICE)
    result = patrol_cli("schedule", "add", "mail", "--cron", "0 2 * * *", "--recipient", "noc-mail", "--recipient",
                        "ghost", "--service", str(service), *INV)  # fmt: skip
    assert result.code == 2
    message = " ".join(result.stderr.split())
    assert "unknown report recipient(s) ghost" in message and "known: noc-mail" in message
    assert listed(patrol_cli) == []


def test_declared_recipients_are_checked_before_anything_is_written(store: Store, tmp_path: Path) -> None:
    from patrol.tickets import load_contract

    (tmp_path / "service.yml").write_text(SERVICE)
    folder = tmp_path / "inspect"
    folder.mkdir()
    declared = folder / "schedules.yml"
    declared.write_text(
        "schedules:\n  a: {cron: '0 2 * * *', inventory: [inv], report: {recipients: [noc-mail]}}\n"
        "  b: {cron: '0 2 * * *', inventory: [inv], report: {recipients: [pager]}}\n"
    )
    with pytest.raises(ScheduleError, match=r"schedules.yml: schedule 'b'.*recipient\(s\) pager.*known: noc-mail"):
        sync_declared(store, declared, contract=load_contract(tmp_path / "service.yml"))
    assert list_schedules(store) == []


def test_a_report_schedule_needs_no_inventory_and_takes_period_formats(patrol_cli: PatrolCLI) -> None:
    added = patrol_cli("schedule", "add", "monthly", "--cron", "0 8 1 * *", "--timezone", "Asia/Shanghai",
                       "--report-period", "monthly", "--format", "xlsx", "--lang", "zh")  # fmt: skip
    assert added.code == 0, added.output
    [s] = listed(patrol_cli)
    assert (s["kind"], s["report"]["period"], s["report"]["format"]) == ("report", "monthly", "xlsx")
    sent = patrol_cli("schedule", "run-now", "monthly")  # no recipient: the file is written, nobody mailed
    assert sent.code == 0 and "report monthly delivered" in sent.stdout, sent.output
    last_month = (datetime.now(ZoneInfo("Asia/Shanghai")).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert (patrol_cli.home / "reports" / f"period-{last_month}.xlsx").read_bytes()[:2] == b"PK"
    bad = patrol_cli("schedule", "add", "m2", "--cron", "0 8 1 * *", "--report-period", "monthly", "--format", "json")
    assert bad.code == 2 and "a monthly report is one of html, md, xlsx" in " ".join(bad.stderr.split())
    with pytest.raises(ScheduleError, match="needs an inventory"):
        validate(Schedule("m3", "0 8 1 * *", ()))
    monthly = Schedule("m", "0 8 1 * *", (), timezone="Asia/Shanghai", report=ReportDelivery(period="monthly"))
    target = JobTarget.of(Path("/srv/p"), "sqlite:////srv/p/patrol.db", Path("/srv/p/metrics"), None)
    assert "m: monthly report delivery, runs under `patrol serve` only" in to_crontab([monthly], target)
    assert previous_month(monthly, datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-11"  # Dec 1 00:00 Shanghai
    assert previous_month(monthly, datetime(2026, 12, 15, tzinfo=UTC)) == "2026-11"


def test_next_fire_follows_the_zone_and_seconds_field() -> None:
    after = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    daily = Schedule("d", "0 2 * * *", ("inv",), timezone="Europe/Berlin")
    assert next_fire(daily, after) == datetime(2026, 3, 28, 1, 0, tzinfo=UTC)  # 02:00 CET (+1)
    assert next_fire(daily, datetime(2026, 3, 29, 2, 0, tzinfo=UTC)) == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # CEST
    seconds = Schedule("s", "* * * * * */10", ("inv",))
    assert next_fire(seconds, after) == after + timedelta(seconds=10)
    jittered = Schedule("j", "0 * * * *", ("inv",), jitter=60)
    fires = {next_fire(jittered, after) for _ in range(20)}
    assert all(after + timedelta(hours=1) <= f <= after + timedelta(hours=1, seconds=60) for f in fires)
    assert len(fires) > 1


def test_a_firing_is_claimed_once_and_late_ones_follow_the_misfire_policy(store: Store) -> None:
    t0 = datetime(2026, 11, 26, 1, 59, tzinfo=UTC)
    add_schedule(store, Schedule("n", "0 2 * * *", ("inv",)), now=t0)
    due = get_schedule(store, "n").next_due
    assert due == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert claim_due(store, now=due - timedelta(seconds=1)) == []
    late = due + timedelta(minutes=10)  # within the 1 h grace: runs once
    assert [c.schedule.name for c in claim_due(store, now=late)] == ["n"]
    assert claim_due(store, now=late) == []  # a second scheduler finds nothing to claim
    nxt = get_schedule(store, "n").next_due
    assert nxt == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert claim_due(store, now=nxt + timedelta(days=2)) == []  # missed for days: skipped, not replayed
    after = get_schedule(store, "n")
    assert after.last_status == "missed" and after.next_due == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_lease_is_exclusive_until_it_expires(store: Store) -> None:
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    acquire(store, "schedule:n", "a", seconds=60, now=now)
    with pytest.raises(LeaseHeld, match="held by a"):
        acquire(store, "schedule:n", "b", seconds=60, now=now + timedelta(seconds=59))
    acquire(store, "schedule:n", "b", seconds=60, now=now + timedelta(seconds=61))  # a crashed: b takes over
    release(store, "schedule:n", "a")  # a's late release does not free b's lease
    with pytest.raises(LeaseHeld, match="held by b"):
        acquire(store, "schedule:n", "c", seconds=60, now=now + timedelta(seconds=62))


def test_declared_schedules_win_and_bad_files_change_nothing(store: Store, tmp_path: Path) -> None:
    add_schedule(store, Schedule("daily", "0 2 * * *", ("inv",), limit="network"))
    folder = tmp_path / "inspect"
    folder.mkdir()
    good = folder / "schedules.yml"
    good.write_text(
        "schedules:\n  daily: {cron: '0 4 * * *', timezone: Asia/Shanghai, inventory: [inv], limit: core}\n"
    )
    assert sync_declared(store, good) == ["daily"]
    s = get_schedule(store, "daily")
    assert (s.cron, s.timezone, s.limit, s.source) == ("0 4 * * *", "Asia/Shanghai", "core", "file")
    bad = folder / "bad.yml"
    bad.write_text(
        "schedules:\n  daily: {cron: '0 5 * * *', inventory: [inv]}\n  broken: {cron: '61 * * * *', inventory: [x]}\n"
    )
    with pytest.raises(ScheduleError, match=r"bad.yml: schedule 'broken': cron: invalid cron"):
        sync_declared(store, bad)
    assert get_schedule(store, "daily").cron == "0 4 * * *"


def _unreachable_inventory(folder: Path) -> Path:
    """One host on a port where nothing listens: a run is recorded at once (the host uninspected)."""
    inventory = folder / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    gone-sw1: {ansible_host: 127.0.0.1, ansible_port: 6099, "
                         "ansible_user: ops, ansible_password: none, patrol_platform: cisco_ios}\n",
                         encoding="utf-8")  # fmt: skip
    return inventory


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``patrol ARGS`` from ``cwd`` with the default home (``./.patrol``: no PATROL_HOME, no --home)."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PATROL_")} | {"COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "patrol", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


@pytest.mark.parametrize("kind", ["crontab", "systemd"])
def test_exported_job_writes_into_the_exporting_store_from_any_cwd(tmp_path: Path, kind: str) -> None:
    ops, elsewhere = tmp_path / "ops", tmp_path / "elsewhere"
    ops.mkdir()
    elsewhere.mkdir()
    inventory = _unreachable_inventory(ops)
    added = _cli(ops, "schedule", "add", "nightly", "--cron", "0 2 * * *", "-i", str(inventory))
    assert added.returncode == 0, added.stderr
    exported = _cli(ops, "schedule", "export", f"--{kind}")
    assert exported.returncode == 0, exported.stderr
    home = (ops / ".patrol").resolve()
    assert f"--home {home}" in exported.stdout and f"--db sqlite:///{home / 'patrol.db'}" in exported.stdout
    if kind == "crontab":
        line = next(x for x in exported.stdout.splitlines() if x.startswith("0 2 * * * "))
        job = line.split(" ", 5)[5].replace("\\%", "%")  # what cron hands to bash
    else:
        assert f"WorkingDirectory={home}" in exported.stdout and f"Environment=PATROL_HOME={home}" in exported.stdout
        job = next(x for x in exported.stdout.splitlines() if x.startswith("ExecStart=")).split("=", 1)[1]
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("PATROL_")}
    subprocess.run(["bash", "-c", job], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
                   check=False)  # fmt: skip
    assert not (elsewhere / ".patrol").exists()  # nothing went to the job's own working directory
    runs = _cli(ops, "runs", "--json")
    assert runs.returncode == 0 and len(json.loads(runs.stdout)) == 1, runs.stdout + runs.stderr


def test_export_never_writes_the_database_password(patrol_cli: PatrolCLI) -> None:
    target = JobTarget.of(Path("/srv/p"), "postgresql+psycopg://patrol:s3cret@db.example.net/patrol",
                          Path("/srv/p/metrics"), Path("/srv/p/patrol.yml"))  # fmt: skip
    monthly = Schedule("n", "0 2 * * *", ("/srv/inv",))
    for text in (to_crontab([monthly], target), to_systemd([monthly], target)):
        assert "s3cret" not in text and "--db postgresql+psycopg://patrol@db.example.net/patrol" in text
        assert "~/.pgpass" in text and "PATROL_CONFIG=/srv/p/patrol.yml" in text


def test_a_monthly_report_schedule_takes_docx(patrol_cli: PatrolCLI) -> None:
    added = patrol_cli("schedule", "add", "monthly", "--cron", "0 8 1 * *", "--report-period", "monthly",
                       "--format", "docx")  # fmt: skip
    assert added.code == 0, added.output
    sent = patrol_cli("schedule", "run-now", "monthly")
    assert sent.code == 0, sent.output
    assert any(p.suffix == ".docx" and p.read_bytes()[:2] == b"PK" for p in (patrol_cli.home / "reports").iterdir())
    run = patrol_cli("schedule", "add", "nightly", "--cron", "0 2 * * *", "--format", "docx", *INV)
    assert run.code == 2 and "a run report is one of html, md, json, junit, xlsx" in " ".join(run.stderr.split())
