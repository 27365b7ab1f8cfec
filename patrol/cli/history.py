"""History commands: analytics over the store's history, and the metric store's upkeep.

``patrol trends --since 90d --by domain --format table|json|png``,
``patrol forecast --metric storage --horizon 180d``, ``patrol propose --since 90d --format html``,
``patrol history rebuild [--since 90d] [--missing]`` (backfill / rebuild the Parquet metric store
at the ``metrics_dir`` setting from the SQL store).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from patrol.cli.common import Context, fail, handled, out, print_table
from patrol.cli.dates import Edge, when
from patrol.cli.langopt import lang_option
from patrol.cli.pathtypes import CwdPath
from patrol.cli.words import cli_words
from patrol.i18n import catalogue, is_zh, zh_text
from patrol.models import utcnow

if TYPE_CHECKING:
    import pandas as pd

    from patrol.history import Trends
    from patrol.store import Store

__all__ = ["COMMANDS", "parse_since"]

_UNITS = {"d": 1, "w": 7}


def parse_since(value: str, now: datetime) -> datetime | None:
    """``90d`` / ``12w`` before ``now``, ``all`` (None) or a date (its start) of any form :mod:`patrol.cli.dates`
    reads (``2026-08-01``, ``01.08.2026``, ``yesterday``)."""
    if value.strip().lower() == "all":
        return None
    return when("--since", value, edge=Edge.START, bare_sign=-1, now=now).at


def _store(obj: Context) -> Store:
    """The SQL store, with the metric store of the ``metrics_dir`` setting bound to it."""
    from patrol.history.metricstore import MetricStore

    store = obj.store
    MetricStore.bind(store, obj.settings.metrics_dir)
    return store


def _json(data: Any) -> None:
    """Indented JSON on stdout, written as is (rich's highlighter takes seconds on a large fleet's output)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


_SINCE = click.option("--since", default="90d", show_default=True, help="Period: 90d, 12w, a date or 'all'.")


_LANG = lang_option("Language of labels and charts")

_TITLES = {
    "compliance": "compliance % per day", "opened_resolved": "tickets opened vs resolved per week",
    "sla": "MTTR and SLA attainment per priority (resolve clock; tickets = SLA clocks started or ended in the period)",
    "repeat_hosts": "repeat offenders: hosts",
    "repeat_checks": "repeat offenders: checks", "flapping": "flapping checks (pass <-> fail)",
    "version_sprawl": "OS / firmware version sprawl per platform", "drift": "drift frequency per host",
}  # fmt: skip


#: columns of the trends tables that name a thing (never cut)
KEY_COLUMNS = {"host", "check", "platform"}

#: the frames' column names as the tables head them (the JSON keeps the frames' names)
HEADERS = {"check_id": "check", "mttr_hours": "MTTR (h)", "attainment_percent": "attainment %",
           "os_version": "OS version", "run_id": "run", "ticket_id": "ticket", "percent": "%",
           "resolved_at": "resolved at", "clock_start": "clock start", "created_at": "created at"}  # fmt: skip


def _header(column: object) -> str:
    name = str(column)
    return HEADERS.get(name, name.replace("_", " "))


def _cell(value: object) -> str:
    """A table cell in words: ``{'4.27.3F': 1}`` -> ``4.27.3F: 1``, a list -> ``a, b``, nothing -> ``—``."""
    if value is None or value != value:  # None or NaN
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _table(name: str, frame: pd.DataFrame, limit: int = 15) -> Table:
    table = Table(title=_TITLES.get(name, name), title_justify="left")
    for column in frame.columns:
        table.add_column(_header(column), overflow="fold")
    rows = frame.tail(limit) if name == "compliance" else frame.head(limit)
    for row in rows.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    return table


def _print_trends(result: Trends) -> None:
    since = result.since.strftime("%Y-%m-%d") if result.since else "the beginning"
    if not result.runs:
        out.print(f"no data: no completed run since {since} (`patrol runs` lists the runs)")
        return
    out.print(f"{result.runs} run(s) since {since}, compliance by {result.by}")
    for name, frame in result.frames.items():
        if frame.empty:
            out.print(f"{_TITLES.get(name, name)}: no data")
        else:
            print_table(_table(name, frame), keys=KEY_COLUMNS)


def _png(result: Trends, output: Path, lang: str) -> list[Path]:
    from patrol.history.charts import compliance_chart, opened_resolved_chart
    from patrol.report.atomic import write_atomic

    written = []
    if not result.frames["compliance"].empty:
        written.append(write_atomic(output.with_name(output.stem + "-compliance.png"),
                                    compliance_chart(result.frames["compliance"], lang, result.by)))  # fmt: skip
    if not result.frames["opened_resolved"].empty:
        written.append(write_atomic(output.with_name(output.stem + "-tickets.png"),
                                    opened_resolved_chart(result.frames["opened_resolved"], lang)))  # fmt: skip
    return written


@click.command()
@_SINCE
@click.option("--by", type=click.Choice(["domain", "group", "check"]), default="domain", show_default=True,
              help="Compliance per domain, inventory group or check.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["table", "json", "png"]), default="table", show_default=True)
@click.option("-o", "--output", type=CwdPath(dir_okay=False, path_type=Path),
              help="png: base name of the charts [default: HOME/trends/trends.png].")  # fmt: skip
@_LANG
@click.pass_obj
def trends(obj: Context, since: str, by: str, fmt: str, output: Path | None, lang: str) -> None:
    """Compliance over time, tickets opened/resolved, MTTR and SLA, repeat offenders, flapping, sprawl, drift."""
    from patrol.history.trends import trends as compute
    from patrol.tickets import load_contract

    now = utcnow()
    start = parse_since(since, now)
    with handled():
        result = compute(_store(obj), start, by, load_contract(), now)
    if fmt == "json":
        _json(result.to_dict())
    elif fmt == "png":
        if not result.runs:
            fail(f"no data: no completed run since {since}; nothing to chart")
        with handled():
            paths = _png(result, output or obj.settings.home / "trends" / "trends.png", lang)
        out.print("\n".join(str(p) for p in paths) or "no data to chart")
    else:
        _print_trends(result)


COMMANDS: list[Any] = [trends]


def _days(value: str) -> float:
    match = re.fullmatch(r"(\d+)([dw])", value)
    if not match:
        fail(f"--horizon {value!r}: expected a period like 180d or 26w")
        raise AssertionError  # unreachable: fail exits
    return float(int(match[1]) * _UNITS[match[2]])


def _forecast_table(found: list[Any], metric: str) -> Table:
    table = Table(title=f"{metric} forecast: days until the threshold", title_justify="left")
    for column in ("host", "resource", "now %", "per day", "threshold", "days (band)", "status"):
        table.add_column(column, overflow="fold")
    for f in found:
        band = "—" if f.days is None else f"~{f.days:.0f} ({_num(f.days_low)}–{_num(f.days_high)})"
        band = "0 (over)" if f.status == "reached" else band
        status = f.reason if f.status == "too_few_points" else f.status + (f": {f.reason}" if f.reason else "")
        slope = "—" if f.slope_per_day is None else f"{f.slope_per_day:.3f}"  # no fit: no growth figure
        table.add_row(f.host, f.label, _num(f.current, 1), slope,
                      f"{f.threshold:g}%", band, status)  # fmt: skip
    return table


def _num(value: float | None, digits: int = 0) -> str:
    return "∞" if value is None else f"{value:.{digits}f}"


@click.command()
@click.option("--metric", type=click.Choice(["storage", "memory", "interface"]), default="storage", show_default=True)
@click.option("--horizon", default="180d", show_default=True, help="Forecast this far ahead: 180d, 26w.")
@click.option("--since", default="180d", show_default=True, help="History to fit: 180d, 12w, a date or 'all'.")
@click.option("--threshold", type=click.FloatRange(1, 100),
              help="Threshold %% [default: storage 85, memory 90, interface 80].")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def forecast(obj: Context, metric: str, horizon: str, since: str, threshold: float | None, as_json: bool) -> None:
    """Days until each resource reaches its threshold at the current growth (robust trend, band)."""
    from patrol.history.forecast import forecast as compute

    days = _days(horizon)
    with handled():
        found = compute(_store(obj), metric, parse_since(since, utcnow()), days, threshold)
    if as_json:
        _json([f.to_dict() for f in found])
    elif not found:
        out.print(f"no data: no {metric} measurement in the store since {since} (nothing to forecast)")
    else:
        print_table(_forecast_table(found, metric), keys={"host"})


@click.command()
@_SINCE
@click.option("--format", "fmt", type=click.Choice(["table", "md", "html", "docx", "json"]), default="table",
              show_default=True)  # fmt: skip
@click.option("-o", "--output", type=CwdPath(dir_okay=False, path_type=Path), help="Write md/html/docx here.")
@click.option("--rules", type=CwdPath(shipped=True, dir_okay=False, path_type=Path),
              help="Proposal rules [default: inspect/proposals.yml].")  # fmt: skip
@click.option("--top", type=click.IntRange(min=0), default=None,
              help="Show the N highest-ranked proposals, 0 = all [default: 50 in the table and documents "
                   "(the rest are counted), all in json].")  # fmt: skip
@_LANG
@click.pass_obj
def propose(obj: Context, since: str, fmt: str, output: Path | None, rules: Path | None, top: int | None,
            lang: str) -> None:  # fmt: skip
    """Ranked improvement proposals with evidence, affected assets, priority and timeline."""
    from patrol.history.proposals import load_rules
    from patrol.history.proposals import propose as compute
    from patrol.tickets import load_contract

    now = utcnow()
    start = parse_since(since, now)
    with handled():
        rule_list = load_rules(rules)
        found = compute(_store(obj), rule_list, load_contract(), start, now, lang)
        if fmt == "json":
            _json([p.to_dict() for p in (found[:top] if top else found)])
            return
        if fmt in ("md", "html", "docx"):
            from patrol.history.render import DOCUMENT_TOP, write_proposals  # matplotlib: only for documents

            path = output or obj.settings.home / "proposals" / f"proposals.{fmt}"
            limit = DOCUMENT_TOP if top is None else top
            out.print(str(write_proposals(obj.store, found, rule_list, start, fmt, lang, path, limit)[0]))
            return
    _print_proposals(found, since, TABLE_TOP if top is None else top, lang)


#: rows of the ``patrol propose`` table unless ``--top`` says otherwise
TABLE_TOP = 50
#: the table's closing note when ``--top`` leaves proposals out
PROPOSAL_MORE = {"en": {"more": "{n} more proposals rank below these (--top 0 shows all, --format json lists them)"},
                 "zh": {"more": "另有 {n} 項排名較後的建議（--top 0 全部顯示，--format json 列出全部）"}}  # fmt: skip


def _print_proposals(found: list[Any], since: str, top: int, lang: str = "en") -> None:
    W = cli_words(lang)
    if not found:
        out.print(W["no_proposal"].format(since=since))
        return
    table = Table(title=W["proposals_title"], title_justify="left")
    for column in ("rank", "priority", "proposal", "assets", "timeline"):
        table.add_column(W[column], overflow="fold")
    shown = found[:top] if top else found
    for i, p in enumerate(shown, 1):
        assets = ", ".join(p.assets[:5]) + (" …" if len(p.assets) > 5 else "")
        priority = zh_text(p.priority.zh, lang) if is_zh(lang) else p.priority.value
        table.add_row(str(i), priority, p.title, assets, p.timeline)
    print_table(table, keys={W["rank"]})
    if len(found) > len(shown):
        more = len(found) - len(shown)
        out.print(catalogue(PROPOSAL_MORE, lang)["more"].format(n=more))


COMMANDS.extend([forecast, propose])


@click.group(name="history")
def history() -> None:
    """The metric history (Parquet, at the metrics_dir setting) behind trends, forecast and propose."""


@history.command()
@click.option("--since", default="all", show_default=True, help="Runs to (re)write: 90d, 12w, a date or 'all'.")
@click.option("--missing", is_flag=True, help="Only the finished runs the metric store lacks (a backfill).")
@click.pass_obj
def rebuild(obj: Context, since: str, missing: bool) -> None:
    """Rewrite the metric store from the SQL store (after an upgrade, or when the directory was lost)."""
    import time

    from patrol.history.metricstore import MetricStore
    from patrol.history.metricstore import rebuild as compute

    start = parse_since(since, utcnow())
    began = time.perf_counter()
    with handled():
        store = _store(obj)
        written = compute(store, start, only_missing=missing)
        root = MetricStore.for_store(store).root
    what = "missing run(s)" if missing else "run(s)"
    out.print(f"wrote {len(written)} {what} to {root} in {time.perf_counter() - began:.1f} s")


COMMANDS.append(history)
