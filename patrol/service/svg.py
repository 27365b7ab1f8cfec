"""A labelled bar chart as inline SVG for the dashboard: title, both axes named, ticks, one tooltip per bar.

Inline (no request leaves the page) and text (the axis names and values are readable by a
screen reader and by a test): ``role="img"`` with an ``aria-label`` naming the chart and its
axes. Every text is escaped; the result is :class:`markupsafe.Markup` for the template.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "bar_chart"]

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 64


@dataclass(frozen=True)
class Bar:
    """One bar: its tick label under the axis, its value and the tooltip (``<title>``)."""

    label: str
    value: float
    tip: str
    href: str | None = None


def _ticks(peak: float) -> list[int]:
    """0 and up to four round steps (1, 2, 5, 10, 20, 50, ...) reaching at least ``peak``."""
    step, scale = 1, 1
    while peak / step > 4:
        for m in (2, 5, 10):
            step = m * scale
            if peak / step <= 4:
                break
        scale *= 10
    return list(range(0, (-(-int(peak) // step) * step if peak else step) + 1, step))


def bar_chart(title: str, xlabel: str, ylabel: str, bars: list[Bar], chart_id: str) -> Markup:
    """The chart as an ``<svg>`` element; an empty ``bars`` draws the axes only."""
    ticks = _ticks(max((b.value for b in bars), default=0))
    top = ticks[-1] or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    y0 = TOP + plot_h
    e = escape
    parts = [
        f'<svg id="{e(chart_id)}" class="chart svg-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{e(title)} ({e(xlabel)} / {e(ylabel)})" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<text class="chart-title" x="{WIDTH / 2}" y="18" text-anchor="middle">{e(title)}</text>',
    ]
    for tick in ticks:
        y = y0 - plot_h * tick / top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick y-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    slot = plot_w / max(len(bars), 1)
    every = max(1, -(-len(bars) // 12))  # at most a dozen x labels
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top
        w = min(slot * 0.7, 36.0)
        x = LEFT + slot * (i + 0.5) - w / 2
        rect = (f'<rect class="bar" x="{x:.1f}" y="{y0 - h:.1f}" width="{w:.1f}" height="{h:.1f}">'
                f"<title>{e(bar.tip)}</title></rect>")  # fmt: skip
        parts.append(f'<a href="{e(bar.href)}">{rect}</a>' if bar.href else rect)
        if i % every == 0:
            cx = LEFT + slot * (i + 0.5)
            parts.append(f'<text class="tick x-tick" x="{cx:.1f}" y="{y0 + 14}" text-anchor="end" '
                         f'transform="rotate(-30 {cx:.1f} {y0 + 14})">{e(bar.label)}</text>')  # fmt: skip
    parts += [
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{y0}"/>',
        f'<line class="axis" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y0}" y2="{y0}"/>',
        f'<text class="axis-label x-label" x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{e(xlabel)}</text>",
        f'<text class="axis-label y-label" x="14" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2})">{e(ylabel)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))
