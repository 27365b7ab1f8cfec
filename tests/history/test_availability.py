"""Availability from the run history (trends, monthly report, proposals) over ten planted days.

app-web (group apps, platform http): healthy except day 2 (unreachable: unknown), days 5 and 6
(HTTP 500: a critical finding, degraded) and day 8 (left out of the run: unknown) -> 6/10 = 60 %.
app-api (apps): healthy every day -> 100 %. new-app (apps) first appears on day 5 and is healthy ->
5/5, its earlier days are not counted at all. apps: 21/25 = 84 %, below the shipped 99.5 % target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from patrol.checks import load_profiles
from patrol.history.availability import availability
from patrol.history.frames import load_history
from patrol.history.processor import HistoryProcessor
from patrol.models import DeviceClass, Host, HostStatus, RunStatus, Snapshot
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.report.ingest import Case, ingest

from .incli import patrol

START = datetime(2026, 10, 3, 2, 0, tzinfo=UTC)


def _case(name: str, status_code: int | None) -> Case:
    host = Host(name=name, address="127.0.0.1", device_class=DeviceClass.HOST, platform="http", collector="http",
                groups=("apps",), vars={"patrol_url": f"https://{name}.example/"})  # fmt: skip
    if status_code is None:
        return host, None, HostStatus.UNREACHABLE, f"cannot connect to https://{name}.example/ (planted)"
    http = {"status_code": status_code, "client_status": status_code if status_code < 500 else None,
            "latency_ms": 12.0, "content_ok": None}  # fmt: skip
    snapshot = Snapshot(host=name, device_class=DeviceClass.HOST, platform="http",
                        extra={"http": http, "tls": None, "transaction_failures": None})  # fmt: skip
    return host, snapshot, HostStatus.OK, None


def _day(day: int) -> list[Case]:
    web = {2: None, 5: 500, 6: 500}.get(day, 200)
    cases = [_case("app-api", 200)]
    if day != 8:
        cases.append(_case("app-web", web))
    if day >= 5:
        cases.append(_case("new-app", 200))
    return cases


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("availability") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles, history = load_profiles([PROFILES_DIR]), HistoryProcessor()
    for day in range(10):
        at = START + timedelta(days=day)
        run_id = f"{at:%Y%m%d}-020000-a{day:03d}"
        ingest(store, run_id, _day(day), profiles, at, tickets=False)
        history.run_done(store, run_id, RunStatus.COMPLETED)
    store.close()
    yield home


def _by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in rows}


def test_availability_counts_gaps_as_unknown_never_up(home: Path) -> None:
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    try:
        hosts = availability(load_history(store, None), "host").set_index("key")
    finally:
        store.close()
    assert hosts.loc["app-web", ["runs", "healthy", "degraded", "unknown"]].tolist() == [10, 6, 2, 2]
    assert hosts.loc["app-web", "percent"] == 60.0 and hosts.loc["app-web", "inspected_percent"] == 80.0
    assert hosts.loc["app-api", "percent"] == 100.0
    assert hosts.loc["new-app", "runs"] == 5 and hosts.loc["new-app", "percent"] == 100.0


def test_trends_show_availability_per_group_and_application_with_the_target(home: Path) -> None:
    result = patrol(home, "trends", "--since", "all", "--by", "group", "--format", "json")
    assert result.code == 0, result.output
    data = json.loads(result.stdout)
    apps = _by_key(data["availability"])["apps"]
    assert (apps["runs"], apps["healthy"], apps["percent"], apps["target"], apps["met"]) == (25, 21, 84.0, 99.5, False)
    assert _by_key(data["availability_applications"])["apps"]["percent"] == 84.0
    per_host = json.loads(patrol(home, "trends", "--since", "all", "--by", "check", "--format", "json").stdout)
    assert _by_key(per_host["availability"])["app-web"]["percent"] == 60.0
    table = patrol(home, "trends", "--since", "all", "--by", "group")
    assert table.code == 0 and "availability" in table.stdout and "84.0" in table.stdout


def test_missed_target_is_a_proposal(home: Path) -> None:
    result = patrol(home, "propose", "--since", "all", "--format", "json")
    assert result.code == 0, result.output
    found = [p for p in json.loads(result.stdout) if p["rule"] == "availability.target"]
    assert len(found) == 1 and found[0]["assets"] == ["apps"]
    assert found[0]["title"].startswith("Availability of apps was 84% against its 99.5% target")
    assert found[0]["breakdown"] == {"healthy": 21.0, "degraded": 2.0, "unknown": 2.0}


@pytest.mark.parametrize(("lang", "heading", "missed"), [("en", "## Availability by group", "| no |"),
                                                         ("zh-Hant", "## 各群組可用率", "| 未達標 |")])  # fmt: skip
def test_monthly_report_has_the_availability_section(home: Path, tmp_path: Path, lang: str, heading: str,
                                                     missed: str) -> None:  # fmt: skip
    out = tmp_path / f"period-{lang}.md"
    result = patrol(home, "report", "--period", "2026-10", "--format", "md", "--lang", lang, "-o", str(out))
    assert result.code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert heading in text
    assert "| apps | 25 | 21 | 2 | 2 | 84.0 | 99.5 " + missed in text


def test_the_service_api_serves_availability(home: Path) -> None:
    from tests.conftest import PatrolCLI
    from tests.service.conftest import start_server, stop_servers

    cli = PatrolCLI(home)
    added = cli("token", "add", "availability-viewer", "--role", "viewer")
    assert added.code == 0, added.output
    token = added.stdout.strip()
    server = start_server(cli)
    try:
        answer = server.call("GET", "/api/v1/availability?by=application&days=3660", token)
        assert answer.status_code == 200, answer.text
        apps = _by_key(answer.json())["apps"]
        assert (apps["percent"], apps["target"], apps["met"], apps["unknown"]) == (84.0, 99.5, False, 2)
        assert server.call("GET", "/api/v1/availability?by=rack", token).status_code == 422
        assert server.call("GET", "/api/v1/availability").status_code == 401
    finally:
        stop_servers([server])
