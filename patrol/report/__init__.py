"""Reports (the pipeline's last stage): a run as typed data, rendered as HTML or JSON.

``build_report(store, run_id, lang)`` -> :class:`RunReport`; ``render_html(report)`` and
``render_json(report)`` are the entry points of group ``patrol.reports``;
``write_atomic(path, text)`` writes the artifact (temp file + rename);
``patrol.report.output.write_run_report(report, fmt, path)`` renders and writes any format
(Markdown with its chart PNG next to it). Charts: :mod:`patrol.report.charts`.
"""

from patrol.report.atomic import write_atomic
from patrol.report.html import render_html
from patrol.report.jsonreport import render_json
from patrol.report.model import REPORT_SCHEMA, RunReport, build_report

__all__ = ["REPORT_SCHEMA", "RunReport", "build_report", "render_html", "render_json", "write_atomic"]
