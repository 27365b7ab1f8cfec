"""Config diff benchmark (issue 3): patrol's engine vs difflib.unified_diff (and hier_config / ciscoconfparse2).

Run on demand, never in tests::

    .venv/bin/python bench/drift.py                     # 1,000 x 10k-line and 10 x 100k-line configs
    .venv/bin/python bench/drift.py --small 100 --large 3 --difflib-samples 1
    OTHER_VENV/bin/python bench/drift.py --engine hier_config --small 20 --large 1   # a library in its own venv

Each config is an IOS-style running config (interfaces, ACLs, route maps, top-level lines)
against a baseline with 1% drift (changed descriptions, added/removed lines, a moved block).
The time per config includes parsing both sides and diffing. Targets: <= 50 ms per 10k-line
config, <= 1 s per 100k-line config, >= 25x faster than difflib at 100k lines.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import time
from collections.abc import Callable

Engine = Callable[[str, str], int]


def make_config(lines: int, seed: int) -> str:
    """An IOS-like config of about ``lines`` lines (deterministic for a seed)."""
    rng = random.Random(seed)
    out = ["!", "! Last configuration change at 10:00:00 UTC Mon Nov 16 2026", "!", "hostname bench", "!"]
    index = 0
    while len(out) < lines:
        index += 1
        kind = index % 10
        if kind < 7:
            out += [f"interface GigabitEthernet{index // 48}/0/{index % 48}",
                    f" description port {index} {rng.randint(1, 9999)}",
                    f" switchport access vlan {rng.randint(2, 4000)}", " switchport mode access",
                    " spanning-tree portfast", "!"]  # fmt: skip
        elif kind < 9:
            out.append(f"ip access-list extended ACL-{index}")
            port = rng.randint(1, 65535)
            out += [f" {n * 10} permit tcp any host 10.{index % 250}.{n}.1 eq {port + n}" for n in range(8)]
            out.append("!")
        else:
            out += [f"route-map RM-{index} permit 10", f" match ip address prefix-list PL-{index}",
                    f" set local-preference {rng.randint(100, 300)}", "!",
                    f"ip route 10.{index % 250}.{index // 250 % 250}.0 255.255.255.0 192.0.2.1"]  # fmt: skip
    return "\n".join(out[:lines]) + "\nend\n"


def drifted(config: str, seed: int, rate: float = 0.01) -> str:
    """``config`` with ``rate`` of its lines changed, added or removed, one block moved, a new timestamp."""
    rng = random.Random(seed)
    lines = config.split("\n")
    out = []
    for line in lines:
        roll = rng.random()
        if roll < rate / 3 and line.startswith(" description"):
            out.append(line + " changed")
        elif roll < rate * 2 / 3 and line.startswith(" "):
            out += [line, f" remark added {len(out)}"]
        elif roll < rate and line.startswith(" switchport access vlan"):
            continue
        else:
            out.append(line)
    start = next(i for i, line in enumerate(out) if line.startswith("interface"))
    block = out[start : start + 6]
    del out[start : start + 6]
    out[-2:-2] = block  # a moved block with the same content is not drift
    out[1] = "! Last configuration change at 11:11:11 UTC Tue Nov 17 2026"
    return "\n".join(out)


def patrol_engine() -> Engine:
    from patrol.drift.engine import DriftData

    data = DriftData.load()

    from patrol.drift.confdiff import diff_configs

    noise = data.noise.for_host("cisco_ios", "network")

    def run(before: str, after: str) -> int:
        return len(diff_configs(before, after, "cisco_ios", noise, data.rules.ordering))

    return run


def difflib_engine() -> Engine:
    def run(before: str, after: str) -> int:
        return sum(1 for _ in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm=""))

    return run


def hier_config_engine() -> Engine:
    from hier_config import WorkflowRemediation, get_hconfig
    from hier_config.models import Platform

    def run(before: str, after: str) -> int:
        running = get_hconfig(Platform.CISCO_IOS, after)
        intended = get_hconfig(Platform.CISCO_IOS, before)
        remediation = WorkflowRemediation(running, intended).remediation_config
        return sum(1 for _ in remediation.all_children())

    return run


def ciscoconfparse2_engine() -> Engine:
    from ciscoconfparse2 import Diff

    def run(before: str, after: str) -> int:
        return len(Diff(before.splitlines(), after.splitlines()).get_diff())

    return run


ENGINES: dict[str, Callable[[], Engine]] = {
    "patrol": patrol_engine,
    "difflib": difflib_engine,
    "hier_config": hier_config_engine,
    "ciscoconfparse2": ciscoconfparse2_engine,
}


def measure(engine: Engine, size: int, count: int) -> tuple[float, float, int]:
    """(median ms, max ms, items of the last) over ``count`` config pairs of ``size`` lines."""
    times, items = [], 0
    for seed in range(count):
        before = make_config(size, seed)
        after = drifted(before, seed + 1)
        started = time.perf_counter()
        items = engine(before, after)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000, help="10k-line configs (default 1000)")
    parser.add_argument("--large", type=int, default=10, help="100k-line configs (default 10)")
    parser.add_argument("--difflib-samples", type=int, default=3, help="configs per size measured with difflib")
    parser.add_argument("--engine", choices=sorted(ENGINES), help="measure only this engine")
    args = parser.parse_args()
    names = [args.engine] if args.engine else ["patrol", "difflib"]
    print(f"{'engine':<16}{'lines':>8}{'configs':>9}{'median ms':>12}{'max ms':>10}{'items':>8}")
    results: dict[tuple[str, int], float] = {}
    for name in names:
        engine = ENGINES[name]()
        for size, count in ((10_000, args.small), (100_000, args.large)):
            count = count if name == "patrol" else min(count, args.difflib_samples)
            median, worst, items = measure(engine, size, count)
            results[(name, size)] = median
            print(f"{name:<16}{size:>8}{count:>9}{median:>12.1f}{worst:>10.1f}{items:>8}", flush=True)
    if ("difflib", 100_000) in results:
        ratio = results[("difflib", 100_000)] / results[("patrol", 100_000)]
        print(f"patrol vs difflib at 100k lines: {ratio:.1f}x faster (target >= 25x)")


if __name__ == "__main__":
    main()
