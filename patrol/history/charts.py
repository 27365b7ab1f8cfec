"""Charts (matplotlib, Agg backend, no display) as PNG bytes, labelled in ``en`` or ``zh``.

Built on :mod:`patrol.report.charts` (the CJK font lookup, figure and PNG helpers shared with the
run report). ``data_uri(png)`` embeds a chart in a self-contained HTML report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from patrol.report.charts import data_uri, figure, png_bytes

__all__ = ["CHART_LABELS", "compliance_chart", "data_uri", "line_chart", "opened_resolved_chart"]

CHART_LABELS: dict[str, dict[str, str]] = {
    "en": {"date": "Date", "compliance": "Compliance (%)", "compliance_title": "Compliance over time",
           "week": "Week", "tickets": "Tickets", "opened": "opened", "resolved": "resolved",
           "or_title": "Findings opened vs resolved", "no_data": "no data"},
    "zh": {"date": "日期", "compliance": "合規率 (%)", "compliance_title": "合規率趨勢",
           "week": "週", "tickets": "工單數", "opened": "新開", "resolved": "已解決",
           "or_title": "問題新開與解決", "no_data": "無數據"},
}  # fmt: skip


def line_chart(series: dict[str, pd.Series], title: str, xlabel: str, ylabel: str,
               extra: Any = None) -> bytes:  # fmt: skip
    """One line per named series (index = x); ``extra(ax)`` may draw more (thresholds, bands)."""
    fig, ax = figure()
    for name, s in series.items():
        ax.plot(s.index, s.values, marker=".", label=name)
    if extra is not None:
        extra(ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    stamps = {x for s in series.values() for x in s.index}
    if len(stamps) == 1:  # one observation: a day either side, not matplotlib's default of years
        (only,) = stamps
        ax.set_xlim(pd.Timestamp(only) - pd.Timedelta(days=1), pd.Timestamp(only) + pd.Timedelta(days=1))
    if series:
        ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    return png_bytes(fig)


def compliance_chart(frame: pd.DataFrame, lang: str) -> bytes:
    """Compliance % per key over time (``frame`` from :func:`patrol.history.trends.compliance`)."""
    L = CHART_LABELS.get(lang, CHART_LABELS["en"])
    series = {str(k): g.set_index(pd.to_datetime(g["date"]))["percent"] for k, g in frame.groupby("key")}
    return line_chart(series, L["compliance_title"], L["date"], L["compliance"],
                      extra=lambda ax: ax.set_ylim(0, 105))  # fmt: skip


def opened_resolved_chart(frame: pd.DataFrame, lang: str) -> bytes:
    """Weekly bars: tickets opened vs resolved."""
    L = CHART_LABELS.get(lang, CHART_LABELS["en"])
    fig, ax = figure()
    x = range(len(frame))
    ax.bar([i - 0.2 for i in x], frame["opened"], width=0.4, label=L["opened"], color="#d46b08")
    ax.bar([i + 0.2 for i in x], frame["resolved"], width=0.4, label=L["resolved"], color="#1a7f37")
    ax.set_xticks(list(x), list(frame["week"]), rotation=45, ha="right", fontsize=7)
    ax.set(title=L["or_title"], xlabel=L["week"], ylabel=L["tickets"])
    ax.legend(loc="best", fontsize=8)
    return png_bytes(fig)
