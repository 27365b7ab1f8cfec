"""The change index gives the same flips and rises as a scan of the check rows, whatever the order
the runs were written in, for any window; a run rewritten without it makes windows fall back."""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from patrol.history.frames import History, load_history
from patrol.history.metricschema import CheckRow, HostMetric, RunMetrics, RunRow
from patrol.history.metricstore import MetricStore, record_segments
from patrol.history.trends import _from_index, _transitions
from patrol.models import RunStatus
from patrol.store import Store

START = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)
RUNS = 16
KEYS = [(f"sw{h}", f"net.c{c}", f"Gi0/{o}" if o else "") for h in range(3) for c in range(3) for o in range(2)]


def _sequences(seed: int) -> dict[tuple[str, str, str], str]:
    """Per key one letter per run: P pass, F fail, E error (not an observation), - not observed."""
    rnd = random.Random(seed)
    return {key: "".join(rnd.choices("PPPFFE-", k=RUNS)) for key in KEYS}


def _metrics(day: int, planted: dict[tuple[str, str, str], str]) -> RunMetrics:
    outcome = {"P": "pass", "F": "fail", "E": "error"}
    metrics = RunMetrics(RunRow(f"r-{day:02d}", START + timedelta(days=day), "completed", 3, 3))
    metrics.hosts = [HostMetric(f"sw{h}", "ok", "network", "cisco_ios", "15.8", ("network",)) for h in range(3)]
    metrics.checks = [CheckRow(host, "network", check, obj, outcome[seq[day]])
                      for (host, check, obj), seq in planted.items() if seq[day] != "-"]  # fmt: skip
    return metrics


def _store(tmp_path: Path, planted: dict[tuple[str, str, str], str], order: list[int]) -> tuple[Store, MetricStore]:
    store = Store.open(f"sqlite:///{tmp_path / 'patrol.db'}")
    ms = MetricStore(tmp_path / "metrics")
    MetricStore.bind(store, ms.root)
    for day in order:
        run_id = f"r-{day:02d}"
        store.create_run(run_id, inventory=["t"], profiles=["t"], limit=None, forks=1, hosts=[])
        store.finish_run(run_id, RunStatus.COMPLETED)
        record_segments(store, run_id, ms.write(_metrics(day, planted)))
    return store, ms


def _normal(found: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    flips, rises = found
    return (sorted(map(tuple, flips[["host", "check_id", "object", "flips"]].itertuples(index=False))),
            sorted(map(tuple, rises[["host", "check_id", "object", "at_us"]].itertuples(index=False))))  # fmt: skip


def _scan(store: Store, h: History) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same window's transitions from a scan of its check rows (no change index)."""
    plain = load_history(store, h.since, h.until)
    plain.indexed = False
    return _transitions(plain)


def _windows() -> list[tuple[datetime | None, datetime | None]]:
    day = timedelta(days=1)
    return [(None, None), (START + 3 * day, None), (START + 5.5 * day, START + 12 * day),
            (START + 10 * day, START + 11 * day), (None, START + 8 * day)]  # fmt: skip


def test_index_equals_a_scan_for_any_window_and_write_order(tmp_path: Path) -> None:
    for seed, shuffled in ((1, False), (2, True)):
        planted = _sequences(seed)
        order = list(range(RUNS))
        if shuffled:  # late runs, and runs that interleave with later observations of their keys
            random.Random(seed).shuffle(order)
        store, ms = _store(tmp_path / str(seed), planted, order)
        chain = ms.index.chain()
        assert chain is not None and len(chain["runs"]) == RUNS
        for since, until in _windows():
            h = load_history(store, since, until)
            assert h.indexed, (seed, since, until)
            assert _normal(_from_index(h)) == _normal(_scan(store, h)), (seed, since, until)
        store.close()


def test_a_run_rewritten_without_the_index_falls_back_to_the_scan(tmp_path: Path) -> None:
    planted = _sequences(4)
    store, ms = _store(tmp_path, planted, list(range(RUNS)))
    planted[KEYS[0]] = "F" * RUNS
    ms.write(_metrics(12, planted), index=False)  # e.g. a node without the index code
    outside = load_history(store, START + timedelta(days=14), None)
    assert outside.indexed  # a window without that run keeps the index
    inside = load_history(store, START + timedelta(days=10), START + timedelta(days=14))
    assert not inside.indexed  # the chain no longer holds that run's data: the check rows are scanned
    assert _normal(_transitions(inside)) == _normal(_scan(store, inside))
    empty = RunMetrics(RunRow("r-empty", START + timedelta(days=RUNS), "failed", 3, 0))  # every host down
    store.create_run("r-empty", inventory=["t"], profiles=["t"], limit=None, forks=1, hosts=[])
    store.finish_run("r-empty", RunStatus.FAILED)
    record_segments(store, "r-empty", ms.write(empty))
    assert load_history(store, START + timedelta(days=RUNS - 2), None).indexed
    assert ms.rebuild_index() > 0  # what `patrol history rebuild` ends with
    assert len(list(ms.index.root.glob("*.parquet"))) == 2  # one state, one (merged) changes file
    again = load_history(store, START + timedelta(days=10), START + timedelta(days=14))
    assert again.indexed
    assert _normal(_from_index(again)) == _normal(_scan(store, again))
    store.close()


def test_the_index_is_small_and_readable_without_patrol(tmp_path: Path) -> None:
    store, ms = _store(tmp_path, _sequences(5), list(range(RUNS)))
    chain = ms.index.chain()
    assert chain is not None
    changes = pq.read_table(ms.index.root / chain["changes"][-1])
    assert changes.column_names == ["host", "check_id", "object", "at", "failing", "change", "prev_at"]
    state = pq.read_table(ms.index.root / chain["state"])
    assert state.num_rows == len(KEYS)
    checks = sum(pq.read_metadata(p).num_rows for p in (ms.root / "checks").rglob("*.parquet"))
    assert 0 < changes.num_rows < checks
    store.close()


def _writer(db: str, root: str, days: list[int], seed: int) -> None:
    ms = MetricStore(Path(root))
    planted = _sequences(seed)
    with Store.open(db) as store:
        for day in days:
            record_segments(store, f"r-{day:02d}", ms.write(_metrics(day, planted)))


def test_two_processes_writing_one_directory_keep_the_index_exact(tmp_path: Path) -> None:
    """Execution nodes share a metrics directory: the index's lock keeps every run in one chain."""
    db = f"sqlite:///{tmp_path / 'patrol.db'}"
    store = Store.open(db)
    ms = MetricStore(tmp_path / "metrics")
    MetricStore.bind(store, ms.root)
    for day in range(RUNS):
        store.create_run(f"r-{day:02d}", inventory=["t"], profiles=["t"], limit=None, forks=1, hosts=[])
        store.finish_run(f"r-{day:02d}", RunStatus.COMPLETED)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(db, str(ms.root), list(range(part, RUNS, 2)), 6)) for part in (0, 1)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    chain = ms.index.chain()
    assert chain is not None and len(chain["runs"]) == RUNS
    for since, until in _windows()[1:3]:
        h = load_history(store, since, until)
        assert h.indexed
        assert _normal(_from_index(h)) == _normal(_scan(store, h))
    store.close()
