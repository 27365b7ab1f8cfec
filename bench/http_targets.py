"""HTTP(S) collection benchmark: patrol's HttpCollector over N business-application targets.

Run by ``make bench`` (never by the tests); needs root and nginx (the lab's web component)::

    .venv/bin/python bench/http_targets.py                 # 200 targets (half HTTPS), forks 50
    .venv/bin/python bench/http_targets.py --count 400 --forks 100

The servers (nginx in front of the lab app, ``patrol.lab.web_lab.WebLab`` on free ports) run in a
separate process, so their CPU is not counted as the client's. Every target is a separate inventory
host: HTTPS ones fetch ``/`` (a redirect to ``/login``, expected text "Sign in") and get their
certificate judged against the lab CA (two more TLS handshakes each); HTTP ones fetch
``/api/health``. Printed table::

    targets  https  ok  failed  wall s  targets/s  client CPU ms/target  peak RSS MiB
        200    100 200       0    1.9      105.3                   9.1          71.0

Client CPU is this process's user+system time (``getrusage(RUSAGE_SELF)``) over the collection.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from patrol.collect.base import CollectContext
from patrol.collect.http import HttpCollector
from patrol.models import DeviceClass, Host, HostResult, HostStatus

SERVER = """
import json, socket, sys
from pathlib import Path
from patrol.lab.web_lab import WebLab
socks = [socket.socket() for _ in range(3)]
for sock in socks:
    sock.bind(("127.0.0.1", 0))
app, https, http = (sock.getsockname()[1] for sock in socks)
for sock in socks:
    sock.close()
lab = WebLab(app_port=app, https_port=https, http_port=http)
lab.start(Path(sys.argv[1]))
print(json.dumps({"https": https, "http": http}), flush=True)
sys.stdin.read()
lab.stop()
"""


def _targets(count: int, ports: dict[str, int], ca: str) -> list[Host]:
    hosts = []
    for i in range(count):
        if i % 2 == 0:
            url, extra = f"https://localhost:{ports['https']}/", {"patrol_expect_text": "Sign in", "patrol_ca_file": ca}
        else:
            url, extra = f"http://localhost:{ports['http']}/api/health", {}
        hosts.append(Host(name=f"app{i:04d}", address="127.0.0.1", device_class=DeviceClass.HOST, platform="http",
                          collector="http", connect_timeout=10, command_timeout=20,
                          vars={"patrol_platform": "http", "patrol_url": url, **extra}))  # fmt: skip
    return hosts


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(count: int, forks: int) -> dict[str, float | int]:
    with TemporaryDirectory() as tmp:
        root = Path(__file__).resolve().parents[1]
        server = subprocess.Popen([sys.executable, "-c", SERVER, tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  cwd=root, env=dict(os.environ, PYTHONPATH=str(root)), text=True)  # fmt: skip
        try:
            assert server.stdout is not None
            ports = json.loads(server.stdout.readline())
            hosts = _targets(count, ports, str(Path(tmp) / "web" / "ca.pem"))
            results: list[HostResult] = []
            ctx = CollectContext(run_id="bench", work_dir=Path(tmp), forks=forks)
            cpu, wall = _cpu(), time.perf_counter()
            HttpCollector().collect(hosts, ctx, results.append)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        finally:
            if server.stdin:
                server.stdin.close()
            server.wait(timeout=30)
    ok = sum(r.status is HostStatus.OK for r in results)
    return {"targets": count, "https": (count + 1) // 2, "ok": ok, "failed": count - ok, "wall s": round(wall, 2),
            "targets/s": round(count / wall, 1), "client CPU ms/target": round(1000 * cpu / count, 1),
            "peak RSS MiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("skipped: the web lab (nginx) runs only as root")
        return 0
    row = measure(args.count, args.forks)
    print("  ".join(f"{k:>{max(len(k), 6)}}" for k in row))
    print("  ".join(f"{v!s:>{max(len(k), 6)}}" for k, v in row.items()))
    return 0 if row["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
