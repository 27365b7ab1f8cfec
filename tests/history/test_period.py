"""The monthly service report (CLI ``report --period``) and the scheduled delivery hook (real SMTP peer)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from patrol.history.delivery import deliver_report
from patrol.history.processor import HistoryProcessor
from patrol.models import RunStatus
from patrol.store import Store
from patrol.tickets import load_contract
from tests.browser import artifacts, open_report
from tests.conftest import PatrolCLI
from tests.report.conftest import LAB_FIXTURES, lab_case
from tests.report.ingest import ingest
from tests.tickets.conftest import running_smtp

from .incli import patrol

END = datetime(2026, 10, 31, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """20 daily runs in October 2026 over the recorded lab (network, storage, servers)."""
    from patrol.checks import load_profiles
    from patrol.paths import PROFILES_DIR

    home = tmp_path_factory.mktemp("period") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles = load_profiles([PROFILES_DIR])
    cases = [lab_case(LAB_FIXTURES / f"{name}.json") for name in ("core-sw1", "nas1", "fw1", "branch-sw9")]
    for day in range(20):
        ingest(store, f"oct-{day:02d}", cases, profiles, END - timedelta(days=19 - day))
        HistoryProcessor().run_done(store, f"oct-{day:02d}", RunStatus.COMPLETED)
    store.close()
    yield home


def test_monthly_report_in_three_formats(home: Path, tmp_path: Path) -> None:
    cli = PatrolCLI(home)
    md = tmp_path / "m.md"
    assert cli("report", "--period", "2026-10", "--format", "md", "--lang", "en", "-o", str(md)).code == 0
    text = md.read_text(encoding="utf-8")
    assert "# Monthly service report 2026-10" in text and "- Inspection runs: 20" in text
    assert "- Average coverage: 75.0%" in text  # branch-sw9 is never reachable: 3 of 4
    assert "| Network devices |" in text and "![compliance](" in text
    reached = next(line for line in text.splitlines() if "Expand volume /vol/data on nas1" in line)
    assert "over its 85% threshold | now: it is already over the threshold (since 2026-10-12) |" in reached
    chart = text.split("![compliance](", 1)[1].split(")", 1)[0]  # inline (data:) or a PNG next to the file
    assert chart.startswith("data:image/png;base64,") or (md.parent / chart).read_bytes()[:4] == b"\x89PNG"
    xlsx = tmp_path / "m.xlsx"
    zh = ("--lang", "zh-Hant")  # the Traditional report (plain zh is zh-Hans)
    assert patrol(home, "report", "--period", "2026-10", "--format", "xlsx", *zh, "-o", str(xlsx)).code == 0
    ws = load_workbook(xlsx).worksheets[0]
    assert ws.title == "月度服務報告" and ws["A1"].value == "月度服務報告 2026-10"
    values = {c for row in ws.iter_rows(values_only=True) for c in row if c}
    assert "巡檢次數: 20" in values and "各類設備合規率" in values and len(ws._images) >= 1
    page = tmp_path / "m.html"
    assert patrol(home, "report", "--period", "2026-10", "--format", "html", "-o", str(page)).code == 0
    assert page.read_text(encoding="utf-8").count('class="chart"') >= 1


@pytest.mark.browser
def test_monthly_html_in_chinese_in_a_browser(home: Path, browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "month.html"
    zh = ("--lang", "zh-Hant")
    assert patrol(home, "report", "--period", "2026-10", "--format", "html", *zh, "-o", str(page)).code == 0
    tab = open_report(browser, page, artifacts(tmp_path) / "monthly-zh.png")
    assert "月度服務報告 2026-10" in tab.page.inner_text("body")


def test_month_without_runs_says_no_data(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty.md"
    result = patrol(home, "report", "--period", "2026-09", "--format", "md", "--lang", "en", "-o", str(out))
    assert result.code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "No data: no inspection run in this period." in text and "100" not in text


def test_bad_period_and_format_are_clear_errors(home: Path, tmp_path: Path) -> None:
    bad = patrol(home, "report", "--period", "2026-13", "-o", str(tmp_path / "x.html"))
    assert bad.code == 2 and "expected a month as YYYY-MM" in bad.output
    junit = patrol(home, "report", "--period", "2026-10", "--format", "junit", "-o", str(tmp_path / "x.xml"))
    assert junit.code == 2 and "choose one of html, md, xlsx" in junit.output
    assert not list(tmp_path.iterdir())


class TemplateCLI(PatrolCLI):
    """The patrol command with ``PATROL_TEMPLATES`` set (a customer's template folder)."""

    def __init__(self, home: Path, templates: Path) -> None:
        super().__init__(home)
        self.templates = templates

    @property
    def env(self) -> dict[str, str]:
        return super().env | {"PATROL_TEMPLATES": str(self.templates)}


def test_template_override_with_syntax_error_is_named(home: Path, tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "report.html.j2").write_text("{% if %}\n", encoding="utf-8")
    result = TemplateCLI(home, tmp_path / "tpl")("report", "oct-19", "--format", "html", "-o", str(tmp_path / "r.html"))
    assert result.code == 2 and "report.html.j2:1" in result.output
    assert not (tmp_path / "r.html").exists()
    assert patrol(home, "report", "oct-19", "--format", "html", "-o", str(tmp_path / "ok.html")).code == 0


def test_delivery_hook_mails_the_report_as_attachment(home: Path, tmp_path: Path) -> None:
    with running_smtp() as smtp:
        service = tmp_path / "service.yml"
        service.write_text(f"notify:\n  - name: noc-mail\n    type: smtp\n    host: 127.0.0.1\n    port: {smtp.port}\n"
                           "    sender: patrol@example.net\n    to: [noc@example.net]\n", encoding="utf-8")  # fmt: skip
        store = Store.open(f"sqlite:///{home / 'patrol.db'}")
        done = deliver_report(store, load_contract(service), tmp_path / "out", period="2026-10", fmt="xlsx",
                              lang="zh-Hant")
        store.close()
        assert done.sent == ["noc-mail"] and done.errors == []
        assert done.path == tmp_path / "out" / "period-2026-10.xlsx"
        (mail,) = smtp.messages
    assert mail["Subject"] == "patrol report 2026-10" and mail["To"] == "noc@example.net"
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "period-2026-10.xlsx"
    assert attachment.get_content() == done.path.read_bytes()
