"""A resource already over its threshold (nas1 /vol/data at 92% against 85%) is a forecast of
"already over since <date>" and a proposal from its first observation; a resource whose name says
its kind is named once ("flash", not "flash flash")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from patrol.checks import load_profiles
from patrol.history.processor import HistoryProcessor
from patrol.models import Resource, RunStatus
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import ingest

from .incli import patrol


def _home(tmp_path: Path, runs: int) -> tuple[Path, datetime]:
    home = tmp_path / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    host, snap, status, error = lab_case(LAB_FIXTURES / "nas1.json")  # /vol/data: 3.68 of 4 TB = 92%
    assert snap is not None
    flash = Resource(kind="flash", name="flash", capacity=1e9, used=9e8)  # a FortiGate's flash: 90%
    case = (host, snap.model_copy(update={"resources": [*snap.resources, flash]}), status, error)
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(days=runs)
    for day in range(runs):
        ingest(store, f"run-{day}", [case], load_profiles([PROFILES_DIR]), first + timedelta(days=day))
        HistoryProcessor().run_done(store, f"run-{day}", RunStatus.COMPLETED)
    store.close()
    return home, first


def test_one_observation_over_the_threshold_is_reached_and_proposed(tmp_path: Path) -> None:
    home, first = _home(tmp_path, 1)
    found = json.loads(patrol(home, "forecast", "--json").stdout)
    data = next(f for f in found if f["name"] == "/vol/data")
    assert data["status"] == "reached" and data["current"] == 92.0
    assert data["over_since"] == f"{first:%Y-%m-%d}"
    assert data["reason"] == f"already over since {first:%Y-%m-%d}: 92% >= 85%"
    assert {f["status"] for f in found if f["name"] not in ("/vol/data", "flash")} == {"too_few_points"}
    table = patrol(home, "forecast").stdout
    row = next(line for line in table.splitlines() if "/vol/data" in line)
    assert "already over since" in row and "∞" not in row and "at least 7 points" not in row
    assert "flash flash" not in table and "flash" in table
    shown = patrol(home, "propose").stdout
    assert "Expand volume /vol/data on nas1: at 92%, over its 85% threshold" in shown, shown
    assert "Expand flash on nas1: at 90%" in shown and "flash flash" not in shown
    listed = json.loads(patrol(home, "propose", "--format", "json").stdout)
    mine = next(p for p in listed if p["assets"] == ["nas1:/vol/data"])
    assert mine["timeline"] == f"now: it is already over the threshold (since {first:%Y-%m-%d})"
