"""History analytics, forecasts and proposals over a synthetic 180-day history (see synth.py), via the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from patrol.store import Store
from tests.browser import artifacts, open_report
from tests.conftest import ROOT, PatrolCLI, Result

from .incli import patrol
from .synth import EXPECTED_DAYS_TO_85, NTP_DRIFTERS, build_history


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PatrolCLI]:
    home = tmp_path_factory.mktemp("history") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    build_history(store)
    store.close()
    yield PatrolCLI(home)


def _json(cli: PatrolCLI, *args: str) -> Any:
    result = cli(*args)
    assert result.code == 0, result.output
    return json.loads(result.stdout)


def test_forecast_days_to_threshold_within_ten_percent(cli: PatrolCLI) -> None:
    found = _json(cli, "forecast", "--metric", "storage", "--horizon", "365d", "--json")
    data = next(f for f in found if f["host"] == "nas1" and f["name"] == "/vol/data")
    assert data["status"] == "ok" and data["threshold"] == 85.0
    assert abs(data["days"] - EXPECTED_DAYS_TO_85) <= 0.1 * EXPECTED_DAYS_TO_85
    assert data["days_low"] <= data["days"] <= data["days_high"]  # an honest band around it
    assert data["points"] < 120  # fitted after the day-60 clean-up (reset), gaps left out
    flat = next(f for f in found if f["name"] == "/vol/backup")
    assert flat["status"] == "beyond" and flat["reason"] == "not growing"
    table = cli("forecast", "--horizon", "365d")
    assert "nas1" in table.stdout and "~131" in table.stdout


def test_proposals_rank_the_planted_causes_first(cli: PatrolCLI) -> None:
    found = _json(cli, "propose", "--since", "180d", "--format", "json", "--lang", "en")
    top = {p["rule"]: p for p in found[:5]}
    assert {"capacity.storage", "recurrence.ntp", "firmware.sprawl"} <= set(top)
    capacity = top["capacity.storage"]
    assert capacity["assets"] == ["nas1:/vol/data"] and capacity["priority"] == "urgent"
    assert "85% in ~131 days at current growth" in capacity["title"]
    assert top["recurrence.ntp"]["assets"] == NTP_DRIFTERS and "on 5 hosts in 30 days" in top["recurrence.ntp"]["title"]
    assert "4 versions across 8 cisco_ios devices" in top["firmware.sprawl"]["title"]
    assert all(p["benefit"] and p["timeline"] for p in found)
    assert not any(p["rule"] == "flapping" and p["evidence"]["check"] == "net.ntp.servers" for p in found)


def test_trends_show_compliance_sla_sprawl_and_no_fake_hundred(cli: PatrolCLI) -> None:
    data = _json(cli, "trends", "--since", "180d", "--by", "domain", "--format", "json")
    assert data["runs"] == 180
    storage_days = {r["date"] for r in data["compliance"] if r["key"] == "storage"}
    network_days = {r["date"] for r in data["compliance"] if r["key"] == "network"}
    assert len(network_days) == 180 and len(storage_days) < 180  # no row (not 100%) when nas1 was unreachable
    sprawl = {r["platform"]: r for r in data["version_sprawl"]}
    assert sprawl["cisco_ios"]["versions"] == 4 and sprawl["cisco_ios"]["hosts"] == 8
    sla = {r["priority"]: r for r in data["sla"]}
    assert sla["critical"]["attainment_percent"] is None  # no ticket: no figure, not 100%
    assert sla["normal"]["tickets"] > 0 and sla["normal"]["mttr_hours"] == pytest.approx(24.0)
    assert {r["check_id"] for r in data["repeat_checks"]} >= {"net.ntp.servers"}
    assert {r["host"] for r in data["flapping"]} == set(NTP_DRIFTERS)
    assert sum(r["opened"] for r in data["opened_resolved"]) > 30
    by_group = _json(cli, "trends", "--since", "30d", "--by", "check", "--format", "json")
    ntp = [r for r in by_group["compliance"] if r["key"] == "net.ntp.servers"]
    assert min(r["percent"] for r in ntp) < 100 and by_group["runs"] == 30


def test_trends_png_charts(cli: PatrolCLI, tmp_path: Path) -> None:
    result = cli("trends", "--format", "png", "--lang", "zh-Hant", "-o", str(tmp_path / "t.png"))
    assert result.code == 0, result.output
    for name in ("t-compliance.png", "t-tickets.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
def test_proposals_html_with_charts_in_a_browser(cli: PatrolCLI, browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "proposals.html"
    result = cli("propose", "--since", "180d", "--format", "html", "--lang", "zh-Hant", "-o", str(page))
    assert result.code == 0, result.output
    tab = open_report(browser, page, artifacts(tmp_path) / "proposals-zh.png", charts=5)
    text = tab.page.inner_text("body")
    assert "改進建議" in text and "擴容 nas1" in text and "徹查 NTP 偏差根因" in text
    shown = tab.page.locator("section.proposal")
    assert shown.count() == 5 and tab.page.locator("section.proposal img.chart").count() == 5  # each its evidence


def test_every_proposal_carries_the_figures_of_its_chart(cli: PatrolCLI, tmp_path: Path) -> None:
    found = {p["rule"]: p for p in _json(cli, "propose", "--since", "180d", "--format", "json", "--lang", "en")}
    assert found["recurrence.ntp"]["breakdown"] == dict.fromkeys(NTP_DRIFTERS, 6)  # every 5th day of 30
    assert sorted(found["firmware.sprawl"]["breakdown"].values()) == [2, 2, 2, 2]
    assert found["sla.urgent"]["breakdown"]["urgent"] == found["sla.urgent"]["evidence"]["attainment"]
    rules = tmp_path / "flapping.yml"  # a team's own rule file: only the flapping rule
    shipped = yaml.safe_load((ROOT / "inspect" / "proposals.yml").read_text(encoding="utf-8"))
    rules.write_text(yaml.safe_dump({"rules": [r for r in shipped["rules"] if r["kind"] == "flapping"]}))
    flaps = _json(cli, "propose", "--since", "180d", "--format", "json", "--rules", str(rules))
    assert {p["evidence"]["host"] for p in flaps} == set(NTP_DRIFTERS)
    for p in flaps:  # passing at first: the changes to fail per week add up to half the changes, rounded up
        assert sum(p["breakdown"].values()) == (p["evidence"]["flips"] + 1) // 2 and len(p["breakdown"]) >= 4
    md = tmp_path / "flapping.md"
    assert cli("propose", "--since", "180d", "--format", "md", "--rules", str(rules), "-o", str(md)).code == 0
    assert len(list(tmp_path.glob("flapping-proposal-*.png"))) == len(flaps) == md.read_text().count("![")


def test_top_keeps_documents_readable_and_counts_the_rest(cli: PatrolCLI, tmp_path: Path) -> None:
    md = tmp_path / "top.md"
    assert cli("propose", "--since", "180d", "--format", "md", "--lang", "en", "--top", "2", "-o", str(md)).code == 0
    text = md.read_text(encoding="utf-8")
    assert text.count("\n## ") == 2 and "3 more proposals rank below these" in text
    assert len(list(tmp_path.glob("top-proposal-*.png"))) == 2  # charts only for what is shown
    assert len(_json(cli, "propose", "--since", "180d", "--format", "json", "--top", "1")) == 1
    table = cli("propose", "--since", "180d", "--top", "3")
    assert table.code == 0 and "2 more proposals rank below these" in table.stdout
    bad = cli("propose", "--top", "-1")
    assert bad.code == 2 and "--top" in bad.output


def test_empty_history_says_no_data(tmp_path: Path) -> None:
    home = tmp_path / "home"

    def cli(*args: str) -> Result:
        return patrol(home, *args)

    trends = cli("trends")
    assert trends.code == 0 and "no data" in trends.stdout and "100" not in trends.stdout
    assert "no data" in cli("forecast").stdout
    assert "no proposal" in cli("propose").stdout
    md = tmp_path / "p.md"
    assert cli("propose", "--format", "md", "-o", str(md)).code == 0
    assert "No proposal" in md.read_text(encoding="utf-8")


def test_too_few_points_is_said_not_forecast(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from patrol.checks import load_profiles
    from patrol.paths import PROFILES_DIR
    from tests.report.conftest import LAB_FIXTURES, lab_case
    from tests.report.ingest import ingest

    home = tmp_path / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles, nas = load_profiles([PROFILES_DIR]), lab_case(LAB_FIXTURES / "nas1.json")
    now = datetime.now(UTC)
    for day in range(3):
        ingest(store, f"few-{day}", [nas], profiles, now - timedelta(days=3 - day))
    store.close()
    found = _json(PatrolCLI(home), "forecast", "--json")
    few = [f for f in found if f["name"] != "/vol/data"]  # /vol/data is at 92%: already over (reached)
    assert {f["status"] for f in few} == {"too_few_points"} and len(few) == len(found) - 1
    assert "3 point(s)" in few[0]["reason"] and "at least 7 points" in few[0]["reason"]


def test_bad_input_is_a_clear_error(cli: PatrolCLI, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - id: mine\n    kind: capacity\n    priority: urgent\n    title: {en: x}\n",
                     encoding="utf-8")  # fmt: skip
    bad = patrol(cli.home, "propose", "--rules", str(rules))
    assert bad.code == 2 and str(rules) in bad.output and "rule mine, key title.zh" in bad.output
    since = patrol(cli.home, "trends", "--since", "last week")  # 'yesterday' is a date (patrol.cli.dates)
    assert since.code == 2 and "--since: 'last week' is not a date" in since.output
