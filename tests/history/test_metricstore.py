"""The Parquet metric store: round trip, idempotent re-ingest, rebuild, empty history, period cut-off, no secrets.

Runs go through patrol's ingest path (tests/report/ingest.py: Store API, checks, tickets) and
the history processor's ``run_done``, as the runner does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from patrol.checks import evaluate, findings_for, load_profiles
from patrol.checks.profile import ProfileSet
from patrol.history.frames import load_history
from patrol.history.metricstore import COMPACT, MetricStore, ingest_run, missing_runs
from patrol.history.period import build_period
from patrol.history.processor import HistoryProcessor
from patrol.history.proposals import load_rules
from patrol.history.trends import trends
from patrol.models import HostResult, HostStatus, RunStatus
from patrol.paths import PROFILES_DIR
from patrol.redact import redact_result
from patrol.store import Store
from patrol.store import schema as t
from patrol.tickets import load_contract
from tests.conftest import PatrolCLI
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import Case, ingest

from .incli import patrol

OCT = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
SECRET = "Planted-S3cret-7f3a"


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return load_profiles([PROFILES_DIR])


def _cases() -> list[Case]:
    return [lab_case(LAB_FIXTURES / f"{name}.json") for name in ("core-sw1", "nas1", "branch-sw9")]


def _run(store: Store, run_id: str, profiles: ProfileSet, at: datetime, cases: list[Case] | None = None) -> None:
    ingest(store, run_id, cases or _cases(), profiles, at)
    HistoryProcessor().run_done(store, run_id, RunStatus.COMPLETED)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    home = tmp_path / "home"
    home.mkdir()
    with Store.open(f"sqlite:///{home / 'patrol.db'}") as s:
        yield s


def _counts(store: Store, since: datetime | None = None) -> dict[str, int]:
    h = load_history(store, since)
    views = {v: int(h.sql(f"SELECT count(*) AS n FROM {v}")["n"].iloc[0]) for v in ("hosts", "checks", "findings")}
    return {"runs": len(h.runs), **views}


def test_round_trip_matches_the_sql_store(store: Store, profiles: ProfileSet) -> None:
    for day in range(3):
        _run(store, f"rt-{day}", profiles, OCT - timedelta(days=2 - day))
    ms = MetricStore.for_store(store)
    assert ms.root == Path(store.url.removeprefix("sqlite:///")).parent / "metrics"
    assert len(ms.files("checks")) == 3 and (ms.root / "runs" / "month=2026-10").is_dir()
    with store.read() as conn:
        sql = {name: conn.execute(table.select()).all() for name, table in
               (("checks", t.check_results), ("findings", t.findings), ("hosts", t.host_results))}  # fmt: skip
    assert _counts(store) == {"runs": 3, **{name: len(rows) for name, rows in sql.items()}}
    h = load_history(store)
    runs = h.runs.to_dict(orient="records")
    assert [r["run_id"] for r in runs] == ["rt-0", "rt-1", "rt-2"] and runs[0]["at"] == OCT - timedelta(days=2)
    assert runs[0]["hosts"] == 3 and runs[0]["inspected"] == 2  # branch-sw9 is unreachable
    outcomes = h.sql("SELECT outcome::VARCHAR AS o, count(*) AS n FROM checks GROUP BY ALL")
    expected: dict[str, int] = {}
    for row in sql["checks"]:
        expected[row.outcome] = expected.get(row.outcome, 0) + 1
    assert dict(zip(outcomes["o"], outcomes["n"], strict=True)) == expected
    volumes = h.sql("SELECT name::VARCHAR AS name, used_percent FROM resources WHERE host = 'nas1' AND kind = 'volume'")
    assert len(volumes) >= 3 and volumes["used_percent"].between(0, 100).all()
    assert missing_runs(store, ms, ["rt-0", "rt-1", "rt-2"]) == []


def test_reingest_is_idempotent_also_after_compaction(store: Store, profiles: ProfileSet) -> None:
    ms = MetricStore.for_store(store)
    for day in range(3):
        ingest(store, f"id-{day}", _cases(), profiles, OCT - timedelta(days=2 - day))
        ingest_run(store, f"id-{day}", ms)  # the processor's write, without its compaction
    before = _counts(store)
    assert len(ms.files("checks")) == 3
    ingest_run(store, "id-1", ms)
    assert _counts(store) == before and len(ms.files("checks")) == 3
    assert ms.compact(before=datetime(2026, 11, 5, tzinfo=UTC)) == ["2026-10"]
    assert [Path(f).name for f in ms.files("checks")] == [COMPACT] and _counts(store) == before
    ingest_run(store, "id-1", ms)  # taken out of compact.parquet, written to its own file again
    assert sorted(Path(f).name for f in ms.files("checks")) == [COMPACT, "run-id-1.parquet"]
    assert _counts(store) == before and missing_runs(store, ms, ["id-0", "id-1", "id-2"]) == []
    _run(store, "nov-1", profiles, OCT + timedelta(days=2))  # November's first run compacts October
    assert [Path(f).name for f in ms.files("checks", OCT, OCT + timedelta(hours=1))] == [COMPACT]
    assert _counts(store, OCT - timedelta(days=5))["runs"] == 4


def test_missing_runs_are_backfilled_and_rebuild_restores_a_lost_directory(
    tmp_path: Path, profiles: ProfileSet
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with Store.open(f"sqlite:///{home / 'patrol.db'}") as store:
        for day in range(3):  # a store from before the metric store: no processor ran
            ingest(store, f"old-{day}", _cases(), profiles, OCT - timedelta(days=2 - day))
        ms = MetricStore.for_store(store)
        assert missing_runs(store, ms, ["old-0", "old-1", "old-2"]) == ["old-0", "old-1", "old-2"]
        before = _counts(store)  # backfilled on first use, with a log message
        assert before["runs"] == 3 and missing_runs(store, ms, ["old-0", "old-1", "old-2"]) == []
    (home / "metrics").rename(tmp_path / "lost")
    cli = PatrolCLI(home)
    result = cli("history", "rebuild", "--since", "all")
    assert result.code == 0 and f"wrote 3 run(s) to {home / 'metrics'}" in result.stdout, result.output
    with Store.open(f"sqlite:///{home / 'patrol.db'}") as store:
        assert _counts(store) == before
    again = patrol(home, "history", "rebuild", "--missing")
    assert again.code == 0 and "wrote 0 missing run(s)" in again.stdout


def test_empty_history_is_no_data_never_hundred(store: Store) -> None:
    contract = load_contract()
    result = trends(store, None, "group", contract, OCT)
    assert result.runs == 0 and all(frame.empty for name, frame in result.frames.items() if name != "sla")
    assert {r["attainment_percent"] for r in result.to_dict()["sla"]} == {None}
    report = build_period(store, "2026-10", "en", contract, load_rules())
    assert report.runs == 0 and report.coverage_percent is None and report.compliance == {}


def test_a_run_after_the_period_does_not_change_it(store: Store, profiles: ProfileSet) -> None:
    for day in range(8):
        _run(store, f"oct-{day}", profiles, OCT - timedelta(days=7 - day))
    contract, rules = load_contract(), load_rules()

    def month() -> dict[str, object]:
        data = asdict(build_period(store, "2026-10", "en", contract, rules))
        data.pop("charts")
        return data

    before = month()
    assert before["runs"] == 8 and before["coverage_percent"] is not None
    nas, sw, _ = _cases()
    host, snap, _, _ = nas
    assert snap is not None
    full = snap.model_copy(update={"resources": [r.model_copy(update={"used": r.capacity}) for r in snap.resources]})
    gone = (sw[0], None, HostStatus.UNREACHABLE, "connection refused")
    _run(store, "nov-1", profiles, OCT + timedelta(days=2), [(host, full, HostStatus.OK, None), gone])
    assert month() == before


def test_the_metric_store_never_holds_a_secret(store: Store, profiles: ProfileSet) -> None:
    host, snap, status, _ = lab_case(LAB_FIXTURES / "core-sw1.json")
    assert snap is not None
    config = (snap.config or "") + f"\nusername admin password 0 {SECRET}\nsnmp-server community {SECRET} RO\n"
    planted = snap.model_copy(update={"config": config, "collected_at": OCT})
    result = redact_result(
        HostResult(host=host.name, status=status, collector=host.collector, snapshot=planted, started_at=OCT,
                   finished_at=OCT)
    )  # fmt: skip
    store.create_run("sec-1", inventory=["x"], profiles=["inspect"], limit=None, forks=1, hosts=[host])
    store.record_host_result("sec-1", result)  # what the runner stores: the redacted result
    checks = evaluate(profiles, host, result.snapshot, status, now=OCT)
    store.record_checks("sec-1", checks, findings_for("sec-1", host, checks, profiles, result))
    store.finish_run("sec-1", RunStatus.COMPLETED)
    HistoryProcessor().run_done(store, "sec-1", RunStatus.COMPLETED)
    stored = store.snapshot("sec-1", host.name)
    assert stored is not None and "<redacted" in (stored.config or "")
    files = list(MetricStore.for_store(store).root.rglob("*.parquet"))
    assert len(files) == 7  # the five tables and the change index (its state and its changes)
    for path in files:
        assert SECRET not in str(pq.read_table(path).to_pylist()) and SECRET.encode() not in path.read_bytes()
