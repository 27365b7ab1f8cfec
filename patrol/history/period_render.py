"""The monthly report as Markdown, self-contained HTML (charts inline), XLSX or Word (charts as images).

``render_period(report, fmt)`` -> ``str`` (md, html) or ``bytes`` (xlsx, docx).
``write_period(report, fmt, path)`` writes it; Markdown gets its charts as PNG files next to the
file (``period-2026-10-compliance.png``) linked relatively. Rendered without a file (stdout),
Markdown carries a comment saying the charts were left out.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Font

from patrol.history.charts import data_uri
from patrol.history.period import PeriodReport
from patrol.i18n import catalogue, cjk_font, is_zh, resolve
from patrol.report.atomic import write_atomic
from patrol.report.labels import domain_label, labels
from patrol.report.markdown import NO_CHART_NOTE, chart_file, md_table
from patrol.report.xlsx import append_row

__all__ = ["FORMATS", "PERIOD_LABELS", "render_period", "write_period"]

FORMATS = ("html", "md", "xlsx", "docx")

PERIOD_LABELS = {
    "en": {"title": "Monthly service report", "no_data": "No data: no inspection run in this period.",
           "runs": "Inspection runs", "coverage": "Average coverage", "compliance": "Compliance by domain",
           "open_now": "Findings at the end of the period", "tickets": "Tickets", "opened": "opened",
           "reopened": "reopened", "resolved": "resolved", "clocks": "SLA clocks",
           "sla_note": "Every SLA clock that started (ticket opened or reopened) or ended (resolved) in the "
                       "period; a recurring ticket counts once per clock.",
           "sla": "SLA attainment by priority (resolve clock)", "mttr": "MTTR (h)",
           "attainment": "Attainment %", "met": "met", "missed": "missed", "repeat": "Most recurring checks",
           "proposals": "Improvement proposals", "timeline": "Timeline", "charts": "Charts", "percent": "%",
           "none": "None."},
    "zh": {"title": "月度服務報告", "no_data": "無數據：本期間沒有巡檢記錄。", "runs": "巡檢次數",
           "coverage": "平均巡檢覆蓋率", "compliance": "各類設備合規率", "open_now": "期末未解決問題",
           "tickets": "工單", "opened": "新開", "reopened": "重開", "resolved": "已解決", "clocks": "SLA 計時",
           "sla_note": "本期間內開始（工單新開或重開）或結束（已解決）的每個 SLA 計時；復發的工單每次計時各算一次。",
           "sla": "各優先級 SLA 達成率（解決時限）",
           "mttr": "平均修復時間 (小時)", "attainment": "達成率 %", "met": "達標", "missed": "未達標",
           "repeat": "最常復發的檢查項", "proposals": "改進建議", "timeline": "建議時程",
           "charts": "圖表", "percent": "%", "none": "無。"},
}  # fmt: skip


def _v(value: Any) -> str:
    return "—" if value is None else str(value)


def _none(r: PeriodReport) -> str:
    """The line an empty section shows instead of a table ("None.")."""
    return catalogue(PERIOD_LABELS, r.lang)["none"]


def _sections(r: PeriodReport) -> list[tuple[str, list[str], list[list[Any]], str]]:
    """(title, header, rows, note under the table) of each section."""
    P, S = catalogue(PERIOD_LABELS, r.lang), labels(r.lang)
    return [
        (P["compliance"], [S["domain"], P["percent"]], [[domain_label(d, r.lang), v] for d, v in r.compliance.items()],
         ""),
        (P["open_now"], [S["severity"], S["count"]], [[S[k], v] for k, v in r.findings_by_severity.items()], ""),
        (P["sla"], [S["severity"], P["clocks"], P["resolved"], P["mttr"], P["met"], P["missed"], P["attainment"]],
         [[S[x["priority"]], x["tickets"], x["resolved"], _v(x["mttr_hours"]), x["met"], x["missed"],
           _v(x["attainment_percent"])] for x in r.sla], P["sla_note"]),
        (P["repeat"], [S["check"], S["findings"], S["hosts_col"]],
         [[x["check_id"], x["findings"], x["hosts"]] for x in r.repeat_checks], ""),
        (P["proposals"], ["#", S["severity"], P["proposals"], P["timeline"]],
         [[i, S[p["priority"]], p["title"], p["timeline"]] for i, p in enumerate(r.proposals, 1)], ""),
    ]  # fmt: skip


def _head(r: PeriodReport) -> tuple[str, list[str]]:
    P = catalogue(PERIOD_LABELS, r.lang)
    title = f"{P['title']} {r.period}"
    if not r.runs:
        return title, [P["no_data"]]
    moves = f"{r.opened} {P['opened']}, {r.reopened} {P['reopened']}, {r.resolved} {P['resolved']}"
    return title, [f"{P['runs']}: {r.runs}", f"{P['coverage']}: {r.coverage_percent}%", f"{P['tickets']}: {moves}"]


def _chart_name(r: PeriodReport, key: str) -> str:
    """A chart's alt text: its key (``compliance``) in English, its section's name in Chinese."""
    return catalogue(PERIOD_LABELS, r.lang).get(key, key) if is_zh(r.lang) else key


def _markdown(r: PeriodReport, chart_links: dict[str, str] | None) -> str:
    title, facts = _head(r)
    lines = [f"# {title}", "", *[f"- {f}" for f in facts], ""]
    if r.runs:
        for name, header, rows, note in _sections(r):
            lines += [f"## {name}", "", *(md_table(header, rows) if rows else [_none(r), ""]),
                      *([f"_{note}_", ""] if note else [])]  # fmt: skip
        if r.charts:
            lines += [f"## {catalogue(PERIOD_LABELS, r.lang)['charts']}", ""]
            if chart_links is None:
                lines.append(NO_CHART_NOTE)
            else:
                lines += [f"![{_chart_name(r, k)}]({quote(chart_links[k])})\n" for k in r.charts]
    return "\n".join(lines).rstrip() + "\n"


def _docx(r: PeriodReport) -> bytes:
    from patrol.history.docx_render import WordDocument  # python-docx: only for Word output

    doc = WordDocument(r.lang)
    title, facts = _head(r)
    doc.heading(title, 0)
    doc.bullets(facts)
    if r.runs:
        for name, header, rows, note in _sections(r):
            doc.heading(name, 1)
            if rows:
                doc.table(header, rows)
            else:
                doc.paragraph(_none(r))
            if note:
                doc.paragraph(note)
        if r.charts:
            doc.heading(catalogue(PERIOD_LABELS, r.lang)["charts"], 1)
        for png in r.charts.values():
            doc.picture(png)
    return doc.to_bytes()


def _html(r: PeriodReport) -> str:
    e = html.escape
    title, facts = _head(r)
    parts = [f'<!DOCTYPE html><html lang="{resolve(r.lang)}"><head><meta charset="utf-8">'
             f"<title>{e(title)}</title><style>{_CSS}</style></head><body><h1>{e(title)}</h1>",
             "<ul id=\"facts\">" + "".join(f"<li>{e(f)}</li>" for f in facts) + "</ul>"]  # fmt: skip
    if r.runs:
        for name, header, rows, note in _sections(r):
            if not rows:
                parts.append(f'<h2>{e(name)}</h2><p class="none">{e(_none(r))}</p>')
                continue
            parts.append(f"<h2>{e(name)}</h2><table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in header) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows]
            parts.append("</table>" + (f'<p class="note">{e(note)}</p>' if note else ""))
        parts += [f'<img class="chart" alt="{e(_chart_name(r, k))}" src="{data_uri(png)}">'
                  for k, png in r.charts.items()]
    return "".join([*parts, "</body></html>\n"])


_CSS = (
    '@font-face{font-family:"PatrolCJK";src:local("Noto Sans CJK TC"),local("Noto Sans CJK SC")}'
    'body{font:14px/1.45 "Noto Sans","PatrolCJK","Noto Sans CJK TC",sans-serif;margin:24px}'
    'html:lang(zh-Hans) body{font-family:"Noto Sans","Noto Sans CJK SC",sans-serif}'
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left}"
    ".chart{max-width:100%;display:block;margin:8px 0}@media print{@page{size:A4;margin:14mm}}"
)


def _xlsx(r: PeriodReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    title, facts = _head(r)
    ws.title = catalogue(PERIOD_LABELS, r.lang)["title"][:31]
    font = Font(name=cjk_font(r.lang), size=10)
    for row in [[title], *[[f] for f in facts], []]:
        append_row(ws, row)
    if r.runs:
        for name, header, rows, note in _sections(r):
            for row in [[name], header, *(rows or [[_none(r)]]), *([[note]] if note else []), []]:
                append_row(ws, [str(c) for c in row])
        anchor = ws.max_row + 2
        for png in r.charts.values():
            ws.add_image(Image(io.BytesIO(png)), f"A{anchor}")
            anchor += 20
    for line in ws.iter_rows():
        for cell in line:
            cell.font = font
    ws.column_dimensions["A"].width, ws.column_dimensions["C"].width = 40, 60
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def render_period(report: PeriodReport, fmt: str, chart_links: dict[str, str] | None = None) -> str | bytes:
    """``md``/``html`` text or ``xlsx``/``docx`` bytes; ``chart_links`` = Markdown's chart files by name."""
    if fmt == "xlsx":
        return _xlsx(report)
    if fmt == "docx":
        return _docx(report)
    return _html(report) if fmt == "html" else _markdown(report, chart_links)


def write_period(report: PeriodReport, fmt: str, path: Path) -> list[Path]:
    """Write the report to ``path`` (Markdown: its chart PNGs next to it first); the files, report first."""
    charts = []
    if fmt == "md" and report.runs:
        charts = [write_atomic(chart_file(path, name), png) for name, png in report.charts.items()]
    links = {name: p.name for name, p in zip(report.charts, charts, strict=False)} if fmt == "md" else None
    return [write_atomic(path, render_period(report, fmt, links)), *charts]
