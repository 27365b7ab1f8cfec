"""Schedules as a user manages them (`patrol schedule ...`), the cron/zone maths, the misfire policy and leases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from patrol.service.errors import LeaseHeld, ScheduleError
from patrol.service.lease import acquire, release
from patrol.service.scheduler import claim_due
from patrol.service.schedules import Schedule, add_schedule, get_schedule, next_fire, sync_declared
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
    for args, message in BAD:
        result = patrol_cli("schedule", "add", *args, *INV)
        assert result.code == 2, args
        assert message in " ".join(result.stderr.split())
    assert listed(patrol_cli) == before


def test_unknown_schedule_names_the_fix(patrol_cli: PatrolCLI) -> None:
    result = patrol_cli("schedule", "run-now", "ghost")
    assert result.code == 2
    assert "no schedule 'ghost'" in result.stderr and "patrol schedule list" in result.stderr


def test_export_crontab_and_systemd(patrol_cli: PatrolCLI) -> None:
    patrol_cli("schedule", "add", "weekly", "--cron", "30 1 * * 1", "--timezone", "Asia/Shanghai",
               "--jitter", "90", "--limit", "network", *INV)  # fmt: skip
    cron = patrol_cli("schedule", "export", "--crontab")
    assert cron.code == 0, cron.output
    assert "CRON_TZ=Asia/Shanghai" in cron.stdout
    line = next(x for x in cron.stdout.splitlines() if x.startswith("30 1 * * 1 "))
    assert " -m patrol run -i " in line and "--limit network" in line
    units = patrol_cli("schedule", "export", "--systemd").stdout
    assert "OnCalendar=Mon *-*-* 1:30:00 Asia/Shanghai" in units
    assert "RandomizedDelaySec=90" in units and "[Install]" in units


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
