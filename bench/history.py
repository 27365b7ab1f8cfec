"""History benchmark: ingest of daily runs, then ``trends`` / ``propose`` / ``forecast`` latency.

Builds DAYS daily runs of DEVICES synthetic devices through the Store API (create_run,
record_host_result with a snapshot of 4 resources, record_checks with 12 check results, finish_run,
and the ticket stage's sync_run), then times the analytics cold (first call in the process) and
warm (p95 of repeats). Issue 5's target scale is ``--devices 1000 --days 365`` (≈ 11M metric
rows); the default is a smaller run that finishes in about a minute.

    .venv/bin/python bench/history.py [--devices 100] [--days 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.models import (
    CheckResult,
    DeviceClass,
    Facts,
    Host,
    HostResult,
    HostStatus,
    Outcome,
    Resource,
    RunStatus,
    Snapshot,
)  # fmt: skip
from patrol.store import Store
from patrol.tickets import load_contract, sync_run

CHECKS = [f"bench.check{i:02d}" for i in range(12)]
#: collection time of one device at the collect benchmark's target rate (200 devices in 30 s)
COLLECT_SECONDS_PER_DEVICE = 30 / 200


def _host(i: int) -> Host:
    return Host(name=f"dev{i:04d}", address="127.0.0.1", device_class=DeviceClass.NETWORK, platform="cisco_ios",
                collector="netmiko",
                groups=["network", f"site{i % 10}"])  # fmt: skip


def _snapshot(host: Host, day: int, at: datetime) -> Snapshot:
    used = 30 + (hash(host.name) % 20) + 0.1 * day
    resources = [Resource(kind="volume", name=f"/vol{v}", capacity=1e12, used=1e10 * (used + v)) for v in range(3)]
    resources.append(Resource(kind="memory", name="Processor", capacity=1e9, used=4e8))
    facts = Facts(hostname=host.name, os_version=f"15.{hash(host.name) % 4}")
    return Snapshot(host=host.name, device_class=host.device_class, platform=host.platform, collected_at=at,
                    facts=facts, resources=resources)  # fmt: skip


def _checks(host: Host, day: int) -> list[CheckResult]:
    fail = {CHECKS[(day + hash(host.name)) % 12]} if day % 5 == 0 else set()
    return [CheckResult(host=host.name, check_id=c, outcome=Outcome.FAIL if c in fail else Outcome.PASS)
            for c in CHECKS]  # fmt: skip


def ingest_run(store: Store, hosts: list[Host], day: int, at: datetime) -> float:
    started = time.perf_counter()
    run_id = f"bench-{day:04d}"
    store.create_run(run_id, inventory=["bench"], profiles=["bench"], limit=None, forks=50, hosts=hosts)
    results = []
    for host in hosts:
        snap = _snapshot(host, day, at)
        store.record_host_result(run_id, HostResult(host=host.name, status=HostStatus.OK, collector="netmiko",
                                                    snapshot=snap, started_at=at, finished_at=at))  # fmt: skip
        results += _checks(host, day)
    store.record_checks(run_id, results, [])
    store.finish_run(run_id, RunStatus.COMPLETED)
    sync_run(store, run_id, load_contract(), now=at)
    return time.perf_counter() - started


def _time(fn: object, repeat: int) -> tuple[float, float]:
    call = fn  # type: ignore[assignment]
    t0 = time.perf_counter()
    call()  # type: ignore[operator]
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()  # type: ignore[operator]
        warm.append(time.perf_counter() - t0)
    p95 = statistics.quantiles(warm, n=20)[-1] if len(warm) >= 2 else warm[0]
    return cold, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        hosts = [_host(i) for i in range(args.devices)]
        end = datetime.now(UTC).replace(microsecond=0)
        ingest = [ingest_run(store, hosts, d, end - timedelta(days=args.days - 1 - d)) for d in range(args.days)]
        from patrol.history.forecast import forecast
        from patrol.history.proposals import load_rules, propose
        from patrol.history.trends import trends

        now, since = datetime.now(UTC), datetime.now(UTC) - timedelta(days=90)
        contract, rules = load_contract(), load_rules()
        rows = {
            "trends": _time(lambda: trends(store, since, "domain", contract, now), args.repeat),
            "propose": _time(lambda: propose(store, rules, contract, since, now), args.repeat),
            "forecast storage": _time(lambda: forecast(store, "storage", since, 180), args.repeat),
        }
        store.close()
    per_run = statistics.median(ingest)
    collect = args.devices * COLLECT_SECONDS_PER_DEVICE
    print(f"history: {args.devices} devices x {args.days} daily runs "
          f"({args.devices * args.days * 4:,} metric rows, {args.devices * args.days * 12:,} check results)")
    print(f"{'operation':<20}{'cold s':>10}{'warm p95 s':>12}{'target':>22}")
    for name, (cold, warm) in rows.items():
        print(f"{name:<20}{cold:>10.3f}{warm:>12.3f}{'<= 5 cold, <= 1 warm':>22}")
    print(f"{'ingest one run':<20}{per_run:>10.3f}{'':>12}{f'<= {0.05 * collect:.2f} (5% of {collect:.0f} s)':>22}")


if __name__ == "__main__":
    main()
