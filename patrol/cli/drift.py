"""Baseline and drift commands: ``baseline approve|show|template``, ``drift``, ``diff``."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import SEVERITY_STYLE, Context, actor, err, fail, first_line, handled, out, print_table
from patrol.cli.dates import DateInputError, Edge, parse_when
from patrol.cli.langopt import lang_option
from patrol.cli.pathtypes import CwdPath, InventorySource, absolute
from patrol.errors import NotFoundError
from patrol.report.atomic import write_atomic

if TYPE_CHECKING:
    from patrol.drift.engine import DriftData
    from patrol.drift.timetravel import Point
    from patrol.store import Store

_DATE_LIKE = re.compile(r"^(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|[+-]\d)")

__all__ = ["COMMANDS"]



_REASON = click.option("--reason", required=True, help="Why this state is approved (change ticket, review).")
_BY = click.option("--by", "approved_by", help="Approver [env PATROL_USER; default: your login name].")
_NOISE = click.option("--noise", "noise", multiple=True, type=CwdPath(shipped=True, path_type=Path),
                      help="Noise rule file or folder (repeatable) [default: inspect/noise/].")  # fmt: skip
_RULES = click.option("--rules", "rules", type=CwdPath(shipped=True, path_type=Path),
                      help="Drift severity rules [default: inspect/drift.yml].")  # fmt: skip


def _data(noise: tuple[Path, ...], rules: Path | None) -> DriftData:
    from patrol.drift.engine import DriftData
    from patrol.drift.noise import NOISE_DIR
    from patrol.drift.rules import DRIFT_RULES

    return DriftData.load(noise or (NOISE_DIR,), rules or DRIFT_RULES)


@click.group()
def baseline() -> None:
    """Approved baselines: promote a snapshot, show history, golden templates."""


@baseline.command()
@click.argument("host", required=False)
@click.option("--group", help="Approve every inspected member of this group (one host baseline each).")
@click.option("--all", "all_hosts", is_flag=True, help="Approve every inspected host of the run.")
@click.option("--as-group", help="Make HOST's snapshot the baseline of this group (applies to its members).")
@click.option("--run", "run_ref", default="latest", show_default=True, help="Run id, prefix or 'latest'.")
@_REASON
@_BY
@click.pass_obj
def approve(
    obj: Context, host: str | None, group: str | None, all_hosts: bool, as_group: str | None, run_ref: str,
    reason: str, approved_by: str | None,
) -> None:  # fmt: skip
    """Promote snapshots of a run to baselines: HOST, --group G or --all."""
    from patrol.drift.operations import approve_hosts

    if sum(bool(x) for x in (host, group, all_hosts)) != 1:
        fail("name exactly one of HOST, --group G or --all")
    if as_group and not host:
        fail("--as-group needs the HOST whose snapshot becomes the group's baseline")
    with handled():
        run_id = obj.store.resolve_run(run_ref)
        made = approve_hosts(obj.store, run_id, hosts=[host] if host else None, group=group, reason=reason,
                             approved_by=actor(approved_by), as_group=as_group)  # fmt: skip
        rows = obj.store.host_results(run_id)
    for b in made:
        out.print(f"approved {escape(b.label)}")
    if host is None:
        for row in rows:
            if not row.inspected and (group is None or group in row.groups):
                why = f"{row.status}" + (f": {first_line(row.error)}" if row.error else "")
                out.print(f"[yellow]skipped {escape(row.host)}[/]: not inspected in run {run_id} ({escape(why)}); "
                          f"its baseline is unchanged: approve it from a run that inspected it")  # fmt: skip



@baseline.command(name="show")
@click.argument("host")
@click.option("--history", is_flag=True, help="Every version, newest first (host and its groups).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show_baseline(obj: Context, host: str, history: bool, as_json: bool) -> None:
    """Who approved the baselines of HOST, when and why."""
    from patrol.drift.baselines import effective
    from patrol.drift.baselines import history as baseline_history

    with handled():
        groups = _groups(obj, host)
        if history:
            found = baseline_history(obj.store, host, groups)
        else:
            found = [b for k in ("snapshot", "template") if (b := effective(obj.store, host, groups, k))]
    if as_json:
        out.print_json(json.dumps([b.summary() | {"kind": b.kind} for b in found], default=str))
        return
    if not found:
        out.print(f"{escape(host)}: no baseline approved (`patrol baseline approve {escape(host)} --reason ...`)")
        return
    table = Table(title=f"baselines of {host}" + (" (history)" if history else " (in force)"))
    for column in ("kind", "scope", "version", "approved by", "approved at", "reason", "source"):
        table.add_column(column, overflow="fold")
    for b in found:
        source = f"run {b.source_run} ({b.source_host})" if b.kind == "snapshot" else f"{b.template_path}"
        table.add_row(b.kind, f"{b.scope} {b.target}", f"v{b.version}", b.approved_by,
                      b.approved_at.strftime("%Y-%m-%d %H:%M UTC"), b.reason, source)  # fmt: skip
    print_table(table, keys={"version"})


def _groups(obj: Context, host: str) -> tuple[str, ...]:
    from sqlalchemy import select

    from patrol.errors import NotFoundError
    from patrol.store import schema as t

    hr = t.host_results.c
    with obj.store.read() as conn:
        row = conn.execute(select(hr.groups).where(hr.host == host).order_by(hr.started_at.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError("host", host, "no run has seen it; `patrol runs` / `patrol show RUN` list hosts")
    return tuple(row.groups or ())


@baseline.command()
@click.argument("arguments", nargs=-1, required=True, metavar="[HOST] TEMPLATE")
@click.option("--group", help="Apply the template to every member of this group.")
@click.option("-i", "--inventory", "inventory", multiple=True, required=True, type=InventorySource(),
              metavar="PATH", help="Inventory whose variables render the template (repeatable).")  # fmt: skip
@click.option("--vault-password-file", envvar=["PATROL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"],
              type=CwdPath(dir_okay=False), help="Vault password file.")  # fmt: skip
@_REASON
@_BY
@click.pass_obj
def template(
    obj: Context, arguments: tuple[str, ...], group: str | None, inventory: tuple[str, ...],
    vault_password_file: str | None, reason: str, approved_by: str | None,
) -> None:  # fmt: skip
    """Approve a golden config TEMPLATE (jinja2) for HOST or --group G, rendered per host."""
    from patrol.drift.operations import template_baseline
    from patrol.inventory import load_inventory

    if len(arguments) > 2:
        fail(f"expected [HOST] TEMPLATE, got {len(arguments)} arguments: {' '.join(arguments)}")
    host, template = (arguments[0] if len(arguments) == 2 else None), Path(absolute(arguments[-1], shipped=True))
    if bool(host) == bool(group):
        fail("name exactly one of HOST or --group G")
    with handled():
        inv = load_inventory(inventory, vault_password_file=vault_password_file)
        made, rendered = template_baseline(obj.store, template, inv, group=group, host=host, reason=reason,
                                           approved_by=actor(approved_by))  # fmt: skip
    out.print(f"approved {escape(made.label)} for {len(rendered)} host(s): {escape(', '.join(sorted(rendered)))}")


@click.command()
@click.argument("host", required=False)
@click.option("--run", "run_ref", default="latest", show_default=True, help="Run id, prefix or 'latest'.")
@click.option("--json", "as_json", is_flag=True, help="Findings as JSON.")
@_NOISE
@_RULES
@click.pass_obj
def drift(
    obj: Context, host: str | None, run_ref: str, as_json: bool, noise: tuple[Path, ...], rules: Path | None
) -> None:
    """Drift of a run's snapshots against the baselines in force, as findings."""
    from patrol.drift.operations import stored_drift

    with handled():
        data = _data(noise, rules)
        run_id = obj.store.resolve_run(run_ref)
        results = stored_drift(obj.store, data, run_id, host)
    findings = [f for _, _, found in results for f in found]
    no_baseline, clean = _without_drift(results)
    if as_json:
        shown = {"run": run_id, "findings": [f.model_dump(mode="json") for f in findings],
                 "no_baseline": no_baseline, "no_drift": clean}  # fmt: skip
        out.print_json(json.dumps(shown, ensure_ascii=False))
        return
    _print_drift(run_id, results)


def _without_drift(results: list[Any]) -> tuple[list[str], list[str]]:
    """(hosts with no baseline nor golden template, hosts that match theirs)."""
    no_baseline, clean = [], []
    for row, host_drift, findings in results:
        if host_drift.baseline is None and host_drift.golden is None:
            no_baseline.append(row.host)
        elif not findings:
            clean.append(row.host)
    return no_baseline, clean


def _print_drift(run_id: str, results: list[Any]) -> None:
    table = Table(title=f"drift of run {run_id}")
    for column in ("host", "severity", "check", "object", "detail"):
        table.add_column(column, overflow="fold")
    no_baseline, clean = _without_drift(results)
    for _row, host_drift, findings in results:
        for f in findings:
            style = SEVERITY_STYLE.get(f.severity.value, "")
            table.add_row(f.host, f"[{style}]{f.severity.value}[/]", f.check_id, escape(f.object), escape(f.message))
        for note in host_drift.notes:
            out.print(f"note: {escape(note)}")
    if table.row_count:
        print_table(table, keys={"host", "check"})
    total = sum(len(f) for _, _, f in results)
    out.print(
        f"{total} drift item(s); no drift: {', '.join(clean) or '-'}; no baseline: {', '.join(no_baseline) or '-'}"
    )


def _point(store: Store, host: str, option: str, ref: str) -> Point:
    """A run (id, prefix, latest), ``baseline``, or a date/time of any form :mod:`patrol.cli.dates` reads:
    ``--from DAY`` is the first run of that day (else the newest before it), ``--to DAY`` the newest by its end."""
    from patrol.drift.timetravel import point_at, resolve_point

    try:
        moment = parse_when(ref, edge=Edge.START if option == "--from" else Edge.END, bare_sign=-1)
    except DateInputError as exc:
        if _DATE_LIKE.match(ref.strip()):
            fail(f"{option}: {exc}; use YYYY-MM-DD, 04.12.2026, YYYY-MM-DD HH:MM or -3d")
        try:
            return resolve_point(store, host, ref)
        except NotFoundError as missing:
            if missing.what != "run":
                raise
            raise NotFoundError("run", ref, f"{option} takes a run (`patrol runs` lists them), 'latest', 'baseline' "
                                f"or a date: 2026-12-04, 04.12.2026, -3d") from None  # fmt: skip
    if moment.whole_day and option == "--from":
        return point_at(store, host, ref, moment.at, moment.at + timedelta(days=1, seconds=-1))
    return point_at(store, host, ref, moment.at)


def _same_run(host: str, before: Point, after: Point, from_ref: str, to_ref: str) -> None:
    if before.run_id and before.run_id == after.run_id and not before.label.startswith("baseline"):
        fail(f"--from {from_ref!r} and --to {to_ref!r} both mean {before.label} of {host}: nothing to compare; "
             "give an earlier --from (a run id, a date, -7d) or --from baseline")  # fmt: skip


@click.command()
@click.argument("host")
@click.option("--from", "from_ref", required=True,
              help="Run id/prefix, 'latest', 'baseline' or a date (its first run) or time, e.g. 2026-12-04, -7d.")
@click.option("--to", "to_ref", default="latest", show_default=True,
              help="Run id/prefix, 'latest' or a date (its last run) or time.")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=CwdPath(dir_okay=False), help="Write to this file (html default: HOME/diffs/).")
@click.option("--explain", is_flag=True, help="Also list every ignored line and the noise rule that hid it.")
@_NOISE
@_RULES
@lang_option("Language of the HTML page")
@click.pass_obj
def diff(
    obj: Context, host: str, from_ref: str, to_ref: str, fmt: str, output: str | None, explain: bool,
    noise: tuple[Path, ...], rules: Path | None, lang: str,
) -> None:  # fmt: skip
    """Config and state of HOST between two points in time (runs, dates, its baseline)."""
    from patrol.drift.timetravel import diff_points
    from patrol.report.diff import render_diff

    with handled():
        data = _data(noise, rules)
        before = _point(obj.store, host, "--from", from_ref)
        after = _point(obj.store, host, "--to", to_ref)
        if before.at and after.at and before.at > after.at:
            fail(f"--from {from_ref!r} ({before.label}) is after --to {to_ref!r} ({after.label}): swap them")
        _same_run(host, before, after, from_ref, to_ref)
        err.print(f"comparing {escape(before.label)} with {escape(after.label)}", soft_wrap=True)
        text = render_diff(diff_points(data, before, after), data.rules, fmt, explain, lang=lang)
    if output is None and fmt == "html":
        stamp = (after.run_id or "latest").replace("/", "_")
        output = str(obj.settings.home / "diffs" / f"diff-{host}-{stamp}.html")
    if output is None:
        click.echo(text, nl=False)
        return
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    out.print(f"diff: {path}")


COMMANDS: list[click.Command] = [baseline, drift, diff]
