"""Charts of the reports (matplotlib, Agg backend, no display) as PNG bytes, labelled in ``en`` or ``zh``.

The CJK font is the locally installed Noto Sans CJK (Debian fonts-noto-cjk); without it the
labels fall back to DejaVu Sans (Chinese would show boxes, so the font is looked up, never
downloaded). The same PNG goes into every format: a data URI in HTML (``data_uri(png)``), an
image on the XLSX summary sheet, a file next to a Markdown report, a picture in a Word document.

``health_chart(report)`` -> the run's findings by priority per domain (stacked horizontal bars,
x = findings, y = domain, one colour per priority, inspected/total hosts next to each domain).
:mod:`patrol.history.charts` builds the history charts on the same figure helpers.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager

from patrol.i18n import catalogue, cjk_font
from patrol.models import Severity
from patrol.report.labels import domain_label, labels
from patrol.report.model import RunReport
from patrol.report.summary import domain_health

__all__ = ["HEALTH_CHART", "SEVERITY_COLOURS", "chart_text", "data_uri", "figure", "health_chart", "png_bytes"]

#: The file-name stem and alt text key of the run report's chart.
HEALTH_CHART = "health"
SEVERITY_COLOURS = {"critical": "#b3261e", "urgent": "#d46b08", "normal": "#1f6feb", "other": "#8c959f"}
_CHART_TEXT = {
    "en": {"title": "Findings by priority per domain", "x": "Findings", "y": "Domain", "hosts": "hosts inspected"},
    "zh": {"title": "各類設備問題數（按優先級）", "x": "發現問題數", "y": "設備類別", "hosts": "台已巡檢"},
}


@cache
def _font(first: str) -> list[str]:
    names = {f.name for f in font_manager.fontManager.ttflist}
    faces = (first, "Noto Sans CJK TC", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK TC")
    return [*dict.fromkeys(n for n in faces if n in names), "DejaVu Sans"]


def figure(width: float = 8, height: float = 3.6, lang: str = "en") -> tuple[Any, Any]:
    """A new (figure, axes) with the CJK-capable font family set (Simplified glyph shapes for zh-Hans)."""
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = _font(cjk_font(lang))
    plt.rcParams["axes.unicode_minus"] = False
    return plt.subplots(figsize=(width, height), dpi=96)


def png_bytes(fig: Any) -> bytes:
    """``fig`` as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chart_text(lang: str) -> dict[str, str]:
    return catalogue(_CHART_TEXT, lang)


def health_chart(report: RunReport) -> bytes:
    """Findings by priority per domain as stacked bars (see the module docstring)."""
    L, T = labels(report.lang), chart_text(report.lang)
    health = list(reversed(domain_health(report)))  # first domain on top
    fig, ax = figure(8, 1.4 + 0.55 * max(1, len(health)), report.lang)
    names = [domain_label(h.domain, report.lang) for h in health]
    left = [0] * len(health)
    for s in Severity:
        counts = [h.by_severity[s.value] for h in health]
        ax.barh(names, counts, left=left, color=SEVERITY_COLOURS[s.value], label=L[s.value], height=0.6)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    for y, (h, total) in enumerate(zip(health, left, strict=True)):
        ax.annotate(f" {total} · {h.inspected}/{h.hosts} {T['hosts']}", (total, y), va="center", fontsize=8)
    ax.set(title=T["title"], xlabel=T["x"], ylabel=T["y"])
    ax.set_xlim(0, max([*left, 1]) * 1.45)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, ncols=4)
    return png_bytes(fig)
