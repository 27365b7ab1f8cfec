"""The XLSX workbook (openpyxl): a summary sheet plus one sheet per domain — the hand-over form.

Sheets: ``Summary`` / ``摘要`` (run, coverage, health per domain, findings by priority, drift,
tickets, and the findings-by-priority chart as an embedded PNG image at column I), then one sheet
per domain that has hosts (``Network devices`` / ``網絡設備`` …) with a row per (host, check):
host, platform, status, check, outcome, priority, object, message; and a ``Findings`` sheet.
Cells use a CJK-capable font so Chinese renders in Excel and LibreOffice.

Every row goes through :func:`append_row`: text that starts like a formula (``= + - @``, tab, CR;
host names, messages and objects come from devices) is stored as a string cell with Excel's
quote prefix, so it is shown as text and never evaluated, not even after the cell is edited.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from patrol.i18n import cjk_font, pick
from patrol.i18n.messages import finding_message, reason_text
from patrol.models import Severity
from patrol.report.labels import domain_label, labels, status_label
from patrol.report.model import HostReport, RunReport
from patrol.report.summary import domain_health

__all__ = ["CJK_FONT", "FORMULA_START", "append_row", "render_xlsx", "script_fonts"]

#: Font named in every cell: Noto Sans CJK has the glyphs of both languages (SC in zh-Hans: :func:`script_fonts`).
CJK_FONT = "Noto Sans CJK TC"
_BODY = Font(name=CJK_FONT, size=10)
_HEAD = Font(name=CJK_FONT, size=10, bold=True)
_TITLE = Font(name=CJK_FONT, size=14, bold=True)
_FILL = PatternFill("solid", fgColor="F6F8FA")
#: First characters that make a spreadsheet read a cell as a formula (or a DDE call).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def append_row(ws: Worksheet, values: Sequence[object]) -> None:
    """``ws.append(values)``, with text that starts like a formula written as text (quote prefix)."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"  # openpyxl made "=..." a formula; a string cell is never evaluated
            cell.quotePrefix = True


def _rows(ws: Worksheet, rows: Iterable[Iterable[object]], header: bool = False) -> None:
    for row in rows:
        append_row(ws, list(row))
        for cell in ws[ws.max_row]:
            cell.font = _HEAD if header else _BODY
            if header:
                cell.fill = _FILL


def _summary(ws: Worksheet, report: RunReport) -> None:
    L, cov = labels(report.lang), report.coverage
    append_row(ws, [f"{L['title']} {report.run.run_id}"])
    ws["A1"].font = _TITLE
    _rows(ws, [(L["status"], status_label(report.run.status.value, report.lang)),
               (L["started"], report.run.started_at.strftime("%Y-%m-%d %H:%M UTC")),
               (L["coverage"], f"{cov.inspected}/{cov.total} ({cov.percent}%)"),
               (L["drift"], report.drift.total),
               *((L[k], len(getattr(report.tickets, k))) for k in ("opened", "reopened", "resolved")), ()])  # fmt: skip
    _rows(ws, [[L["domain"], L["hosts_col"], L["inspected"], *[L[s.value] for s in Severity]]], header=True)
    _rows(ws, [(domain_label(h.domain, report.lang), h.hosts, h.inspected, *h.by_severity.values())
               for h in domain_health(report)])  # fmt: skip
    _rows(ws, [(L["total"], cov.total, cov.inspected,
                *(report.findings_by_severity[s.value] for s in Severity)), ()])  # fmt: skip
    if cov.gaps:
        _rows(ws, [[L["gaps"], L["status"], L["reason"]]], header=True)
        _rows(ws, [(g.host, status_label(g.status, report.lang), reason_text(g.reason, report.lang)) for g in cov.gaps])


def _host_rows(host: HostReport, lang: str) -> list[tuple[object, ...]]:
    L = labels(lang)
    worst = {f.check_id: f for f in sorted(host.findings, key=lambda f: f.severity.rank)}
    status = status_label(host.status, lang)
    if host.status != "ok":
        return [(host.host, host.platform, status, "—", L["not_inspected"], None, None, reason_text(host.error, lang))]
    rows: list[tuple[object, ...]] = []
    for c in host.checks:
        f = worst.get(c.check_id)
        rows.append((host.host, host.platform, status, c.check_id, L[c.outcome],
                     L[f.severity.value] if f else None, ", ".join(c.failed_objects) or None,
                     finding_message(f.message if f else c.message, lang)))  # fmt: skip
    return rows


def _domain_sheet(wb: Workbook, report: RunReport, domain: str) -> None:
    L = labels(report.lang)
    ws = wb.create_sheet(domain_label(domain, report.lang)[:31])
    _rows(ws, [[L["host"], L["platform"], L["status"], L["check"], L["outcome"], L["severity"], L["object"],
                L["message"]]], header=True)  # fmt: skip
    for host in report.hosts:
        if host.device_class and host.device_class.value == domain:
            _rows(ws, _host_rows(host, report.lang))
    _widths(ws, [16, 14, 12, 28, 12, 10, 24, 60])


def _findings_sheet(wb: Workbook, report: RunReport) -> None:
    L = labels(report.lang)
    ws = wb.create_sheet(L["findings"][:31])
    _rows(ws, [[L["severity"], L["domain"], L["host"], L["check"], L["title_col"], L["object"], L["message"]]],
          header=True)  # fmt: skip
    mark = {id(f): f" ({L['waived']} #{f.waiver.id})" for f in report.findings if f.waiver}
    _rows(ws, [(L[f.severity.value] + mark.get(id(f), ""), domain_label(f.domain.value, report.lang), f.host,
                f.check_id, pick(f.title_en, f.title_zh, report.lang), f.object,
                finding_message(f.message, report.lang))
               for f in sorted(report.findings, key=lambda f: (-f.severity.rank, f.host))])  # fmt: skip
    _widths(ws, [10, 14, 16, 28, 30, 24, 60])


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"


def _chart(ws: Worksheet, report: RunReport) -> None:
    """The findings-by-priority chart to the right of the summary tables (column I)."""
    from patrol.report.charts import health_chart  # matplotlib: only when rendering

    image = Image(io.BytesIO(health_chart(report)))
    ws.add_image(image, "I2")


def script_fonts(wb: Workbook, lang: str) -> None:
    """Every styled cell in the CJK face of ``lang``'s script (Simplified glyphs for zh-Hans)."""
    name = cjk_font(lang)
    if name == CJK_FONT:
        return
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.has_style and cell.font.name == CJK_FONT:  # ours: only name, size and bold are set
                    cell.font = Font(name=name, size=cell.font.size, bold=cell.font.bold)


def render_xlsx(report: RunReport) -> bytes:
    """The workbook as bytes (write with :func:`patrol.report.write_atomic`)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = labels(report.lang)["summary"]
    _summary(ws, report)
    _widths(ws, [24, 14, 12, 10, 10, 10, 10])
    _chart(ws, report)
    for health in domain_health(report):
        _domain_sheet(wb, report, health.domain)
    _findings_sheet(wb, report)
    script_fonts(wb, report.lang)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
