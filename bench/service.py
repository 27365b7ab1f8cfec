"""Service benchmark: scheduler tick cost with many schedules, lease churn, token checks, API latency.

Builds SCHEDULES schedules in a throw-away SQLite store, then times one ``claim_due`` tick with
none due and with all due, lease acquire+release pairs, token authentications, and (with
``--http``) GET /api/v1/schedules against a real ``patrol serve`` on a loopback port. With
``--dashboard HOME`` (a patrol home with runs, e.g. ``.patrol``), it times the dashboard's chart
work in process: the fleet charts and one host's drift view + capacity chart, cold (cache
disabled) and warm (the 60 s cache of :mod:`patrol.service.views`).

    .venv/bin/python bench/service.py [--schedules 1000] [--repeat 200] [--http] [--dashboard HOME]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol.models import utcnow
from patrol.service.claims import claim_due
from patrol.service.lease import acquire, release
from patrol.service.schedules import Schedule, add_schedule
from patrol.service.tokens import add_token, authenticate
from patrol.store import Store


def _timed(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def _row(name: str, samples: list[float]) -> None:
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    print(f"| {name:<40} | {statistics.median(samples):9.2f} | {p95:9.2f} | {len(samples):5d} |")


def _http(home: Path, token: str, repeat: int) -> list[float]:
    import httpx

    port = 18000 + os.getpid() % 1000
    env = dict(os.environ, PATROL_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "patrol", "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
            return _timed(lambda: client.get(url + "/api/v1/schedules").raise_for_status(), repeat)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _dashboard(home: Path, repeat: int) -> None:
    from patrol.service.views import TtlCache, capacity_chart, fleet_charts, host_drift
    from patrol.tickets import load_contract

    with Store.open(f"sqlite:///{home / 'patrol.db'}") as store:
        runs = store.list_runs(1)
        if not runs:
            raise SystemExit(f"{home}: no run to show; `patrol run` first")
        run_id, contract, warm = runs[0].run_id, load_contract(), TtlCache()
        host = next(h.host for h in store.host_results(run_id) if h.inspected)
        cold = max(1, repeat // 20)
        _row(
            "fleet charts, cold (trends + 2 PNG)",
            _timed(lambda: fleet_charts(store, contract, "zh", TtlCache(0)), cold),
        )
        _row("fleet charts, cached", _timed(lambda: fleet_charts(store, contract, "zh", warm), repeat))
        _row(f"capacity chart {host}, cold", _timed(lambda: capacity_chart(store, host, "en", TtlCache(0)), cold))
        _row(f"drift view {host} (baseline vs latest)", _timed(lambda: host_drift(store, host, run_id), cold))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--dashboard", type=Path, metavar="HOME", help="time the dashboard's charts on this home")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/patrol.db")
        start = utcnow()
        for i in range(args.schedules):
            add_schedule(store, Schedule(f"s{i:05d}", f"{i % 60} * * * *", ("inv",)), now=start)
        token = add_token(store, "bench", "viewer")
        print(f"| {'measure (ms)':<40} | {'median':>9} | {'p95':>9} | {'n':>5} |")
        print(f"|{'-' * 42}|{'-' * 11}|{'-' * 11}|{'-' * 7}|")
        _row(f"claim_due, none due ({args.schedules} schedules)", _timed(lambda: claim_due(store, now=start), 20))
        later = start + timedelta(hours=1)  # every schedule due once, none past the misfire grace
        _row(f"claim_due, all {args.schedules} due (one tick)", _timed(lambda: claim_due(store, now=later), 1))
        _row("lease acquire + release", _timed(lambda: (acquire(store, "b", "me"), release(store, "b", "me")),
                                               args.repeat))  # fmt: skip
        _row("token authenticate", _timed(lambda: authenticate(store, token), args.repeat))
        store.close()
        if args.http:
            _row("HTTP GET /api/v1/schedules (keep-alive)", _http(Path(tmp), token, args.repeat))
    if args.dashboard:
        _dashboard(args.dashboard, args.repeat)


if __name__ == "__main__":
    main()
