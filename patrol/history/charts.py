"""Charts (matplotlib, Agg backend, no display) as PNG bytes, labelled in ``en`` or ``zh``.

Built on :mod:`patrol.report.charts` (the CJK font lookup, figure and PNG helpers shared with the
run report). ``data_uri(png)`` embeds a chart in a self-contained HTML report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from patrol.i18n import catalogue
from patrol.report.charts import data_uri, figure, png_bytes
from patrol.report.labels import domain_label

__all__ = ["CHART_LABELS", "bar_chart", "compliance_chart", "data_uri", "line_chart", "opened_resolved_chart"]

CHART_LABELS: dict[str, dict[str, str]] = {
    "en": {"date": "Date", "compliance": "Compliance (%)", "compliance_title": "Compliance over time",
           "week": "Week", "tickets": "Tickets", "opened": "opened", "resolved": "resolved",
           "or_title": "Findings opened vs resolved", "no_data": "no data"},
    "zh": {"date": "日期", "compliance": "合規率 (%)", "compliance_title": "合規率趨勢",
           "week": "週", "tickets": "工單數", "opened": "新開", "resolved": "已解決",
           "or_title": "問題新開與解決", "no_data": "無數據"},
}  # fmt: skip


def line_chart(series: dict[str, pd.Series], title: str, xlabel: str, ylabel: str,
               extra: Any = None, lang: str = "en") -> bytes:  # fmt: skip
    """One line per named series (index = x); ``extra(ax)`` may draw more (thresholds, bands)."""
    fig, ax = figure(lang=lang)
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


def bar_chart(values: dict[str, float], title: str, xlabel: str, ylabel: str, *, unit: str = "",
              extra: Any = None, lang: str = "en") -> bytes:  # fmt: skip
    """One bar per label, in the order given, each with its value written on it (a 0 stays visible);
    whole numbers get whole-number ticks. ``extra(ax)`` may draw more (a target line)."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = figure(lang=lang)
    x = list(range(len(values)))
    bars = ax.bar(x, list(values.values()), color="#1f6feb")
    ax.bar_label(bars, labels=[f"{v:g}{unit}" for v in values.values()], fontsize=8, padding=2)
    many = len(values) > 8
    ax.set_xticks(x, list(values), rotation=45 if many else 0, ha="right" if many else "center", fontsize=8)
    if len(values) < 3:  # one bar or two: narrow, in the middle
        ax.set_xlim(-1.5, len(values) + 0.5)
    if all(float(v).is_integer() for v in values.values()):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max([*values.values(), 1]) * 1.15)
    if extra is not None:
        extra(ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3, axis="y")
    return png_bytes(fig)


def compliance_chart(frame: pd.DataFrame, lang: str, by: str = "domain") -> bytes:
    """Compliance % per key over time (``frame`` from :func:`patrol.history.trends.compliance`,
    grouped ``by`` domain, group or check; domains are named in ``lang``)."""
    L = catalogue(CHART_LABELS, lang)
    name = (lambda key: domain_label(key, lang)) if by == "domain" else str
    series = {name(str(k)): g.set_index(pd.to_datetime(g["date"]))["percent"] for k, g in frame.groupby("key")}
    return line_chart(series, L["compliance_title"], L["date"], L["compliance"],
                      extra=lambda ax: ax.set_ylim(0, 105), lang=lang)  # fmt: skip


def opened_resolved_chart(frame: pd.DataFrame, lang: str) -> bytes:
    """Weekly bars: tickets opened vs resolved."""
    L = catalogue(CHART_LABELS, lang)
    fig, ax = figure(lang=lang)
    x = range(len(frame))
    ax.bar([i - 0.2 for i in x], frame["opened"], width=0.4, label=L["opened"], color="#d46b08")
    ax.bar([i + 0.2 for i in x], frame["resolved"], width=0.4, label=L["resolved"], color="#1a7f37")
    ax.set_xticks(list(x), list(frame["week"]), rotation=45, ha="right", fontsize=7)
    if len(frame) < 4:  # a bar or three: keep them narrow, in the middle
        ax.set_xlim(-2, len(frame) + 1)
    ax.set(title=L["or_title"], xlabel=L["week"], ylabel=L["tickets"])
    ax.legend(loc="best", fontsize=8)
    return png_bytes(fig)
