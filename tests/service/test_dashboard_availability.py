"""The fleet page's availability table and the host capacity chart over planted recent history.

Ten daily runs ending an hour ago (the ``apps`` group of tests/history/test_availability.py: 21 of
25 samples healthy -> 84 %, below the shipped 99.5 % target), app-api also carrying a growing
``database`` and ``connections`` resource (the service collectors' capacity kinds).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from patrol.checks import load_profiles
from patrol.history.processor import HistoryProcessor
from patrol.models import Resource, RunStatus
from patrol.paths import PROFILES_DIR
from patrol.service.views import TtlCache, capacity_chart
from patrol.store import Store
from tests.conftest import PatrolCLI
from tests.history.test_availability import _day
from tests.report.ingest import Case, ingest
from tests.service.conftest import Server, start_server, stop_servers


def _with_database(cases: list[Case], day: int) -> list[Case]:
    out: list[Case] = []
    for host, snapshot, status, error in cases:
        if snapshot is not None and host.name == "app-api":
            snapshot = snapshot.model_copy(update={"resources": [
                Resource(kind="database", name="orders", capacity=100.0, used=40.0 + day),
                Resource(kind="connections", name="max_connections", capacity=200.0, used=20.0 + day, unit="count"),
            ]})  # fmt: skip
        out.append((host, snapshot, status, error))
    return out


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dash-availability") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles, history = load_profiles([PROFILES_DIR]), HistoryProcessor()
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    for day in range(10):
        at = end - timedelta(days=9 - day)
        run_id = f"{at:%Y%m%d}-020000-d{day:03d}"
        ingest(store, run_id, _with_database(_day(day), day), profiles, at, tickets=False)
        history.run_done(store, run_id, RunStatus.COMPLETED)
    store.close()
    return home


@pytest.fixture(scope="module")
def served(home: Path) -> Iterator[tuple[Server, str]]:
    cli = PatrolCLI(home)
    added = cli("token", "add", "dash-availability", "--role", "viewer")
    assert added.code == 0, added.output
    server = start_server(cli)
    try:
        yield server, added.stdout.strip()
    finally:
        stop_servers([server])


def _fleet_page(server: Server, token: str, lang: str) -> str:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        login = client.post("/ui/login", data={"token": token})
        assert login.status_code == 303, login.text
        page = client.get(f"/ui/fleet?lang={lang}")
        assert page.status_code == 200, page.text
        return page.text


@pytest.mark.parametrize(("lang", "heading", "missed"), [("en", "Availability by group", "missed"),
                                                         ("zh-Hant", "各群組可用率", "未達標"),
                                                         ("zh-Hans", "各群组可用率", "未达标")])  # fmt: skip
def test_the_fleet_page_shows_availability_per_group_with_its_target(served: tuple[Server, str], lang: str,
                                                                      heading: str, missed: str) -> None:  # fmt: skip
    text = _fleet_page(*served, lang)
    assert heading in text and 'id="availability"' in text
    row = text.split('<table id="availability"', 1)[1].split("</table>", 1)[0]
    apps = row.split("<td>apps</td>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in apps.split("<td")[1:]]
    assert cells[:7] == ["25", "21", "2", "2", "84.0", "99.5", missed], cells


def test_the_capacity_chart_includes_database_and_connections(home: Path) -> None:
    with Store.open(f"sqlite:///{home / 'patrol.db'}") as store:
        assert capacity_chart(store, "app-api", "en", cache=TtlCache(0))["chart"] is not None
        assert capacity_chart(store, "app-web", "en", cache=TtlCache(0)) == {"chart": None, "error": None}
