"""``patrol diff`` in every format: the side-by-side HTML here, text and JSON from :mod:`patrol.drift.render`.

The HTML (``diff.html.j2``, looked up like the run report's templates:
:func:`patrol.report.html.template_environment`) shows secrets only as ``<redacted>``, as the
other forms do; its data is :func:`patrol.drift.render.as_data`.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from patrol.drift.render import FORMATS as DATA_FORMATS
from patrol.drift.render import as_data
from patrol.drift.render import render_diff as render_data
from patrol.drift.rules import DriftRules
from patrol.drift.timetravel import DiffReport
from patrol.errors import ReportError
from patrol.report.html import template_environment

__all__ = ["DIFF_TEMPLATE", "FORMATS", "render_diff", "render_diff_html"]

DIFF_TEMPLATE = "diff.html.j2"
FORMATS = (*DATA_FORMATS, "html")


def render_diff_html(report: DiffReport, rules: DriftRules, explain: bool = False,
                     template_dir: str | Path | None = None) -> str:  # fmt: skip
    """The diff as one self-contained HTML page; :class:`ReportError` if the template fails."""
    env = template_environment(template_dir)
    try:
        return env.get_template(DIFF_TEMPLATE).render(
            report=report, data=as_data(report, rules, explain), explain=explain
        )
    except jinja2.TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise ReportError(f"HTML template {DIFF_TEMPLATE}{where}: {exc}") from exc


def render_diff(
    report: DiffReport, rules: DriftRules, fmt: str = "text", explain: bool = False,
    template_dir: str | Path | None = None,
) -> str:  # fmt: skip
    """The diff as ``text``, ``json`` or ``html``; :class:`ReportError` for another format."""
    if fmt == "html":
        return render_diff_html(report, rules, explain, template_dir)
    if fmt in DATA_FORMATS:
        return render_data(report, rules, fmt, explain)
    raise ReportError(f"unknown diff format {fmt!r}: use one of {', '.join(FORMATS)}")
