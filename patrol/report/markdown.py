"""The Markdown report (GitHub-flavoured tables), in ``report.lang``.

Sections: title + run line, coverage and gaps, health per domain, findings by priority,
drift summary, tickets moved by this run, per-host detail. Device text is escaped so a
``|`` or a newline in a description cannot break a table.

Charts: Markdown cannot carry an image, so :func:`write_markdown` (``patrol report --format md
-o FILE``) writes the findings-by-priority chart as ``<FILE stem>-health.png`` next to the file
and links it relatively (``![…](report-health.png)``); the plain :func:`render_markdown` (stdout,
the ``patrol.reports`` entry point) has no file to put it next to and says so in an HTML comment.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from patrol.i18n import pick
from patrol.i18n.messages import finding_message, reason_text
from patrol.models import Finding, Severity
from patrol.report.labels import domain_label, labels, status_label
from patrol.report.model import RunReport
from patrol.report.summary import domain_health

__all__ = ["NO_CHART_NOTE", "chart_file", "md_cell", "md_table", "render_markdown", "write_markdown"]

#: What a Markdown report without a file says where its chart would be.
NO_CHART_NOTE = ("<!-- charts omitted: this Markdown was not written to a file; write it with -o FILE "
                 "to get them as PNG files next to it -->")  # fmt: skip


def md_cell(value: object) -> str:
    """One table cell: ``|`` escaped, newlines as spaces, ``None`` as a dash."""
    text = "—" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def md_table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = [md_cell(h) for h in header]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _title(f: Finding, lang: str) -> str:
    return pick(f.title_en, f.title_zh, lang)


def _head(report: RunReport) -> list[str]:
    L, run = labels(report.lang), report.run
    cov = report.coverage
    return [
        f"# {L['title']} {run.run_id}",
        "",
        f"- {L['status']}: {status_label(run.status.value, report.lang)}",
        f"- {L['started']}: {run.started_at:%Y-%m-%d %H:%M UTC}",
        f"- {L['coverage']}: {cov.inspected}/{cov.total} {L['inspected']} ({cov.percent}%)",
        "",
    ]


def _coverage(report: RunReport) -> list[str]:
    L = labels(report.lang)
    lines = [f"## {L['gaps']}", ""]
    if not report.coverage.gaps:
        return [*lines, L["no_gaps"], ""]
    return lines + md_table([L["host"], L["status"], L["reason"]],
                            [(g.host, status_label(g.status, report.lang), reason_text(g.reason, report.lang))
                             for g in report.coverage.gaps])  # fmt: skip


def _health(report: RunReport) -> list[str]:
    L = labels(report.lang)
    header = [L["domain"], L["hosts_col"], L["inspected"], *[L[s.value] for s in Severity]]
    rows = [(domain_label(h.domain, report.lang), h.hosts, h.inspected, *h.by_severity.values())
            for h in domain_health(report)]  # fmt: skip
    return [f"## {L['health']}", "", *md_table(header, rows)]


def _findings(report: RunReport) -> list[str]:
    L = labels(report.lang)
    lines = [f"## {L['findings']}", ""]
    if not report.findings:
        return [*lines, L["no_findings"], ""]
    rows = [(_severity(f, L), f.host, f"{_title(f, report.lang)} (`{f.check_id}`)", f.object,
             finding_message(f.message, report.lang))
            for f in sorted(report.findings, key=lambda f: (-f.severity.rank, f.host, f.check_id))]  # fmt: skip
    waived = sum(report.waived_by_severity.values())
    if waived:
        lines += [f"{L['waived']}: {waived} ({L['waived_apart']})", ""]
    return lines + md_table([L["severity"], L["host"], L["check"], L["object"], L["message"]], rows)


def _severity(f: Finding, L: dict[str, str]) -> str:
    """The severity, and for a waived finding its waiver: ``urgent (waived #3 until 2026-12-31)``."""
    if f.waiver is None:
        return L[f.severity.value]
    return f"{L[f.severity.value]} ({L['waived']} #{f.waiver.id} {L['until']} {f.waiver.until:%Y-%m-%d})"


def _drift(report: RunReport) -> list[str]:
    L, d = labels(report.lang), report.drift
    lines = [f"## {L['drift']}", ""]
    if not d.total:
        return [*lines, L["no_drift"], ""]
    lines += [f"{d.total} {L['drift_items']}", ""]
    return lines + md_table([L["host"], L["count"]], d.by_host.items())


def _tickets(report: RunReport) -> list[str]:
    L, moves = labels(report.lang), report.tickets
    lines = [f"## {L['tickets']}", ""]
    rows = [(L[kind], f"#{t.id}", L[t.priority.value], t.host, t.title)
            for kind in ("opened", "reopened", "resolved") for t in getattr(moves, kind)]  # fmt: skip
    if not rows:
        return [*lines, L["no_tickets"], ""]
    return lines + md_table([L["status"], L["ticket"], L["severity"], L["host"], L["title_col"]], rows)


def _hosts(report: RunReport) -> list[str]:
    L = labels(report.lang)
    lines = [f"## {L['hosts']}", ""]
    for h in report.hosts:
        lines += [f"### {md_cell(h.host)} · {h.platform or ''} · {status_label(h.status, report.lang)}", ""]
        if h.error:
            lines += [f"> {md_cell(reason_text(h.error, report.lang))}", ""]
        failed = [c for c in h.checks if c.outcome in ("fail", "error")]
        if failed:
            lines += md_table([L["check"], L["outcome"], L["object"]],
                              [(c.check_id, L[c.outcome], ", ".join(c.failed_objects)) for c in failed])  # fmt: skip
    return lines


def _chart(report: RunReport, link: str | None) -> list[str]:
    if link is None:
        return [NO_CHART_NOTE, ""]
    return [f"![{md_cell(labels(report.lang)['health'])}]({quote(link)})", ""]


def render_markdown(report: RunReport, chart_link: str | None = None) -> str:
    """The report as one Markdown document ending with a newline; ``chart_link`` is the relative
    path of the chart PNG (see the module docstring), ``None`` for a note instead."""
    head = [_head, _coverage, _health]
    tail = [_findings, _drift, _tickets, _hosts]
    lines = [line for part in head for line in part(report)] + _chart(report, chart_link)
    lines += [line for part in tail for line in part(report)]
    return "\n".join(lines).rstrip() + "\n"


def chart_file(path: Path, name: str) -> Path:
    """Where the chart ``name`` of the Markdown file ``path`` goes: ``out/r.md`` -> ``out/r-health.png``."""
    return path.with_name(f"{path.stem}-{name}.png")


def write_markdown(report: RunReport, path: Path) -> list[Path]:
    """Write the chart PNG next to ``path``, then the Markdown linking it (both atomically);
    ``[path, chart]``."""
    from patrol.report.atomic import write_atomic
    from patrol.report.charts import HEALTH_CHART, health_chart

    chart = write_atomic(chart_file(path, HEALTH_CHART), health_chart(report))
    return [write_atomic(path, render_markdown(report, chart.name)), chart]
