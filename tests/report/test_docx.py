"""Word (docx) documents of the monthly report and the proposals, and the period report's chart
files next to its Markdown: through the CLI over runs fed by patrol's ingest path, opened with
python-docx and checked for headings, tables, pictures and the East Asian font of Chinese text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn

from patrol.history.docx_render import EAST_ASIAN_FONT
from patrol.history.forecast import Forecast
from patrol.history.proposals import Proposal
from patrol.history.render import capacity_chart, render_proposals
from patrol.models import Severity
from patrol.store import Store
from tests.conftest import PatrolCLI

from .conftest import LAB_FIXTURES, lab_case
from .ingest import ingest

END = datetime(2026, 10, 30, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Six daily runs at the end of October 2026 over three recorded lab hosts."""
    from patrol.checks import load_profiles
    from patrol.paths import PROFILES_DIR

    home = tmp_path_factory.mktemp("docx") / "home"
    home.mkdir()
    store = Store.open(f"sqlite:///{home / 'patrol.db'}")
    profiles = load_profiles([PROFILES_DIR])
    cases = [lab_case(LAB_FIXTURES / f"{name}.json") for name in ("core-sw1", "nas1", "branch-sw9")]
    for day in range(6):
        ingest(store, f"oct-{day:02d}", cases, profiles, END - timedelta(days=5 - day))
    store.close()
    yield home


def _east_asian_fonts(doc: object) -> set[str | None]:
    """The w:eastAsia font of every run that holds Chinese text."""
    body = doc.element.body  # type: ignore[attr-defined]
    runs = [r for r in body.iter(qn("w:r")) if any("\u4e00" <= ch <= "\u9fff" for ch in "".join(r.itertext()))]
    assert runs, "no Chinese text in the document"
    return {r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) for r in runs}


def test_monthly_report_as_word_in_chinese(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "月報.docx"
    result = PatrolCLI(home)("report", "--period", "2026-10", "--format", "docx", "--lang", "zh-Hant", "-o", str(out))
    assert result.code == 0, result.output
    doc = Document(str(out))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name in ("Title", "Heading 1")]
    assert headings[0] == ("Title", "月度服務報告 2026-10")
    assert ("Heading 1", "各類設備合規率") in headings and ("Heading 1", "圖表") in headings
    assert "巡檢次數: 6" in [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    compliance = doc.tables[0]
    assert [c.text for c in compliance.rows[0].cells] == ["設備類別", "%"]
    assert {row.cells[0].text for row in compliance.rows[1:]} >= {"網路設備", "儲存設備"}  # zh-Hant glossary
    assert len(doc.inline_shapes) == 2  # compliance trend + tickets opened / resolved
    assert _east_asian_fonts(doc) == {EAST_ASIAN_FONT}
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == EAST_ASIAN_FONT and normal.get(qn("w:eastAsiaTheme")) is None


def test_monthly_markdown_links_chart_files_next_to_it(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.md"
    assert PatrolCLI(home)("report", "--period", "2026-10", "--format", "md", "-o", str(out)).code == 0
    text = out.read_text(encoding="utf-8")
    assert "![compliance](m-compliance.png)" in text and "![tickets](m-tickets.png)" in text
    assert "data:image" not in text
    for name in ("m-compliance.png", "m-tickets.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


def test_period_format_choice_names_docx(home: Path, tmp_path: Path) -> None:
    bad = PatrolCLI(home)("report", "--period", "2026-10", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert bad.code == 2 and "html, md, xlsx, docx" in bad.output and not (tmp_path / "x.pdf").exists()


def _proposal() -> tuple[Proposal, bytes]:
    series = pd.DataFrame({"at": pd.date_range("2026-09-01", periods=30, freq="D", tz="UTC"),
                           "used_percent": [60 + 0.5 * d for d in range(30)]})  # fmt: skip
    forecast = Forecast("nas1", "volume", "/vol/data", 85.0, 30)
    proposal = Proposal(rule="capacity-volume", priority=Severity.URGENT, title="擴容 nas1:/vol/data：約 21 天達 85%",
                        benefit="避免存儲寫滿", timeline="兩週內", assets=["nas1"],
                        evidence={"host": "nas1", "name": "/vol/data", "days": 21}, score=9.0)  # fmt: skip
    return proposal, capacity_chart(series, forecast, "zh-Hant")


def test_proposals_as_word_with_evidence_chart(tmp_path: Path) -> None:
    proposal, chart = _proposal()
    out = tmp_path / "p.docx"
    out.write_bytes(render_proposals([proposal], "docx", "zh-Hant", {0: chart}))  # type: ignore[arg-type]
    doc = Document(str(out))
    assert [p.text for p in doc.paragraphs if p.style.name.startswith(("Title", "Heading"))] == [
        "改進建議", "1. 擴容 nas1:/vol/data：約 21 天達 85%"
    ]  # fmt: skip
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert "優先級: 緊急" in bullets and "涉及資產: nas1" in bullets and "建議時程: 兩週內" in bullets
    assert len(doc.inline_shapes) == 1 and _east_asian_fonts(doc) == {EAST_ASIAN_FONT}


def test_propose_cli_writes_word(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "proposals.docx"
    result = PatrolCLI(home)("propose", "--since", "all", "--format", "docx", "--lang", "en", "-o", str(out))
    assert result.code == 0, result.output
    assert result.stdout.strip().endswith("proposals.docx")
    assert Document(str(out)).paragraphs[0].text == "Improvement proposals"
