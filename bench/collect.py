"""Collection benchmark: patrol's NetmikoCollector against N emulated Cisco IOS devices.

Run by ``make bench`` (never by the tests)::

    .venv/bin/python bench/collect.py                  # patrol, 200 devices
    .venv/bin/python bench/collect.py --baseline       # + a Nornir-like netmiko pool, same devices
    .venv/bin/python bench/collect.py --count 50 --forks 25

The emulated fleet runs in a separate process (``python -m patrol.lab.fleet``) so its CPU is
not counted as the client's. Printed table (one row per approach)::

    approach   devices  ok  failed  wall s  devices/s  client CPU ms/device  peak RSS MiB
    patrol         200 200       0    21.4       9.35                  41.0          61.2

Client CPU is this process's user+system time (``getrusage(RUSAGE_SELF)``, all threads) spent
inside the collection; peak RSS is the process's high-water mark (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from patrol import plugins
from patrol.collect.base import CollectContext
from patrol.collect.netssh import NetmikoCollector
from patrol.collect.platforms import NetPlatform
from patrol.errors import PluginError
from patrol.lab.fleet import DEFAULT_PASSWORD, DEFAULT_USERNAME
from patrol.models import Credentials, DeviceClass, Host, HostResult, HostStatus, Snapshot

#: Five show commands of a typical inspection, running-config included.
BENCH_COMMANDS = (
    "show version",
    "show interfaces",
    "show running-config",
    "show ip interface brief",
    "show processes memory sorted",
)


@dataclass(frozen=True)
class Row:
    approach: str
    devices: int
    ok: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float

    def cells(self) -> list[str]:
        failed = self.devices - self.ok
        return [
            self.approach,
            str(self.devices),
            str(self.ok),
            str(failed),
            f"{self.wall_s:.1f}",
            f"{self.devices / self.wall_s:.2f}",
            f"{1000 * self.cpu_s / self.devices:.1f}",
            f"{self.peak_rss_mib:.1f}",
        ]


HEADER = ["approach", "devices", "ok", "failed", "wall s", "devices/s", "client CPU ms/device", "peak RSS MiB"]


# --------------------------------------------------------------------------- the fleet process


def start_fleet_process(count: int, base_port: int) -> subprocess.Popen[str]:
    """Start the emulated fleet in its own process and wait for its ``ready N`` line."""
    cmd = [sys.executable, "-m", "patrol.lab.fleet", "--platform", "cisco_ios",
           "--count", str(count), "--base-port", str(base_port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != f"ready {count}":
        proc.kill()
        raise SystemExit(f"fleet did not start (said {line!r}); are ports {base_port}+ free?")
    return proc


def stop_fleet_process(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- what is collected


def _minimal_parse(host_name: str, outputs: Mapping[str, str]) -> Snapshot:
    return Snapshot(host=host_name, device_class=DeviceClass.NETWORK, platform="cisco_ios", raw=dict(outputs))


def bench_platform(parser: str = "driver") -> NetPlatform:
    """The five bench commands, parsed by the real cisco_ios driver (``parser="driver"``, when it
    exists) or by a minimal parser that only keeps the outputs (``"minimal"``: transport cost only)."""
    try:
        stock = plugins.load("patrol.platforms", "cisco_ios") if parser == "driver" else None
    except PluginError:
        stock = None
    if isinstance(stock, NetPlatform):

        def parse(host_name: str, outputs: Mapping[str, str]) -> Snapshot:
            return stock.parse(host_name, outputs)

        return NetPlatform(
            name="cisco_ios", device_type=stock.device_type, default_device_class=DeviceClass.NETWORK,
            commands=BENCH_COMMANDS, parse=parse, needs_enable=True, connect_args=stock.connect_args,
        )  # fmt: skip
    return NetPlatform(
        name="cisco_ios", device_type="cisco_ios", default_device_class=DeviceClass.NETWORK,
        commands=BENCH_COMMANDS, parse=_minimal_parse, needs_enable=True,
    )  # fmt: skip


def bench_hosts(count: int, base_port: int) -> list[Host]:
    creds = Credentials(username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, enable_secret=DEFAULT_PASSWORD)
    common = {"address": "127.0.0.1", "device_class": DeviceClass.NETWORK, "platform": "bench_ios",
              "collector": "netmiko", "credentials": creds, "connect_timeout": 30, "command_timeout": 30}  # fmt: skip
    return [Host(name=f"dev{i:04d}", port=base_port + i, **common) for i in range(count)]


# --------------------------------------------------------------------------- approaches


def run_patrol(hosts: Sequence[Host], forks: int, parser: str = "driver") -> int:
    """patrol's collector; returns the number of hosts collected OK."""
    results: list[HostResult] = []
    lock = threading.Lock()

    def emit(result: HostResult) -> None:
        with lock:
            results.append(result)

    with TemporaryDirectory() as work:
        ctx = CollectContext(run_id="bench", work_dir=Path(work), forks=forks)
        NetmikoCollector(platforms={"bench_ios": bench_platform(parser)}).collect(hosts, ctx, emit)
    failures = [r for r in results if r.status is not HostStatus.OK]
    for failure in failures[:5]:
        print(f"  {failure.host}: {failure.status}: {failure.error}", file=sys.stderr)
    return len(results) - len(failures)


def run_baseline(hosts: Sequence[Host], forks: int) -> int:
    """What a Nornir + netmiko task does: ConnectHandler, enable, send_command(use_textfsm=True)."""
    from netmiko import ConnectHandler

    def one(host: Host) -> bool:
        creds = host.credentials
        assert creds.password is not None and creds.enable_secret is not None
        try:
            conn = ConnectHandler(
                device_type="cisco_ios", host=host.address, port=host.port, username=creds.username,
                password=creds.password.get_secret_value(), secret=creds.enable_secret.get_secret_value(),
                conn_timeout=host.connect_timeout,
            )  # fmt: skip
            conn.enable()
            for command in BENCH_COMMANDS:
                conn.send_command(command, use_textfsm=True, read_timeout=host.command_timeout)
            conn.disconnect()
        except Exception as exc:
            print(f"  baseline {host.name}: {type(exc).__name__}", file=sys.stderr)
            return False
        return True

    with ThreadPoolExecutor(max_workers=min(forks, len(hosts))) as pool:
        return sum(pool.map(one, hosts))


def measure(name: str, run: Callable[[Sequence[Host], int], int], hosts: Sequence[Host], forks: int) -> Row:
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    ok = run(hosts, forks)
    wall, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Row(name, len(hosts), ok, wall, cpu, after.ru_maxrss / 1024)


def print_table(rows: Sequence[Row]) -> None:
    cells = [HEADER] + [row.cells() for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(HEADER))]
    for r in cells:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


APPROACHES: dict[str, Callable[[Sequence[Host], int], int]] = {
    "patrol": run_patrol,
    "patrol, minimal parser": lambda hosts, forks: run_patrol(hosts, forks, parser="minimal"),
    "netmiko+textfsm pool": run_baseline,
}


def run_child(approach: str, count: int, forks: int, base_port: int) -> Row:
    """Measure one approach in a fresh process, so CPU and peak RSS are its own."""
    cmd = [sys.executable, __file__, "--child", approach, "--count", str(count),
           "--forks", str(forks), "--base-port", str(base_port)]  # fmt: skip
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    return Row(**json.loads(out.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--base-port", type=int, default=27000)
    parser.add_argument("--baseline", action="store_true", help="also run a Nornir-like netmiko pool")
    parser.add_argument(
        "--transport-only", action="store_true", help="also run patrol with a parser that only keeps outputs"
    )
    parser.add_argument("--child", choices=sorted(APPROACHES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # inside a measuring child: the fleet is already up
        row = measure(args.child, APPROACHES[args.child], bench_hosts(args.count, args.base_port), args.forks)
        print(json.dumps(asdict(row)))
        return 0
    proc = start_fleet_process(args.count, args.base_port)
    rows: list[Row] = []
    try:
        print(f"fleet of {args.count} cisco_ios devices ready (pid {proc.pid}); forks {args.forks}", flush=True)
        approaches = ["patrol"] + ["patrol, minimal parser"] * args.transport_only
        for approach in approaches + ["netmiko+textfsm pool"] * args.baseline:
            rows.append(run_child(approach, args.count, args.forks, args.base_port))
    finally:
        stop_fleet_process(proc)
    print_table(rows)
    print(f"(target on 2 cores: 200 devices < 30 s wall, < 50 ms client CPU/device; cores here: {os.cpu_count()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
