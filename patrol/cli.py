"""The ``patrol`` command line. The only layer that prints or exits.

Exit codes: 0 clean; 1 findings at or above ``--fail-on``; 2 usage or input error (bad
argument, inventory, profile, unknown run); 3 run failure (store unusable, run failed or
was interrupted, lab could not start).
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patrol import __version__, plugins
from patrol.config import Settings, load_settings
from patrol.errors import (
    ConfigError,
    InventoryError,
    NotFoundError,
    PatrolError,
    PluginError,
    ProfileError,
    ReportError,
)
from patrol.models import Host, HostResult, RunStatus, RunSummary, Severity
from patrol.store import Store

__all__ = ["main"]

EXIT_FINDINGS, EXIT_INPUT, EXIT_FAILURE = 1, 2, 3
INPUT_ERRORS = (ConfigError, InventoryError, ProfileError, NotFoundError, PluginError, ReportError)
SEVERITIES = [s.value for s in Severity]
STATUS_STYLE = {
    "ok": "green",
    "unreachable": "red",
    "auth_failed": "red",
    "timeout": "yellow",
    "parse_error": "yellow",
    "error": "red",
    "aborted": "magenta",
    "pending": "dim",
}
SEVERITY_STYLE = {"critical": "bold red", "urgent": "red", "normal": "yellow", "other": "cyan"}

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    sys.exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn patrol's errors into a message and the documented exit code."""
    try:
        yield
    except INPUT_ERRORS as exc:
        fail(str(exc), EXIT_INPUT)
    except PatrolError as exc:
        fail(str(exc), EXIT_FAILURE)


class Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self.settings.home.mkdir(parents=True, exist_ok=True)
            self._store = Store.open(self.settings.db_url)
        return self._store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patrol")
@click.option("--db", help="Store URL or SQLite path [env PATROL_DB; default HOME/patrol.db].")
@click.option("--home", type=click.Path(file_okay=False), help="State folder [env PATROL_HOME; default ./.patrol].")
@click.pass_context
def cli(ctx: click.Context, db: str | None, home: str | None) -> None:
    """patrol: inventory-driven inspection (巡檢) of network, security, host and storage devices."""
    with handled():
        ctx.obj = Context(load_settings(db_url=db, home=home))
    ctx.call_on_close(lambda: ctx.obj._store.close() if ctx.obj and ctx.obj._store else None)


# --- lab ---------------------------------------------------------------------------------


@cli.group()
def lab() -> None:
    """The bundled emulated lab (FakeNOS, snmpsim, sshd hosts) for the demo and tests."""


@lab.command("up")
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait until every device serves.")
def lab_up_cmd(timeout: float) -> None:
    """Start the lab in the background (no-op if it runs)."""
    from patrol.lab.manager import lab_up

    with handled():
        err.print("starting the lab …")
        _print_lab(lab_up(timeout))


@lab.command("down")
def lab_down_cmd() -> None:
    """Stop the lab."""
    from patrol.lab.manager import lab_down

    with handled():
        out.print("lab stopped" if lab_down() else "lab was not running")


@lab.command("status")
def lab_status_cmd() -> None:
    """Show what the lab serves (exit 3 when it is not running)."""
    from patrol.lab.manager import lab_status

    with handled():
        status = lab_status()
        if not status.running:
            fail("the lab is not running: start it with `patrol lab up`", EXIT_FAILURE)
        _print_lab(status)


def _print_lab(status: Any) -> None:
    table = Table(title=f"lab (pid {status.pid})")
    for column in ("host", "kind", "endpoint", "state"):
        table.add_column(column)
    for e in status.endpoints:
        state = (
            f"[yellow]skipped: {e.skipped}[/]"
            if e.skipped
            else ("[green]up[/]" if e.host in status.reachable else "[red]down[/]")
        )
        table.add_row(e.host, e.kind, f"{e.proto}/{e.address}:{e.port}", state)
    out.print(table)
    out.print(f"log: {status.log_file}")


# --- run ---------------------------------------------------------------------------------


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


@cli.command()
@click.option(
    "-i",
    "--inventory",
    "inventory",
    multiple=True,
    required=True,
    metavar="PATH",
    help="Ansible inventory file or directory (repeatable).",
)
@click.option(
    "-p",
    "--profile",
    "profiles",
    multiple=True,
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
    type=click.Path(dir_okay=False),
    help="Vault password file [env PATROL_VAULT_PASSWORD_FILE].",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Report language.")
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
        store.abort_orphaned_runs()
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
        _print_summary(summary, _domain_severity(store, summary.run_id))
        paths = [
            _write_report(store, summary.run_id, fmt, obj.settings.runs_dir / summary.run_id / f"report.{fmt}", lang)
            for fmt in ("html", "json")
        ]
        out.print(f"report: {paths[0]}")
    if summary.status != RunStatus.COMPLETED:
        fail(f"run {summary.run_id} {summary.status.value}", EXIT_FAILURE)
    if fail_on and _worst(summary) >= Severity(fail_on).rank:
        sys.exit(EXIT_FINDINGS)


def _domain_severity(store: Store, run_id: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for finding in store.findings(run_id):
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
            gaps.add_row(host, why)
        out.print(gaps)
    table = Table(title="findings by domain and priority", title_justify="left")
    table.add_column("domain")
    for sev in SEVERITIES:
        table.add_column(f"{sev} {Severity(sev).zh}", justify="right", style=SEVERITY_STYLE[sev])
    for domain, counts in [*by_domain_severity.items(), ("all", summary.findings_by_severity)]:
        table.add_row(domain, *[str(counts.get(s, 0)) for s in SEVERITIES])
    out.print(table)


# --- history -----------------------------------------------------------------------------


@cli.command()
@click.option("-n", "--last", "limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def runs(obj: Context, limit: int, as_json: bool) -> None:
    """List recent runs, newest first."""
    with handled():
        summaries = obj.store.list_runs(limit)
    if as_json:
        out.print_json(json.dumps([s.model_dump(mode="json") for s in summaries]))
        return
    table = Table()
    for column in ("run", "started (UTC)", "status", "inspected", "coverage", *SEVERITIES):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s.run_id,
            s.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            s.status.value,
            f"{s.hosts_inspected}/{s.hosts_total}",
            f"{s.coverage_percent}%",
            *[str(s.findings_by_severity.get(sev, 0)) for sev in SEVERITIES],
        )
    out.print(table)


@cli.command()
@click.argument("run_ref", metavar="RUN")
@click.argument("host", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(obj: Context, run_ref: str, host: str | None, as_json: bool) -> None:
    """What RUN saw: every host with its status and error, or one HOST in detail."""
    from patrol.showing import host_detail, run_hosts

    with handled():
        store = obj.store
        run_id = store.resolve_run(run_ref)
        if host:
            host_detail(out, store, run_id, host, as_json)
        else:
            run_hosts(out, store, run_id, as_json)


@cli.command()
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
        found = store.findings(run_id, severity=[Severity(s) for s in severity], host=host, domain=domain)
    found.sort(key=lambda f: (-f.severity.rank, f.domain, f.host, f.check_id, f.object))
    if as_json:
        out.print_json(json.dumps([f.model_dump(mode="json") for f in found]))
        return
    table = Table(title=f"findings of run {run_id}: {len(found)}", title_justify="left")
    for column in ("severity", "domain", "host", "check", "object", "message"):
        table.add_column(column, overflow="fold")
    for f in found:
        table.add_row(
            f"[{SEVERITY_STYLE[f.severity.value]}]{f.severity.value}[/]",
            f.domain.value,
            f.host,
            f.check_id,
            f.object,
            f.message,
        )
    out.print(table)


@cli.command()
@click.argument("run_ref", metavar="RUN")
@click.option(
    "--format", "fmt", default="html", show_default=True, help="Report format: " + ", ".join(["html", "json"])
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Where to write [default: HOME/runs/RUN/report.FORMAT]."
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.pass_obj
def report(obj: Context, run_ref: str, fmt: str, output: str | None, lang: str) -> None:
    """Render the report of RUN."""
    with handled():
        known = plugins.names("patrol.reports")
        if fmt not in known:
            raise ReportError(f"unknown report format {fmt!r}; choose one of: {', '.join(known)}")
        store = obj.store
        run_id = store.resolve_run(run_ref)
        path = Path(output) if output else obj.settings.runs_dir / run_id / f"report.{fmt}"
        out.print(str(_write_report(store, run_id, fmt, path, lang)))


def _write_report(store: Store, run_id: str, fmt: str, path: Path, lang: str) -> Path:
    from patrol.report import build_report, write_atomic

    render = plugins.load("patrol.reports", fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, render(build_report(store, run_id, lang=lang)))
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="patrol", standalone_mode=True)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_FAILURE)
