"""Run report formats md / junit / xlsx, tickets moved and drift summary, --lang, through the CLI.

Two runs over the recorded lab snapshots go through patrol's ingest path (checks, the drift
processor, the ticket stage): run 1 opens tickets; baselines are approved; run 2 has nas1's
data volume emptied (its ticket resolves) and core-sw1's config changed (drift).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from patrol.checks import load_profiles
from patrol.drift.operations import approve_hosts
from patrol.drift.processor import DriftProcessor
from patrol.models import Resource
from patrol.paths import PROFILES_DIR
from patrol.store import Store
from tests.browser import artifacts, open_report
from tests.conftest import PatrolCLI

from .conftest import LAB_FIXTURES, LAB_NOW, lab_case
from .ingest import Case, ingest

RUN1, RUN2 = "20261125-020000-aaaa", "20261126-020000-bbbb"


def _changed(cases: list[Case]) -> list[Case]:
    changed = []
    for host, snap, status, error in cases:
        if snap is not None and host.name == "nas1":
            emptied = Resource(kind="volume", name="/vol/data", capacity=4e12, used=4e11)
            res = [emptied if r.name == "/vol/data" else r for r in snap.resources]
            snap = snap.model_copy(update={"resources": res})
        if snap is not None and host.name == "core-sw1":
            snap = snap.model_copy(update={"config": (snap.config or "") + "\nip route 0.0.0.0 0.0.0.0 192.0.2.254\n"})
        changed.append((host, snap, status, error))
    return changed


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("formats") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles = load_profiles([PROFILES_DIR])
    cases = [lab_case(p) for p in sorted(LAB_FIXTURES.glob("*.json"))]
    drift = [DriftProcessor()]
    ingest(store, RUN1, cases, profiles, LAB_NOW - timedelta(days=1), drift)
    approve_hosts(store, RUN1, hosts=None, group=None, reason="CHG-1 accepted", approved_by="lead")
    ingest(store, RUN2, _changed(cases), profiles, LAB_NOW, drift)
    store.close()
    yield home


class LocaleCLI(PatrolCLI):
    """The patrol command under a given locale (``LANG``)."""

    def __init__(self, home: Path, lang: str) -> None:
        super().__init__(home)
        self.lang = lang

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in super().env.items() if k not in ("LC_ALL", "LC_MESSAGES")}
        return env | {"LANG": self.lang}


def test_markdown_shows_tickets_drift_and_coverage(home: Path, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    out = tmp_path / "r.md"
    result = cli("report", RUN2, "--format", "md", "--lang", "en", "-o", str(out))
    assert result.code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "# Inspection report 20261126-020000-bbbb" in text
    assert "12/13 inspected" in text and "| branch-sw9 | unreachable |" in text
    assert "## Drift summary" in text and "| core-sw1 |" in text.split("## Drift summary")[1].split("##")[0]
    tickets = text.split("## Tickets moved by this run")[1].split("\n## ")[0]
    assert "| resolved |" in tickets and "nas1" in tickets
    assert "## Health per domain" in text and "| Storage devices |" in text


def test_run1_report_lists_the_tickets_it_opened(home: Path, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    out = tmp_path / "r.json"
    assert cli("report", RUN1, "--format", "json", "-o", str(out)).code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["tickets"]["opened"]) == len(data["findings"]) > 5
    assert data["tickets"]["resolved"] == [] and data["drift"]["total"] == 0
    host = next(h for h in data["hosts"] if h["host"] == "nas1")
    lines = {c["check_id"]: c for c in host["checks"]}
    assert lines["stor.volume.used_urgent"]["failed_objects"] == ["/vol/data"]


def test_junit_has_one_testcase_per_host_and_check(home: Path, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    out = tmp_path / "r.xml"
    assert cli("report", RUN2, "--format", "junit", "-o", str(out)).code == 0
    root = ET.parse(out).getroot()
    data = json.loads(cli("report", RUN2, "--format", "json", "-o", str(tmp_path / "r.json")).code == 0 and
                      (tmp_path / "r.json").read_text(encoding="utf-8"))  # fmt: skip
    checks = sum(len(h["checks"]) for h in data["hosts"]) + sum(h["status"] != "ok" for h in data["hosts"])
    assert int(root.get("tests", "0")) == checks == len(root.findall(".//testcase"))
    gap = root.find("testsuite[@name='branch-sw9']/testcase[@name='inspection']/error")
    assert gap is not None and gap.get("type") == "unreachable"
    failures = root.findall(".//testcase/failure")
    assert int(root.get("failures", "0")) == len(failures) > 0
    drift = [c for c in root.findall("testsuite[@name='core-sw1']/testcase") if c.get("name", "").startswith("drift.")]
    assert drift and drift[0].find("failure") is not None
    nas = root.findall("testsuite[@name='nas1']/testcase")
    assert {c.get("classname") for c in nas} == {"patrol.storage.nas1"}


def test_xlsx_summary_and_a_sheet_per_domain_in_chinese(home: Path, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    out = tmp_path / "r.xlsx"
    result = cli("report", RUN2, "--format", "xlsx", "--lang", "zh-Hant", "-o", str(out))
    assert result.code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["摘要", "網路設備", "安全設備", "主機設備", "儲存設備", "發現問題"]
    summary = {r[0]: r[1] for r in wb["摘要"].iter_rows(values_only=True) if r and r[0]}
    assert summary["巡檢覆蓋率"].startswith("12/13") and summary["設定偏離摘要"] >= 1 and summary["已解決"] >= 1
    storage = list(wb["儲存設備"].iter_rows(values_only=True))
    assert storage[0][:5] == ("設備", "平台", "狀態", "檢查項", "結果")
    assert ("nas1", "stor.volume.used_urgent", "通過") in {(r[0], r[3], r[4]) for r in storage[1:]}
    network = list(wb["網路設備"].iter_rows(values_only=True))
    assert any(r[0] == "branch-sw9" and r[4] == "未巡檢" and "拒絕連線" in (r[7] or "") for r in network)
    assert wb["摘要"]["A1"].font.name == "Noto Sans CJK TC"
    (chart,) = wb["摘要"]._images  # the findings-by-priority chart, embedded PNG at column I
    assert chart.format == "png" and chart.anchor._from.col == 8 and chart.width > 300
    assert chart._data()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_file_links_its_chart_png_written_next_to_it(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "week 48.md"
    assert PatrolCLI(home)("report", RUN2, "--format", "md", "--lang", "zh-Hant", "-o", str(out)).code == 0
    text = out.read_text(encoding="utf-8")
    png = tmp_path / "week 48-health.png"
    assert "![各類設備健康狀況](week%2048-health.png)" in text
    assert text.index("## 各類設備健康狀況") < text.index("week%2048-health.png") < text.index("## 發現問題")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_markdown_without_a_file_says_the_chart_is_left_out(lab_store: Store) -> None:
    from patrol.report import build_report
    from patrol.report.markdown import NO_CHART_NOTE, render_markdown

    text = render_markdown(build_report(lab_store, "latest", lang="en"))
    assert NO_CHART_NOTE in text and "![" not in text


def test_lang_defaults_to_the_locale(home: Path, tmp_path: Path) -> None:
    cli = LocaleCLI(home, "zh_TW.UTF-8")
    out = tmp_path / "r.md"
    result = cli("report", RUN2, "--format", "md", "-o", str(out))
    assert result.code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("# 巡檢報告")


def test_unknown_format_and_run_are_clear_errors(home: Path, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    bad = cli("report", RUN2, "--format", "pdf", "-o", str(tmp_path / "x"))
    assert bad.code == 2 and "unknown report format 'pdf'" in bad.output and "xlsx" in bad.output
    missing = cli("report", "19990101-nope", "--format", "md", "-o", str(tmp_path / "y.md"))
    assert missing.code == 2 and "19990101-nope" in missing.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y.md").exists()


@pytest.mark.browser
def test_html_in_chinese_shows_tickets_and_drift_in_a_browser(home: Path, browser: Any, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    page = tmp_path / "r.html"
    assert cli("report", RUN2, "--format", "html", "--lang", "zh-Hant", "-o", str(page)).code == 0
    tab = open_report(browser, page, artifacts(tmp_path) / "report-zh.png")
    text = tab.page.inner_text("body")
    assert "設定偏離摘要" in text and "本次巡檢變動的工單" in text
    resolved = tab.page.locator("#tickets tr.ticket-resolved")
    assert resolved.count() >= 1 and "nas1" in resolved.first.inner_text() and "已解決" in resolved.first.inner_text()
    assert "core-sw1" in tab.page.inner_text("#drift")
