"""Reports of a run over the recorded lab snapshots: JSON shape, HTML seen by a real browser."""

from __future__ import annotations

import json
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from patrol import plugins
from patrol.errors import ReportError
from patrol.paths import TEMPLATES_DIR
from patrol.report import build_report, render_html, render_json, write_atomic
from patrol.store import Store
from tests.browser import CHROMIUM, NO_CHROMIUM

from .conftest import RUN_ID

HOSTILE = "<script>alert('xss')</script><b>x</b>"


def test_json_report_schema(lab_store: Store) -> None:
    data = json.loads(render_json(build_report(lab_store, "latest")))
    assert data["schema"] == "patrol.report/1"
    assert set(data) == {
        "schema",
        "generated_at",
        "lang",
        "run",
        "coverage",
        "findings_by_severity",
        "waived_by_severity",
        "findings_by_domain",
        "findings",
        "hosts",
        "changes",
        "tickets",
        "drift",
    }
    assert data["run"]["run_id"] == RUN_ID and data["run"]["status"] == "completed"
    assert data["coverage"] == {
        "inspected": 12,
        "total": 13,
        "percent": 92.3,
        "gaps": [{"host": "branch-sw9", "status": "unreachable", "reason": "connection refused by 127.0.0.1:6099"}],
    }
    assert data["findings_by_severity"] == {"critical": 2, "urgent": 7, "normal": 6, "other": 0}
    assert data["findings_by_domain"] == {"network": 9, "security": 2, "host": 3, "storage": 1}
    assert [f["severity"] for f in data["findings"][:2]] == ["critical", "critical"]
    assert set(data["findings"][0]) >= {
        "host",
        "check_id",
        "object",
        "severity",
        "domain",
        "title_en",
        "title_zh",
        "message",
        "evidence",
        "fingerprint",
        "remediation",
    }
    core = next(h for h in data["hosts"] if h["host"] == "core-sw1")
    assert core["check_counts"]["fail"] == 4 and core["facts"]["os_version"] == "15.8(3)M2"
    assert {
        "name": "GigabitEthernet2",
        "admin_up": True,
        "oper_up": False,
        "description": "uplink to dist-sw1",
    } in core["interfaces"]


def test_report_formats_are_entry_points(lab_store: Store) -> None:
    report = build_report(lab_store, RUN_ID[:8])
    assert plugins.load("patrol.reports", "json")(report) == render_json(report)
    assert plugins.load("patrol.reports", "html")(report).startswith("<!DOCTYPE html>")


def test_html_is_self_contained_and_escapes_device_text(lab_store: Store) -> None:
    html = render_html(build_report(lab_store, RUN_ID))
    assert "<script" not in html  # neither ours nor the device's
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in html
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "@media print" in html and "size: A4" in html


def test_html_in_chinese(lab_store: Store) -> None:
    html = render_html(build_report(lab_store, RUN_ID, lang="zh-Hant"))
    assert "巡檢報告" in html and "未能巡檢的設備" in html and "特急" in html and "Telnet 管理已啟用；必須禁用" in html
    chart = html.split('id="chart-health"')[1].split(">")[0]  # inline PNG, labelled in zh
    assert 'alt="各類設備健康狀況"' in chart and 'src="data:image/png;base64,iVBORw0KGgo' in chart


def test_user_template_folder_overrides_bundled(
    lab_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "style.css.j2").write_text("body { color: #123456; }", encoding="utf-8")
    monkeypatch.setenv("PATROL_TEMPLATES", str(tmp_path))
    html = render_html(build_report(lab_store, RUN_ID))
    assert "#123456" in html and "Inspection report" in html  # report.html.j2 still the bundled one


def test_template_with_unknown_variable_fails_loudly(lab_store: Store, tmp_path: Path) -> None:
    (tmp_path / "report.html.j2").write_text("{{ report.no_such_thing }}", encoding="utf-8")
    with pytest.raises(ReportError, match="no_such_thing"):
        render_html(build_report(lab_store, RUN_ID), template_dir=tmp_path)
    with pytest.raises(ReportError, match="does not exist"):
        render_html(build_report(lab_store, RUN_ID), template_dir=tmp_path / "missing")


def test_bundled_templates_exist() -> None:
    assert (TEMPLATES_DIR / "report.html.j2").is_file()


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "r1" / "report.html"
    write_atomic(target, "old")
    write_atomic(target, "new 巡檢")
    assert target.read_text(encoding="utf-8") == "new 巡檢"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temp file left
    with pytest.raises(ReportError, match="cannot write"):
        write_atomic(target / "below-a-file.html", "x")


class _Dom(HTMLParser):
    """Collects script elements and the text of description cells / summary numbers."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.text_by_id: dict[str, str] = {}
        self.descriptions: list[str] = []
        self._capture: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if attr.get("class") == "descr":
            self._capture, self.descriptions = "descr", [*self.descriptions, ""]
        elif attr.get("id") in ("coverage", "count-critical", "count-urgent"):
            self._capture = str(attr["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span"):
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._capture == "descr":
            self.descriptions[-1] += data
        elif self._capture:
            self.text_by_id[self._capture] = self.text_by_id.get(self._capture, "") + data


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=90, check=True, env={**os.environ, "HOME": str(profile)}
    )


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_html_in_real_browser_shows_hostile_text_as_text(lab_store: Store, tmp_path: Path) -> None:
    page = write_atomic(tmp_path / "report.html", render_html(build_report(lab_store, RUN_ID)))
    dom = _Dom()
    dom.feed(_chromium(["--dump-dom", page.as_uri()], tmp_path / "chrome").stdout)
    assert dom.scripts == 0  # the description did not become an element
    assert HOSTILE in dom.descriptions  # ...it is shown as the text the device holds
    assert dom.text_by_id == {"coverage": "12/13", "count-critical": "2", "count-urgent": "7"}
    shot = tmp_path / "report.png"
    _chromium(["--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()], tmp_path / "chrome")
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
