"""History benchmark: a year of metric history, then ``trends`` / ``propose`` / ``forecast`` latency.

What is built (in ``--home``, default a temporary directory; SQLite + the Parquet metric store):

* DAYS daily runs of DEVICES synthetic network devices. Each device and day: 24 check results,
  5 resources (3 volumes, memory, an interface in bps) and its host row = 30 metric rows, so
  1,000 devices x 365 days ≈ 11M rows. Days 0..DAYS-2 go through the metric store's writer
  (:meth:`MetricStore.write` + the SQL catalogue, exactly what the history processor calls) fed
  with typed synthetic rows — building 365k host results through the SQL Store API would take hours.
  Closed months are compacted as the processor does.
* Tickets: the first ``--ticket-devices`` devices (default 50) go through the SQL Store API every
  day (host results, check results, findings) and the ticket stage's ``sync_run``, so tickets open,
  resolve and reopen on the synthetic calendar.
* The LAST day is one full run of every device through the Store API (snapshots, check results,
  findings), and the history processor's ``run_done`` (store rows -> metric store) is timed:
  that is "ingest of one run", compared with 5% of its collection time (0.15 s per device).

Then: ``patrol trends --since 90d`` and ``patrol propose --since 90d`` **cold** = a fresh
``python -m patrol`` process against the bench home (wall time, interpreter start and imports
included; the OS file cache is warm — not dropped, other work shares the machine), and **warm**
= p95 of repeated in-process calls; ``forecast`` warm p95; disk size.

    .venv/bin/python bench/history.py                       # 100 x 60, about a minute
    .venv/bin/python bench/history.py --devices 1000 --days 365 --home /tmp/hbench   # issue 5 scale
    .venv/bin/python bench/history.py --devices 1000 --days 365 --home /tmp/hbench   # again: reuses it
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from patrol.history.metricschema import CheckRow, FindingRow, HostMetric, ResourceRow, RunMetrics, RunRow  # noqa: E402
from patrol.history.metricstore import MetricStore, record_segments  # noqa: E402
from patrol.history.processor import HistoryProcessor  # noqa: E402
from patrol.models import (  # noqa: E402
    CheckResult,
    DeviceClass,
    Facts,
    Finding,
    Host,
    HostResult,
    HostStatus,
    Outcome,
    Resource,
    RunStatus,
    Severity,
    Snapshot,
)  # fmt: skip
from patrol.store import Store  # noqa: E402
from patrol.tickets import load_contract, sync_run  # noqa: E402

CHECKS = [f"bench.check{i:02d}" for i in range(24)]
VERSIONS = ["15.8(3)M2", "15.8(3)M5", "15.9(3)M4", "17.3.4"]
#: collection time of one device at the collect benchmark's target rate (200 devices in 30 s)
COLLECT_SECONDS_PER_DEVICE = 30 / 200


def _host(i: int) -> Host:
    return Host(name=f"dev{i:04d}", address="127.0.0.1", device_class=DeviceClass.NETWORK, platform="cisco_ios",
                collector="netmiko", groups=["network", f"site{i % 10}"])  # fmt: skip


def _failing(i: int, day: int) -> dict[str, Severity]:
    """Checks failing on device i that day: a rotating one every 5th day, a flapping one on every 50th device."""
    fail = {CHECKS[(day + i) % 24]: Severity.NORMAL} if (day + i) % 5 == 0 else {}
    if i % 50 == 0 and day % 2 == 0:
        fail[CHECKS[7]] = Severity.URGENT
    return fail


def _resources(i: int, day: int) -> list[tuple[str, str, float, float, str]]:
    """(kind, name, capacity, used, unit): volumes grow 0.05-0.15 points a day, one in 3 devices faster."""
    growth = 0.15 if i % 3 == 0 else 0.05
    out = []
    for v in range(3):
        pct = min(99.0, 20 + (i * 7 + v * 13) % 50 + growth * day + (0.3 if day % 3 == 0 else 0.0))
        out.append(("volume", f"/vol{v}", 1e12, 1e10 * pct, "bytes"))
    out.append(("memory", "Processor", 1e9, 1e7 * (40 + (i % 30)), "bytes"))
    out.append(("interface", "Gi0/1", 1e9, 1e7 * (10 + (i + day) % 40), "bps"))
    return out


def synthetic_run(run_id: str, devices: int, day: int, at: datetime) -> RunMetrics:
    """One day's metrics of every device as typed rows (what collect_run builds from SQL)."""
    metrics = RunMetrics(RunRow(run_id, at, "completed", devices, devices))
    for i in range(devices):
        name, failing = f"dev{i:04d}", _failing(i, day)
        metrics.hosts.append(HostMetric(name, "ok", "network", "cisco_ios", VERSIONS[i % 4],
                                        ("network", f"site{i % 10}")))  # fmt: skip
        metrics.checks.extend(CheckRow(name, "network", c, "", "fail" if c in failing else "pass") for c in CHECKS)
        metrics.findings.extend(FindingRow(name, "network", c, "", s.value) for c, s in failing.items())
        metrics.resources.extend(ResourceRow(name, k, n, used, cap, round(100 * used / cap, 2), unit)
                                 for k, n, cap, used, unit in _resources(i, day))  # fmt: skip
    return metrics


def _sql_run(store: Store, run_id: str, hosts: list[Host], day: int, at: datetime, snapshots: bool) -> None:
    """One run through the Store API (and the ticket stage)."""
    store.create_run(run_id, inventory=["bench"], profiles=["bench"], limit=None, forks=50, hosts=hosts)
    results: list[CheckResult] = []
    findings: list[Finding] = []
    for host in hosts:
        i = int(host.name[3:])
        snap = None
        if snapshots:
            resources = [
                Resource(kind=k, name=n, capacity=c, used=u, unit=unit) for k, n, c, u, unit in _resources(i, day)
            ]
            snap = Snapshot(host=host.name, device_class=host.device_class, platform=host.platform, collected_at=at,
                            facts=Facts(hostname=host.name, os_version=VERSIONS[i % 4]),
                            resources=resources)  # fmt: skip
        store.record_host_result(run_id, HostResult(host=host.name, status=HostStatus.OK, collector="netmiko",
                                                    snapshot=snap, started_at=at, finished_at=at))  # fmt: skip
        failing = _failing(i, day)
        results += [CheckResult(host=host.name, check_id=c, outcome=Outcome.FAIL if c in failing else Outcome.PASS)
                    for c in CHECKS]  # fmt: skip
        findings += [Finding(run_id=run_id, host=host.name, check_id=c, severity=s, domain=DeviceClass.NETWORK,
                             title_en=f"{c} failed", title_zh=f"{c} 失敗", message="synthetic")
                     for c, s in failing.items()]  # fmt: skip
    store.record_checks(run_id, results, findings)
    store.finish_run(run_id, RunStatus.COMPLETED)
    sync_run(store, run_id, load_contract(), now=at)


#: the metric store's layout this build has (a build of an older layout is not reused: 2 = change index)
LAYOUT = 2


def build(home: Path, devices: int, days: int, ticket_devices: int) -> dict[str, float]:
    """The history described in the module docstring; returns the timed figures of the build."""
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    ms = MetricStore(home / "metrics")
    MetricStore.bind(store, ms.root)
    hosts = [_host(i) for i in range(devices)]
    end = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    write_s = []
    for day in range(days - 1):
        at = end - timedelta(days=days - 1 - day)
        run_id = f"bench-{day:04d}"
        _sql_run(store, run_id, hosts[:ticket_devices], day, at, snapshots=False)
        t0 = time.perf_counter()
        record_segments(store, run_id, ms.write(synthetic_run(run_id, devices, day, at)))
        ms.compact(before=at)
        write_s.append(time.perf_counter() - t0)
        if day % 30 == 0:
            print(f"  day {day}/{days}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    last = f"bench-{days - 1:04d}"
    t0 = time.perf_counter()
    _sql_run(store, last, hosts, days - 1, end, snapshots=True)
    sql_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    HistoryProcessor().run_done(store, last, RunStatus.COMPLETED)
    ingest_s = time.perf_counter() - t0
    store.close()
    figures = {"ingest_s": ingest_s, "store_api_s": sql_s, "writer_median_s": statistics.median(write_s or [0.0]),
               "build_s": time.perf_counter() - started}  # fmt: skip
    (home / "bench.json").write_text(json.dumps({"devices": devices, "days": days, "layout": LAYOUT, **figures}),
                                     encoding="utf-8")  # fmt: skip
    return figures


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1] if len(samples) >= 2 else samples[0]


def _warm(fn: Callable[[], object], repeat: int) -> float:
    fn()  # first call in the process: imports, DuckDB and file metadata caches
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return _p95(samples)


def _cold(home: Path, args: list[str], repeat: int) -> float:
    env = dict(os.environ, PATROL_HOME=str(home), COLUMNS="200")
    env.pop("PATROL_DB", None)
    env.pop("PATROL_METRICS_DIR", None)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "patrol", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        samples.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"patrol {' '.join(args)} failed: {proc.stderr}")
    return max(samples)


def _rows(home: Path) -> int:
    import duckdb

    db = duckdb.connect()
    total = 0
    for table in ("hosts", "checks", "findings", "resources", "runs"):
        files = sorted(str(p) for p in (home / "metrics" / table).glob("month=*/*.parquet"))
        total += int(db.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchall()[0][0]) if files else 0
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--ticket-devices", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20, help="warm repeats (p95) [default: 20]")
    parser.add_argument("--cold", type=int, default=2, help="fresh processes per cold figure (max) [default: 2]")
    parser.add_argument("--home", type=Path, help="build here and keep it; an existing build of the same size "
                                                  "is reused [default: a temporary directory]")  # fmt: skip
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="patrol-hbench-"))
    marker = home / "bench.json"
    previous = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
    try:
        if (previous.get("devices"), previous.get("days"), previous.get("layout")) == (args.devices, args.days, LAYOUT):
            figures = previous
            print(f"reusing the history in {home} (built {previous['build_s']:.0f} s)", file=sys.stderr)
        else:
            if home.exists() and args.home:
                shutil.rmtree(home)
            figures = build(home, args.devices, args.days, min(args.ticket_devices, args.devices))
        report(home, args, figures)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


def report(home: Path, args: argparse.Namespace, figures: dict[str, float]) -> None:
    from patrol.history.forecast import forecast
    from patrol.history.proposals import load_rules, propose
    from patrol.history.trends import trends

    cold_trends = _cold(home, ["trends", "--since", "90d", "--format", "json"], args.cold)
    cold_propose = _cold(home, ["propose", "--since", "90d", "--format", "json"], args.cold)
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    MetricStore.bind(store, home / "metrics")
    now = datetime.now(UTC)
    since = now - timedelta(days=90)
    contract, rules = load_contract(), load_rules()
    warm_trends = _warm(lambda: trends(store, since, "domain", contract, now), args.repeat)
    warm_propose = _warm(lambda: propose(store, rules, contract, since, now), args.repeat)
    warm_forecast = _warm(lambda: forecast(store, "storage", now - timedelta(days=180), 180), args.repeat)
    found = propose(store, rules, contract, since, now)
    store.close()
    collect = args.devices * COLLECT_SECONDS_PER_DEVICE
    size = MetricStore(home / "metrics").size_bytes()
    print(f"history: {args.devices} devices x {args.days} daily runs, {_rows(home):,} metric rows "
          f"({len(found)} proposals; tickets from {min(args.ticket_devices, args.devices)} devices)")  # fmt: skip
    print(f"{'operation':<34}{'figure':>12}  target")
    print(f"{'ingest one run (processor)':<34}{figures['ingest_s']:>10.2f} s  <= {0.05 * collect:.2f} s "
          f"(5% of {collect:.0f} s collection)")  # fmt: skip
    print(f"{'trends --since 90d  cold':<34}{cold_trends:>10.2f} s  <= 5 s (fresh process, wall)")
    print(f"{'trends --since 90d  warm p95':<34}{warm_trends:>10.2f} s  <= 1 s")
    print(f"{'propose --since 90d cold':<34}{cold_propose:>10.2f} s  <= 5 s (fresh process, wall)")
    print(f"{'propose --since 90d warm p95':<34}{warm_propose:>10.2f} s  <= 1 s")
    print(f"{'forecast storage 180d warm p95':<34}{warm_forecast:>10.2f} s")
    print(f"{'metric store on disk':<34}{size / 2**20:>10.1f} MB  ({home / 'metrics'})")
    print(f"{'SQL store on disk':<34}{(home / 'patrol.db').stat().st_size / 2**20:>10.1f} MB")
    print(f"{'writer, one synthetic run':<34}{figures['writer_median_s']:>10.2f} s  (median, incl. compaction)")
    print(f"{'build (not a target)':<34}{figures['build_s']:>10.0f} s")


if __name__ == "__main__":
    main()
