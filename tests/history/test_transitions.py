"""Pass/fail transitions (flapping, recurrences) and one History shared by several threads.

Runs are written with the metric store's writer (what the history processor calls) from typed
rows, with their SQL run rows, as bench/history.py does: the sequences below are planted exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from patrol.history.forecast import forecast
from patrol.history.frames import History, load_history
from patrol.history.metricschema import CheckRow, HostMetric, ResourceRow, RunMetrics, RunRow
from patrol.history.metricstore import MetricStore, record_segments
from patrol.history.trends import compliance, flapping, transitions
from patrol.models import RunStatus
from patrol.store import Store

START = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
#: (host, check, object) -> outcome per run ("-": not observed that run)
PLANTED = {
    ("sw1", "net.a", "Gi0/1"): "PFPFFP",  # 4 flips, rises at runs 1 and 3
    ("sw1", "net.b", ""): "FFPPPP",  # the window's first failure is a rise (run 0); 1 flip
    ("sw2", "net.a", "Gi0/1"): "P-F-PP",  # gaps are absent points: 2 flips, a rise at run 2
    ("sw2", "net.c", ""): "PPPPPP",  # never fails: not a transition key
    ("sw2", "net.d", ""): "PFEFPF",  # an error is no observation: P F F P F -> 3 flips, rises at 1 and 5
}
EXPECTED_FLIPS = {("sw1", "net.a", "Gi0/1"): 4, ("sw1", "net.b", ""): 1, ("sw2", "net.a", "Gi0/1"): 2,
                  ("sw2", "net.d", ""): 3}  # fmt: skip
EXPECTED_RISES = sorted([("sw1", "net.a", "Gi0/1", 1), ("sw1", "net.a", "Gi0/1", 3), ("sw1", "net.b", "", 0),
                         ("sw2", "net.a", "Gi0/1", 2), ("sw2", "net.d", "", 1), ("sw2", "net.d", "", 5)])  # fmt: skip
OUTCOME = {"P": "pass", "F": "fail", "E": "error"}


def _write(store: Store, ms: MetricStore, day: int, repeat: bool) -> None:
    run_id, at = f"t-{day}", START + timedelta(days=day)
    store.create_run(run_id, inventory=["t"], profiles=["t"], limit=None, forks=1, hosts=[])
    store.finish_run(run_id, RunStatus.COMPLETED)
    metrics = RunMetrics(RunRow(run_id, at, "completed", 2, 2))
    metrics.hosts = [HostMetric(h, "ok", "network", "cisco_ios", "15.8", ("network",)) for h in ("sw1", "sw2")]
    for (host, check, obj), seq in PLANTED.items():
        if seq[day] != "-":
            metrics.checks.append(CheckRow(host, "network", check, obj, OUTCOME[seq[day]]))
    if repeat and day == 2:  # the same key twice in one run: the general (sorted list) path
        metrics.checks.append(CheckRow("sw2", "network", "net.c", "", "pass"))
    for h in ("sw1", "sw2"):
        metrics.resources.append(ResourceRow(h, "volume", "/data", None, None, 40.0 + day * (h == "sw1"), "bytes"))
    record_segments(store, run_id, ms.write(metrics))


def _history(tmp_path: Path, repeat: bool, index: bool = True) -> Iterator[tuple[Store, History]]:
    with Store.open(f"sqlite:///{tmp_path / 'patrol.db'}") as store:
        ms = MetricStore(tmp_path / "metrics")
        MetricStore.bind(store, ms.root)
        for day in range(6):
            _write(store, ms, day, repeat)
        if not index:  # no change index: the analytics scan the check rows
            (ms.root / "index" / "chain.json").unlink()
        h = load_history(store, None, START + timedelta(days=30))
        assert h.indexed == index
        yield store, h


@pytest.fixture(params=[(False, True), (False, False), (True, False)], ids=["index", "matrix", "sorted-lists"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[History]:
    repeat, index = request.param
    for _, h in _history(tmp_path, repeat, index):
        yield h


def _found(h: History) -> tuple[dict[tuple[str, str, str], int], list[tuple[str, str, str, int]]]:
    flips, rises = transitions(h)
    runs = {int(pd.Timestamp(at).value // 1000): i for i, at in enumerate(h.runs["at"])}
    per_key = {(r.host, r.check_id, r.object): int(r.flips) for r in flips.itertuples()}
    return per_key, sorted((r.host, r.check_id, r.object, runs[int(r.at_us)]) for r in rises.itertuples())


def test_flips_and_rises_match_the_planted_sequences(history: History) -> None:
    flips, rises = _found(history)
    assert flips == EXPECTED_FLIPS
    assert rises == EXPECTED_RISES
    top = flapping(history, min_flips=3)
    assert list(zip(top["host"], top["check_id"], top["flips"], strict=True)) == [("sw1", "net.a", 4),
                                                                                   ("sw2", "net.d", 3)]  # fmt: skip


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Store, History]]:
    yield from _history(tmp_path, repeat=False)


def test_one_history_serves_several_threads(shared: tuple[Store, History]) -> None:
    """A DuckDB connection refuses a call while another thread's runs: each thread gets a cursor."""
    store, h = shared

    def analytics() -> tuple[object, ...]:
        fits = [f.to_dict() for f in forecast(store, "storage", None, 365, history=h)]
        count = int(h.sql("SELECT count(*) AS n FROM checks")["n"].iloc[0])
        return compliance(h).to_dict(), count, fits, _found(h)

    results: dict[int, list[object]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results[n] = [analytics() for _ in range(5)]
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = analytics()
    assert expected[1] == sum(seq.count("P") + seq.count("F") + seq.count("E") for seq in PLANTED.values())
    assert results == {n: [expected] * 5 for n in range(4)}
