"""Inspection commands: ``run``, ``runs``, ``show``, ``findings``, ``report``."""

from __future__ import annotations

import json
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patrol import plugins
from patrol.cli.common import (
    EXIT_FAILURE,
    EXIT_FINDINGS,
    SEVERITIES,
    SEVERITY_STYLE,
    Context,
    err,
    fail,
    first_line,
    handled,
    out,
    print_table,
)
from patrol.cli.known import require_host
from patrol.cli.langopt import lang_option
from patrol.cli.pathtypes import CwdPath, InventorySource
from patrol.errors import ReportError
from patrol.models import Finding, Host, HostResult, RunStatus, RunSummary, Severity
from patrol.store import Store
from patrol.tickets.waivers import count_waived, list_waivers, mark_waived

__all__ = ["COMMANDS"]


class ProgressObserver:
    """Draws a progress bar on stderr while hosts are collected."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def planned(self, run_id: str, hosts: Sequence[Host]) -> None:
        self.task = self.progress.add_task(f"run {run_id}", total=len(hosts), last="")

    def host_done(self, result: HostResult) -> None:
        mark = "✓" if result.status == "ok" else "✗"
        self.progress.update(self.task, advance=1, last=f"{mark} {result.host} {result.status}")


def _raise_keyboard_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option(
    "-i",
    "--inventory",
    "inventory",
    multiple=True,
    required=True,
    type=InventorySource(),
    metavar="PATH",
    help="Ansible inventory file or directory (repeatable).",
)
@click.option(
    "-p",
    "--profile",
    "profiles",
    multiple=True,
    type=CwdPath(shipped=True),
    metavar="PATH",
    help="Profile file or directory (repeatable) [default: inspect/].",
)
@click.option("-l", "--limit", help="Ansible host pattern: a group, a host, 'network:!core' …")
@click.option("-f", "--forks", type=click.IntRange(1, 1000), help="Concurrent sessions per collector [default 50].")
@click.option(
    "--fail-on", type=click.Choice(SEVERITIES), help="Exit 1 when a finding of this severity or worse exists."
)
@click.option(
    "--vault-password-file",
    envvar=["PATROL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"],
    type=CwdPath(dir_okay=False),
    help="Vault password file [env PATROL_VAULT_PASSWORD_FILE].",
)
@lang_option()
@click.pass_obj
def run(
    obj: Context,
    inventory: tuple[str, ...],
    profiles: tuple[str, ...],
    limit: str | None,
    forks: int | None,
    fail_on: str | None,
    vault_password_file: str | None,
    lang: str,
) -> None:
    """Inspect the inventory: collect, store, check, report."""
    from patrol.paths import PROFILES_DIR
    from patrol.runner import RunRequest, execute_run, prepare_run

    request = RunRequest(inventory, profiles or (str(PROFILES_DIR),), limit, forks, vault_password_file)
    with handled():
        prepared = prepare_run(obj.settings, request)
        store = obj.store
        previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=err,
                transient=True,
            ) as bar:
                summary = execute_run(obj.settings, prepared, store, ProgressObserver(bar))
        finally:
            signal.signal(signal.SIGTERM, previous)
        summary = _waivers_apart(store, summary)
        _print_summary(summary, _domain_severity(store, summary))
        paths = [
            _write_report(store, summary.run_id, fmt, obj.settings.runs_dir / summary.run_id / f"report.{fmt}", lang)
            for fmt in ("html", "json")
        ]
        out.print(f"report: {paths[0]}")
    if summary.status != RunStatus.COMPLETED:
        fail(f"run {summary.run_id} {summary.status.value}", EXIT_FAILURE)
    if fail_on and _worst(summary) >= Severity(fail_on).rank:
        sys.exit(EXIT_FINDINGS)


def _domain_severity(store: Store, summary: RunSummary) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for finding in mark_waived(store, summary, store.findings(summary.run_id)):
        if finding.waived:
            continue
        row = counts.setdefault(finding.domain.value, {})
        row[finding.severity.value] = row.get(finding.severity.value, 0) + 1
    return dict(sorted(counts.items()))


def _worst(summary: RunSummary) -> int:
    return max((Severity(s).rank for s, n in summary.findings_by_severity.items() if n), default=-1)


def _print_summary(summary: RunSummary, by_domain_severity: dict[str, dict[str, int]]) -> None:
    style = "green" if summary.status == RunStatus.COMPLETED else "red"
    out.print(
        f"run [bold]{summary.run_id}[/] [{style}]{summary.status.value}[/]  coverage "
        f"{summary.hosts_inspected}/{summary.hosts_total} hosts inspected ({summary.coverage_percent}%)"
    )
    if summary.gaps:
        gaps = Table(title="not inspected (coverage gaps)", title_justify="left")
        gaps.add_column("host")
        gaps.add_column("why")
        for host, why in summary.gaps.items():
            gaps.add_row(host, escape(first_line(why)))
        print_table(gaps, keys={"host"})
    table = Table(title="findings by domain and priority", title_justify="left")
    table.add_column("domain")
    for sev in SEVERITIES:
        table.add_column(f"{sev} {Severity(sev).zh}", justify="right", style=SEVERITY_STYLE[sev])
    for domain, counts in [*by_domain_severity.items(), ("all", summary.findings_by_severity)]:
        table.add_row(domain, *[str(counts.get(s, 0)) for s in SEVERITIES])
    print_table(table)
    waived = sum(summary.waived_by_severity.values())
    if waived:
        out.print(f"{waived} waived finding(s) not counted above (`patrol findings` lists them as waived)")


# --- history -----------------------------------------------------------------------------


@click.command()
@click.option("-n", "--last", "limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def runs(obj: Context, limit: int, as_json: bool) -> None:
    """List recent runs, newest first."""
    with handled():
        summaries = [_waivers_apart(obj.store, s) for s in obj.store.list_runs(limit)]
    if as_json:
        out.print_json(json.dumps([s.model_dump(mode="json") for s in summaries]))
        return
    waived = any(s.waived_by_severity for s in summaries)  # the column only when a waiver applies
    table = Table()
    for column in ("run", "started (UTC)", "status", "inspected", "coverage", *SEVERITIES, *["waived"][:waived]):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s.run_id,
            s.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            s.status.value,
            f"{s.hosts_inspected}/{s.hosts_total}",
            f"{s.coverage_percent}%",
            *[str(s.findings_by_severity.get(sev, 0)) for sev in SEVERITIES],
            *[str(sum(s.waived_by_severity.values()))][:waived],
        )
    print_table(table, keys={"run"})


def _waivers_apart(store: Store, summary: RunSummary) -> RunSummary:
    """The run's findings counted with the waived ones apart (no waiver: the summary as it is)."""
    if not sum(summary.findings_by_severity.values()) or not list_waivers(store, include_expired=True):
        return summary
    return count_waived(summary, mark_waived(store, summary, store.findings(summary.run_id)))


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.argument("host", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(obj: Context, run_ref: str, host: str | None, as_json: bool) -> None:
    """What RUN saw: every host with its status and error, or one HOST in detail."""
    from patrol.cli.showing import host_detail, run_hosts

    with handled():
        store = obj.store
        run_id = store.resolve_run(run_ref)
        if host:
            host_detail(out, store, run_id, host, as_json)
        else:
            run_hosts(out, store, run_id, as_json)


@click.command()
@click.option("--run", "run_ref", help="Run id, prefix or 'latest' [default: latest].")
@click.option(
    "-s", "--severity", multiple=True, type=click.Choice(SEVERITIES), help="Only these severities (repeatable)."
)
@click.option("--host", help="Only this host.")
@click.option("--domain", type=click.Choice(["network", "security", "host", "storage"]), help="Only this domain.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def findings(
    obj: Context, run_ref: str | None, severity: tuple[str, ...], host: str | None, domain: str | None, as_json: bool
) -> None:
    """Findings of a run, worst first."""
    with handled():
        store = obj.store
        run_id = store.resolve_run(run_ref or "latest")
        require_host(store, host)
        found = store.findings(run_id, severity=[Severity(s) for s in severity], host=host, domain=domain)
        found = mark_waived(store, store.run_summary(run_id), found)
    found.sort(key=lambda f: (f.waived, -f.severity.rank, f.domain, f.host, f.check_id, f.object))
    if as_json:
        out.print_json(json.dumps([f.model_dump(mode="json") for f in found]))
        return
    waived = sum(f.waived for f in found)
    counts = f"{len(found) - waived}" + (f" (+{waived} waived, counted apart)" if waived else "")
    table = Table(title=f"findings of run {run_id}: {counts}", title_justify="left")
    for column in ("severity", "domain", "host", "check", "object", "message", "waived"):
        table.add_column(column, overflow="fold")
    for f in found:
        table.add_row(
            f"[{SEVERITY_STYLE[f.severity.value]}]{f.severity.value}[/]",
            f.domain.value,
            f.host,
            f.check_id,
            escape(f.object),
            escape(f.message),
            _waiver_cell(f),
        )
    print_table(table, keys={"host", "check"})


def _waiver_cell(finding: Finding) -> str:
    w = finding.waiver
    if w is None:
        return ""
    return f"[magenta]waived[/] #{w.id} until {w.until:%Y-%m-%d}: {escape(w.reason)}"


_LANG = lang_option()


@click.command()
@click.argument("run_ref", metavar="RUN", required=False)
@click.option("--format", "fmt", default="html", show_default=True,
              help="Report format (entry-point group patrol.reports): html, md, json, junit, xlsx.")  # fmt: skip
@click.option(
    "-o", "--output", type=CwdPath(dir_okay=False), help="Where to write [default: HOME/runs/RUN/report.FORMAT]."
)
@_LANG
@click.option("--period", metavar="YYYY-MM", help="The monthly service report of this month instead of a RUN.")
@click.pass_obj
def report(obj: Context, run_ref: str | None, fmt: str, output: str | None, lang: str, period: str | None) -> None:
    """Render the report of RUN (html, md, json, junit, xlsx), or --period YYYY-MM (html, md, xlsx, docx)."""
    if period:
        _period_report(obj, run_ref, period, fmt, output, lang)
        return
    if not run_ref:
        fail("name the RUN to report on (an id, a prefix or 'latest'; `patrol runs` lists them) or --period YYYY-MM")
    if re.fullmatch(r"\d{4}-\d{1,2}", run_ref.strip()):
        fail(f"{run_ref!r} is a month, not a run: the monthly service report is `patrol report --period {run_ref}`"
             " (a run's report takes its id, a prefix or 'latest'; `patrol runs` lists them)")  # fmt: skip
    with handled():
        known = plugins.names("patrol.reports")
        if fmt not in known:
            raise ReportError(f"unknown report format {fmt!r}; choose one of: {', '.join(known)}")
        store = obj.store
        run_id = store.resolve_run(run_ref)
        path = Path(output) if output else obj.settings.runs_dir / run_id / f"report.{fmt}"
        out.print(str(_write_report(store, run_id, fmt, path, lang)))


def _period_report(obj: Context, run_ref: str | None, period: str, fmt: str, output: str | None, lang: str) -> None:
    from patrol.history.delivery import write_report
    from patrol.history.period_render import FORMATS
    from patrol.tickets import load_contract

    if run_ref:
        fail(f"name either RUN ({run_ref}) or --period {period}, not both")
    if fmt not in FORMATS:
        fail(f"--format {fmt!r} with --period: choose one of {', '.join(FORMATS)}")
    with handled():
        files = write_report(obj.store, period=period, run=None, fmt=fmt, lang=lang, contract=load_contract(),
                             out_dir=obj.settings.home / "reports", path=Path(output) if output else None)  # fmt: skip
        out.print(str(files[0]))


def _write_report(store: Store, run_id: str, fmt: str, path: Path, lang: str) -> Path:
    from patrol.report import build_report
    from patrol.report.output import write_run_report

    path.parent.mkdir(parents=True, exist_ok=True)
    return write_run_report(build_report(store, run_id, lang=lang), fmt, path)[0]


COMMANDS = [run, runs, show, findings, report]
