"""The snapshot store on real databases (SQLite files; PostgreSQL when a server can be started)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from patrol.errors import NotFoundError, StoreError
from patrol.models import (
    CheckResult,
    Finding,
    Host,
    HostResult,
    HostStatus,
    Outcome,
    RunStatus,
    Severity,
    Snapshot,
)
from patrol.store import SCHEMA_VERSION, Store

RUN = "20261126-020003-9f3a"


def host(name: str, device_class: str = "network", platform: str = "cisco_ios") -> Host:
    return Host(
        name=name,
        address="127.0.0.1",
        device_class=device_class,
        platform=platform,
        collector="netmiko",
        groups=("network", "core"),
    )


def finding(name: str, check_id: str, severity: str, domain: str = "network", obj: str = "") -> Finding:
    return Finding(
        run_id=RUN,
        host=name,
        check_id=check_id,
        object=obj,
        severity=severity,
        domain=domain,
        title_en="t",
        title_zh="題",
        message=f"{check_id} failed",
        evidence={"actual": [1]},
    )


def start_run(store: Store, run_id: str = RUN, hosts: tuple[str, ...] = ("sw1", "sw2", "sw3")) -> None:
    store.create_run(
        run_id, inventory=["inventory/lab"], profiles=["inspect"], limit=None, forks=5, hosts=[host(h) for h in hosts]
    )


def test_run_lifecycle(store: Store) -> None:
    start_run(store)
    snapshot = Snapshot(
        host="sw1",
        device_class="network",
        platform="cisco_ios",
        security={"ntp_servers": ["192.0.2.99"]},
        config="hostname sw1\n",
    )
    store.record_host_result(
        RUN, HostResult(host="sw1", status=HostStatus.OK, collector="netmiko", snapshot=snapshot, attempts=2)
    )
    store.record_host_result(
        RUN, HostResult(host="sw2", status=HostStatus.UNREACHABLE, collector="netmiko", error="connection refused")
    )
    results = [
        CheckResult(host="sw1", check_id="net.ntp.servers", outcome=Outcome.FAIL, evidence={"a": 1}),
        CheckResult(host="sw1", check_id="net.telnet.disabled", outcome=Outcome.PASS),
    ]
    store.record_checks(
        RUN, results, [finding("sw1", "net.ntp.servers", "normal"), finding("sw2", "coverage.not_inspected", "urgent")]
    )
    assert store.run_summary(RUN).status is RunStatus.RUNNING
    assert store.findings() == []  # no completed run yet
    store.finish_run(RUN, RunStatus.COMPLETED)

    summary = store.run_summary(RUN)
    assert (summary.status, summary.hosts_total, summary.hosts_inspected) == (RunStatus.COMPLETED, 3, 1)
    assert summary.gaps == {
        "sw2": "unreachable: connection refused",
        "sw3": "aborted: no result: the run ended completed before this host was collected",
    }
    assert summary.findings_by_severity == {"normal": 1, "urgent": 1}
    rows = {r.host: r for r in store.host_results(RUN)}
    assert (rows["sw1"].status, rows["sw1"].attempts, rows["sw1"].groups) == (HostStatus.OK, 2, ("network", "core"))
    assert rows["sw1"].started_at is not None and rows["sw1"].started_at.tzinfo is not None
    assert store.snapshot(RUN, "sw1") == snapshot
    assert store.snapshot(RUN, "sw2") is None
    assert store.check_results(RUN, "sw1") == results
    assert [f.check_id for f in store.findings()] == ["coverage.not_inspected", "net.ntp.servers"]
    assert [f.host for f in store.findings(RUN, severity=[Severity.NORMAL])] == ["sw1"]
    assert store.findings(RUN, host="sw2", domain="network")[0].evidence == {"actual": [1]}
    assert store.findings(RUN, domain="storage") == []


def test_record_checks_replaces_previous_results_of_the_host(store: Store) -> None:
    start_run(store)
    store.record_checks(
        RUN, [CheckResult(host="sw1", check_id="a.b", outcome=Outcome.FAIL)], [finding("sw1", "a.b", "urgent")]
    )
    store.record_checks(RUN, [CheckResult(host="sw1", check_id="a.b", outcome=Outcome.PASS)], [])
    assert [r.outcome for r in store.check_results(RUN)] == [Outcome.PASS]
    assert store.findings(RUN) == []


def test_resolve_run(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no runs yet"):
        store.resolve_run("latest")
    start_run(store, "20261125-010000-aaaa")
    start_run(store, "20261126-010000-bbbb")
    start_run(store, "20261126-010000-bbbc")
    assert store.resolve_run("latest") == store.resolve_run("last") == "20261126-010000-bbbc"
    assert store.resolve_run("20261125") == "20261125-010000-aaaa"
    assert store.resolve_run("20261126-010000-bbbb") == "20261126-010000-bbbb"
    with pytest.raises(NotFoundError, match=r"ambiguous.*20261126-010000-bbbb, 20261126-010000-bbbc"):
        store.resolve_run("20261126")
    with pytest.raises(NotFoundError, match="recent runs: 20261126-010000-bbbc"):
        store.resolve_run("2024%")
    assert [r.run_id for r in store.list_runs(limit=2)] == ["20261126-010000-bbbc", "20261126-010000-bbbb"]


def test_unknown_run_and_duplicate_run(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no run 'nope'"):
        store.record_host_result("nope", HostResult(host="x", status=HostStatus.OK, collector="c"))
    start_run(store)
    with pytest.raises(StoreError, match="already exists"):
        start_run(store)


def test_sqlite_is_wal_and_reopens_without_migrating_again(sqlite_url: str, tmp_path: Path) -> None:
    Store.open(sqlite_url).close()
    Store.open(sqlite_url).close()
    db = sqlite3.connect(tmp_path / "state" / "patrol.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT max(version), count(*) FROM schema_version").fetchall() == [
        (SCHEMA_VERSION, SCHEMA_VERSION)
    ]


def test_newer_database_is_refused(sqlite_url: str) -> None:
    Store.open(sqlite_url).close()
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version VALUES (99, 'future', '2030-01-01 00:00:00')"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"schema version 99, newer than this patrol understands.*upgrade patrol"):
        Store.open(sqlite_url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL"),
        ("nosuchdb://x/y", "unsupported database or driver not installed"),
    ],
)
def test_bad_url(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        Store.open(url)


def test_unusable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match=f"store {blocker}/sub/patrol.db: cannot create folder"):
        Store.open(f"sqlite:///{blocker}/sub/patrol.db")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open the database"):
        Store.open(f"sqlite:///{tmp_path / 'dir.db'}")


def test_password_never_in_error() -> None:
    with pytest.raises(StoreError) as info:
        Store.open("postgresql+psycopg://patrol:S3cret-Pw@127.0.0.1:1/patrol?connect_timeout=2")
    assert "S3cret-Pw" not in str(info.value) and "***" in str(info.value)


def test_threads_record_concurrently(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    names = tuple(f"h{i:02d}" for i in range(40))
    start_run(store, hosts=names)

    def record(name: str) -> None:
        store.record_host_result(
            RUN,
            HostResult(
                host=name,
                status=HostStatus.OK,
                collector="c",
                snapshot=Snapshot(host=name, device_class="host", platform="linux"),
            ),
        )

    threads = [threading.Thread(target=record, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.run_summary(RUN).hosts_inspected == 40
    store.close()


KILLED_RUN = """
import os, sys, time
from patrol.models import Host, HostResult, HostStatus
from patrol.store import Store
store = Store.open(sys.argv[1])
hosts = [Host(name=n, address="127.0.0.1", device_class="network", platform="cisco_ios", collector="netmiko")
         for n in ("a", "b")]
store.create_run("killed-run", inventory=["inv"], profiles=["inspect"], limit=None, forks=1, hosts=hosts)
store.record_host_result("killed-run", HostResult(host="a", status=HostStatus.OK, collector="netmiko"))
print("recorded", flush=True)
time.sleep(60)
"""


def test_killed_run_is_aborted_by_the_next_command(sqlite_url: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_RUN), sqlite_url], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "recorded"
    store = Store.open(sqlite_url)
    start_run(store)  # this process's own running run must survive
    assert store.abort_orphaned_runs() == []  # the other process is alive
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert store.abort_orphaned_runs() == ["killed-run"]
    summary = store.run_summary("killed-run")
    assert summary.status is RunStatus.ABORTED and summary.hosts_inspected == 1
    assert summary.gaps == {"b": "aborted: no result: the run's process died before this host was collected"}
    assert store.run_summary(RUN).status is RunStatus.RUNNING
    assert store.abort_orphaned_runs() == []
    store.close()
