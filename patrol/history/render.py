"""Proposals as Markdown, a self-contained HTML page (charts inline as PNG data URIs) or Word.

``render_proposals(proposals, fmt, lang, charts)``: ``fmt`` is ``md``, ``html`` or ``docx``
(bytes); ``charts`` maps a proposal's index to PNG bytes (evidence charts): a capacity proposal's
used-% series with its threshold, the others' ``breakdown`` as bars (:func:`evidence_chart`).
``write_proposals(store, proposals, rules, since, fmt, lang, path)`` computes the charts and
writes the file; Markdown gets them as PNG files next to it (``proposals-proposal-1.png``) linked
relatively, or a comment when rendered without a file.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from patrol.history.charts import bar_chart, data_uri, line_chart
from patrol.history.forecast import Forecast, metric_series
from patrol.history.proposals import Proposal, Rule
from patrol.i18n import catalogue, is_zh, resolve, zh_text
from patrol.report.atomic import write_atomic
from patrol.report.labels import labels
from patrol.report.markdown import NO_CHART_NOTE, chart_file
from patrol.store import Store

__all__ = ["DOCUMENT_TOP", "EVIDENCE_CHARTS", "FORMATS", "PROPOSAL_LABELS", "capacity_chart", "evidence_chart",
           "proposal_charts", "render_proposals", "write_proposals"]  # fmt: skip

#: File formats of ``patrol propose --format``.
FORMATS = ("md", "html", "docx")
#: proposals a document shows in full, with their charts (``patrol propose --top``); the rest are counted
DOCUMENT_TOP = 50

PROPOSAL_LABELS = {
    "en": {"title": "Improvement proposals", "priority": "Priority", "proposal": "Proposal",
           "benefit": "Expected benefit",
           "timeline": "Timeline", "assets": "Affected assets", "evidence": "Evidence", "none": "No proposal: "
           "the history shows nothing the rules flag (or there is no data in the period).",
           "used": "Used (%)", "date": "Date", "threshold": "threshold", "target": "target",
           "more": "{n} more proposals rank below these: `patrol propose --format json` lists them all "
           "(or `--top 0`)."},
    "zh": {"title": "改進建議", "priority": "優先級", "proposal": "建議", "benefit": "預期效益", "timeline": "建議時程",
           "assets": "涉及資產", "evidence": "依據",
           "none": "沒有建議：歷史數據中沒有規則標記的問題（或期間內沒有數據）。",
           "used": "使用率 (%)", "date": "日期", "threshold": "門檻", "target": "目標",
           "more": "另有 {n} 項排名較後的建議未列出：`patrol propose --format json` 可列出全部（或使用 `--top 0`）。"},
}  # fmt: skip


def capacity_chart(series: pd.DataFrame, f: Forecast, lang: str) -> bytes:
    """The resource's used % over time with the threshold line (evidence of a capacity proposal)."""
    L = catalogue(PROPOSAL_LABELS, lang)
    s = series.set_index("at")["used_percent"]

    def threshold(ax: Any) -> None:
        ax.axhline(f.threshold, color="#b3261e", linestyle="--", label=f"{L['threshold']} {f.threshold:g}%")
        ax.set_ylim(0, 100)

    return line_chart({f"{f.host}:{f.name}": s}, f"{f.host} {f.name}", L["date"], L["used"], extra=threshold,
                      lang=lang)


#: per rule kind: the evidence chart's title (placeholders: the proposal's evidence), x and y labels
EVIDENCE_CHARTS: dict[str, dict[str, tuple[str, str, str]]] = {
    "en": {"sprawl": ("{platform}: devices per version", "Version", "Devices"),
           "recurrence": ("{check}: recurrences per host", "Host", "Recurrences"),
           "sla": ("Resolve-clock attainment per priority", "Priority", "Attainment (%)"),
           "flapping": ("{host} {check}: changes to fail per week", "Week of", "Changes to fail")},
    "zh": {"sprawl": ("{platform}：各版本設備數", "版本", "設備數"),
           "recurrence": ("{check}：各設備復發次數", "設備", "復發次數"),
           "sla": ("各優先級解決時限達成率", "優先級", "達成率 (%)"),
           "flapping": ("{host} {check}：每週轉為失敗次數", "週起始日", "轉為失敗次數")},
}  # fmt: skip


def evidence_chart(p: Proposal, kind: str, lang: str) -> bytes | None:
    """Bars of the proposal's ``breakdown`` (rule kind ``sprawl``, ``recurrence``, ``sla`` or
    ``flapping``), titled and labelled in ``lang``; None without a breakdown."""
    L, S = catalogue(PROPOSAL_LABELS, lang), labels(lang)
    charts = catalogue(EVIDENCE_CHARTS, lang)
    if not p.breakdown or kind not in charts:
        return None
    title, xlabel, ylabel = charts[kind]
    values = {S.get(k, k): v for k, v in p.breakdown.items()} if kind == "sla" else p.breakdown
    target = p.evidence.get("target") if kind == "sla" else None

    def target_line(ax: Any) -> None:
        ax.set_ylim(0, 105)
        ax.axhline(target, color="#b3261e", linestyle="--", label=f"{L['target']} {target:g}%")
        ax.legend(loc="best", fontsize=8)

    return bar_chart(values, title.format(**p.evidence), xlabel, ylabel, unit="%" if kind == "sla" else "",
                     extra=target_line if target is not None else None, lang=lang)  # fmt: skip


#: the names of a proposal's evidence figures in Chinese (English shows the figure's key)
EVIDENCE_NAMES_ZH = {
    "host": "設備", "name": "名稱", "kind": "類型", "threshold": "門檻 %", "days": "天數", "days_low": "最少天數",
    "days_high": "最多天數", "current": "目前 %", "slope": "每天增長", "platform": "平台", "versions": "版本數",
    "hosts": "設備數", "detail": "明細", "check": "檢查項", "recurrences": "復發次數", "priority": "優先級",
    "missed": "超時", "closed": "已關閉", "attainment": "達成率 %", "target": "目標 %", "object": "對象",
    "asset": "資產", "flips": "轉為失敗次數",
}  # fmt: skip


def _evidence(p: Proposal, lang: str) -> str:
    """``key=value, …`` of the proposal's figures; in Chinese with the figures named and priorities translated."""
    figures = {k: v for k, v in p.evidence.items() if k not in ("half",)}
    if not is_zh(lang):
        return ", ".join(f"{k}={v}" for k, v in figures.items())
    S = labels(lang)

    def value(key: str, v: Any) -> str:
        return "—" if v is None else S.get(str(v), str(v)) if key == "priority" else str(v)

    return "，".join(f"{zh_text(EVIDENCE_NAMES_ZH.get(k, k), lang)}={value(k, v)}" for k, v in figures.items())


def _facts(p: Proposal, lang: str) -> list[str]:
    L, S = catalogue(PROPOSAL_LABELS, lang), labels(lang)
    return [f"{L['priority']}: {S[p.priority.value]}", f"{L['benefit']}: {p.benefit}",
            f"{L['timeline']}: {p.timeline}", f"{L['assets']}: {', '.join(p.assets) or '—'}",
            f"{L['evidence']}: {_evidence(p, lang)}"]  # fmt: skip


def _more(lang: str, more: int) -> list[str]:
    """The closing note of a document that leaves ``more`` lower-ranked proposals out."""
    return [catalogue(PROPOSAL_LABELS, lang)["more"].format(n=more)] if more else []


def _markdown(proposals: Sequence[Proposal], lang: str, charts: dict[int, bytes],
              chart_links: dict[int, str] | None, more: int) -> str:  # fmt: skip
    L = catalogue(PROPOSAL_LABELS, lang)
    lines = [f"# {L['title']}", ""]
    if not proposals:
        return "\n".join([*lines, L["none"], ""])
    if charts and chart_links is None:
        lines += [NO_CHART_NOTE, ""]
    for i, p in enumerate(proposals):
        lines += [f"## {i + 1}. {p.title}", "", *[f"- {fact}" for fact in _facts(p, lang)], ""]
        if chart_links and i in chart_links:
            lines += [f"![{p.title}]({quote(chart_links[i])})", ""]
    return "\n".join([*lines, *[f"{note}\n" for note in _more(lang, more)]])


def _docx(proposals: Sequence[Proposal], lang: str, charts: dict[int, bytes], more: int) -> bytes:
    from patrol.history.docx_render import WordDocument  # python-docx: only for Word output

    L = catalogue(PROPOSAL_LABELS, lang)
    doc = WordDocument(lang)
    doc.heading(L["title"], 0)
    if not proposals:
        doc.paragraph(L["none"])
    for i, p in enumerate(proposals):
        doc.heading(f"{i + 1}. {p.title}", 1)
        doc.bullets(_facts(p, lang))
        if i in charts:
            doc.picture(charts[i])
    for note in _more(lang, more):
        doc.paragraph(note)
    return doc.to_bytes()


def _html(proposals: Sequence[Proposal], lang: str, charts: dict[int, bytes], more: int) -> str:
    L, S = catalogue(PROPOSAL_LABELS, lang), labels(lang)
    e = html.escape
    parts = [f'<!DOCTYPE html><html lang="{resolve(lang)}"><head><meta charset="utf-8">',
             f"<title>{e(L['title'])}</title><style>{_CSS}</style></head><body><h1>{e(L['title'])}</h1>"]  # fmt: skip
    if not proposals:
        parts.append(f'<p class="none">{e(L["none"])}</p>')
    for i, p in enumerate(proposals):
        chart = f'<img class="chart" alt="{e(p.title)}" src="{data_uri(charts[i])}">' if i in charts else ""
        parts.append(
            f'<section class="proposal" data-rule="{e(p.rule)}"><h2>{i + 1}. {e(p.title)}</h2>'
            f'<p><span class="sev {p.priority.value}">{e(S[p.priority.value])}</span> · {e(L["timeline"])}: '
            f"{e(p.timeline)}</p><p>{e(L['benefit'])}: {e(p.benefit)}</p>"
            f"<p>{e(L['assets'])}: {e(', '.join(p.assets) or '—')}</p>"
            f'<p class="evidence">{e(L["evidence"])}: {e(_evidence(p, lang))}</p>{chart}</section>'
        )
    parts += [f'<p class="more">{e(note)}</p>' for note in _more(lang, more)]
    return "".join([*parts, "</body></html>\n"])


_CSS = (
    '@font-face{font-family:"PatrolCJK";src:local("Noto Sans CJK TC"),local("Noto Sans CJK SC")}'
    'body{font:14px/1.45 "Noto Sans","PatrolCJK","Noto Sans CJK TC",sans-serif;margin:24px;color:#1f2328}'
    'html:lang(zh-Hans) body{font-family:"Noto Sans","Noto Sans CJK SC",sans-serif}'
    ".proposal{border:1px solid #d0d7de;border-radius:6px;padding:4px 12px;margin:10px 0;break-inside:avoid}"
    ".sev{font-weight:700}.critical{color:#b3261e}.urgent{color:#d46b08}.normal{color:#1f6feb}"
    ".chart{max-width:100%}.evidence,.more{color:#57606a}@media print{@page{size:A4;margin:14mm}}"
)


def render_proposals(
    proposals: Sequence[Proposal],
    fmt: str,
    lang: str,
    charts: dict[int, bytes] | None = None,
    chart_links: dict[int, str] | None = None,
    more: int = 0,
) -> str | bytes:
    """``md`` or ``html`` text, or ``docx`` bytes, of the ranked proposals; ``more``: how many
    lower-ranked proposals were left out (the document ends saying so)."""
    if fmt == "docx":
        return _docx(proposals, lang, charts or {}, more)
    if fmt == "html":
        return _html(proposals, lang, charts or {}, more)
    return _markdown(proposals, lang, charts or {}, chart_links, more)


def write_proposals(store: Store, proposals: Sequence[Proposal], rules: Sequence[Rule], since: datetime | None,
                    fmt: str, lang: str, path: Path, top: int = DOCUMENT_TOP) -> list[Path]:  # fmt: skip
    """Compute the evidence charts and write ``fmt`` to ``path``; the files written, the document first.

    ``top``: the document shows the first ``top`` proposals (0: all) and counts the others; a chart
    is a few tenths of a second, and a fleet's thousand capacity proposals make no document to read."""
    shown = list(proposals[:top]) if top else list(proposals)
    more, proposals = len(proposals) - len(shown), shown
    charts = proposal_charts(store, proposals, rules, since, lang)
    files = (
        {i: write_atomic(chart_file(path, f"proposal-{i + 1}"), png) for i, png in charts.items()}
        if fmt == "md"
        else {}
    )
    links = {i: p.name for i, p in files.items()} if fmt == "md" else None
    return [write_atomic(path, render_proposals(proposals, fmt, lang, charts, links, more)), *files.values()]


_NO_SERIES = pd.DataFrame({"at": pd.Series(dtype="datetime64[us, UTC]"), "used_percent": pd.Series(dtype=float)})


def proposal_charts(store: Store, proposals: Sequence[Proposal], rules: Sequence[Rule], since: datetime | None,
                    lang: str) -> dict[int, bytes]:  # fmt: skip
    """Evidence charts: the used-% series of every capacity proposal with its threshold, the
    breakdown of every other proposal as bars (a proposal of a rule not in ``rules`` has none)."""
    metric_of = {r.id: r.metric for r in rules if r.kind == "capacity"}
    kind_of = {r.id: r.kind for r in rules}
    charts: dict[int, bytes] = {}
    series: dict[str, dict[tuple[str, str], pd.DataFrame]] = {}
    for i, p in enumerate(proposals):
        metric = metric_of.get(p.rule)
        if metric is None:
            bars = evidence_chart(p, kind_of.get(p.rule, ""), lang)
            if bars is not None:
                charts[i] = bars
            continue
        if metric not in series:
            frame = metric_series(store, metric, since)
            series[metric] = {(str(h), str(n)): g for (h, n), g in frame.groupby(["host", "name"], observed=True)}
        ev = p.evidence
        mine = series[metric].get((str(ev["host"]), str(ev["name"])), _NO_SERIES)
        f = Forecast(ev["host"], ev["kind"], ev["name"], ev["threshold"], len(mine))
        charts[i] = capacity_chart(mine, f, lang)
    return charts
