"""Benchmark: findings ingested into tickets (issue 4's bar: <= 2 ms per finding per run on SQLite).

Builds RUNS runs of HOSTS x CHECKS findings through the real Store API (not timed), with a few
percent of the findings fixed in each run (auto-resolve) and coming back later (reopen), then
times :func:`patrol.tickets.sync_run` for each run. Prints a table::

    python bench/tickets.py [--findings 1000] [--runs 30] [--db /tmp/bench-tickets.db]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from patrol.models import CheckResult, DeviceClass, Finding, Host, HostResult, HostStatus, Outcome, RunStatus, Severity
from patrol.store import Store
from patrol.tickets import ServiceContract, sync_run

SEVERITIES = list(Severity)


def _host(name: str) -> Host:
    return Host(name=name, address="127.0.0.1", device_class=DeviceClass.NETWORK, platform="cisco_ios",
                collector="netmiko", groups=("core",))  # fmt: skip


def build_run(store: Store, run_id: str, keys: list[tuple[str, str]], fixed: set[tuple[str, str]]) -> None:
    hosts = sorted({h for h, _ in keys})
    store.create_run(run_id, inventory=["bench"], profiles=["bench"], limit=None, forks=1,
                     hosts=[_host(h) for h in hosts])  # fmt: skip
    for name in hosts:
        store.record_host_result(run_id, HostResult(host=name, status=HostStatus.OK, collector="netmiko"))
    results, findings = [], []
    for index, (host, check) in enumerate(keys):
        outcome = Outcome.PASS if (host, check) in fixed else Outcome.FAIL
        results.append(CheckResult(host=host, check_id=check, outcome=outcome, message="m"))
        if outcome is Outcome.FAIL:
            findings.append(Finding(run_id=run_id, host=host, check_id=check, severity=SEVERITIES[index % 4],
                                    domain=DeviceClass.NETWORK, title_en=check, title_zh=check,
                                    message=f"{check} failed on {host}: enable password 0 notreal",
                                    evidence={"matched_lines": ["line a", "line b"], "actual": index}))  # fmt: skip
    store.record_checks(run_id, results, findings)
    store.finish_run(run_id, RunStatus.COMPLETED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--flip", type=float, default=0.05, help="share of findings fixed in each run")
    parser.add_argument("--db", help="SQLite file [default: a temporary one]")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-tickets-")
    db = Path(args.db or Path(folder) / "bench.db")
    hosts = max(1, args.findings // 10)
    keys = [(f"h{i % hosts:04d}", f"bench.check{i // hosts:03d}") for i in range(args.findings)]
    rng = random.Random(4)
    contract = ServiceContract()
    timings: list[tuple[str, int, float, int, int, int]] = []
    with Store.open(f"sqlite:///{db}") as store:
        for n in range(args.runs):
            fixed = set(rng.sample(keys, int(len(keys) * args.flip))) if n else set()
            run_id = f"bench-{n:03d}"
            build_run(store, run_id, keys, fixed)
            started = time.perf_counter()
            report = sync_run(store, run_id, contract)
            elapsed = time.perf_counter() - started
            seen = len(keys) - len(fixed)
            timings.append((run_id, seen, elapsed, len(report.opened), len(report.resolved), len(report.reopened)))
    print(f"{'run':<10} {'findings':>8} {'sync s':>8} {'ms/finding':>10} {'opened':>7} {'resolved':>8} {'reopened':>8}")
    for run_id, seen, elapsed, opened, resolved, reopened in timings:
        print(f"{run_id:<10} {seen:>8} {elapsed:>8.3f} {1000 * elapsed / seen:>10.3f} {opened:>7} {resolved:>8} "
              f"{reopened:>8}")  # fmt: skip
    total = sum(t[2] for t in timings)
    count = sum(t[1] for t in timings)
    worst = max(1000 * t[2] / t[1] for t in timings)
    print(f"\n{len(timings)} runs, {count} findings: {total:.2f} s in sync_run, {1000 * total / count:.3f} ms per "
          f"finding per run (worst run {worst:.3f}); target <= 2 ms  [{db}]")  # fmt: skip


if __name__ == "__main__":
    main()
