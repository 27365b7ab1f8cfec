"""The HTML report: one self-contained file (inline CSS and charts, no external URL, A4 print layout).

The findings-by-priority chart (:func:`patrol.report.charts.health_chart`) is inlined as a PNG
data URI (template variable ``charts["health"]``).

Templates are Jinja2 with autoescaping ON and ``StrictUndefined``: device text (an interface
description ``<script>…``) renders as text, and a template naming an unknown variable fails
instead of printing nothing. Templates are looked up in the user's folder first
(``template_dir`` argument, else ``$PATROL_TEMPLATES``), then in reports/templates/, so a
customer's branding overrides ``report.html.j2`` (or just ``style.css.j2``) without a fork.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from patrol.errors import ReportError
from patrol.i18n import pick
from patrol.i18n.messages import finding_message, reason_text
from patrol.models import Finding
from patrol.paths import TEMPLATES_DIR
from patrol.report.labels import fact_label, labels, resource_label, status_label
from patrol.report.model import RunReport

__all__ = ["TEMPLATE", "render_html", "template_environment"]

TEMPLATE = "report.html.j2"


def template_environment(template_dir: str | Path | None = None) -> jinja2.Environment:
    """Loader order: ``template_dir`` (or ``$PATROL_TEMPLATES``), then the bundled templates."""
    user = template_dir or os.environ.get("PATROL_TEMPLATES") or None
    folders = [str(user)] if user else []
    if user and not Path(user).is_dir():
        raise ReportError(f"template folder {user} does not exist (set by argument or PATROL_TEMPLATES)")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, str(TEMPLATES_DIR)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"
    return env


def _title(finding: Finding, lang: str) -> str:
    return pick(finding.title_en, finding.title_zh, lang)


def render_html(report: RunReport, template_dir: str | Path | None = None) -> str:
    """The report as one HTML document in ``report.lang``; :class:`ReportError` if a template fails."""
    from patrol.report.charts import HEALTH_CHART, data_uri, health_chart  # matplotlib: only when rendering

    env = template_environment(template_dir)
    try:
        template = env.get_template(TEMPLATE)
        return template.render(
            report=report,
            L=labels(report.lang),
            title=lambda f: _title(f, report.lang),
            msg=lambda f: finding_message(f.message, report.lang),
            status=lambda value: status_label(str(value), report.lang),
            reason=lambda text: reason_text(text, report.lang),
            resource=lambda kind: resource_label(kind, report.lang),
            fact=lambda key: fact_label(key, report.lang),
            charts={HEALTH_CHART: data_uri(health_chart(report))},
        )
    except jinja2.TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise ReportError(f"HTML template {TEMPLATE}{where}: {exc}") from exc
