"""Service commands: ``schedule add|list|pause|resume|remove|run-now|export``, ``token``, ``serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import EXIT_FAILURE, Context, fail, handled, out, print_table
from patrol.cli.langopt import lang_option
from patrol.cli.pathtypes import CwdPath, InventorySource

__all__ = ["COMMANDS"]


@click.group()
def schedule() -> None:
    """Scheduled inspections stored in the database (inspect/schedules.yml wins on `serve` start-up)."""


@schedule.command(name="add")
@click.argument("name")
@click.option("--cron", required=True, help="'min hour day month weekday' (+ a 6th field: seconds), e.g. '0 2 * * *'.")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="IANA zone the cron is read in.")
@click.option("-i", "--inventory", "inventory", multiple=True, envvar="PATROL_INVENTORY", metavar="PATH",
              type=InventorySource(), help="Inventory file or folder (repeatable) [env PATROL_INVENTORY].")  # fmt: skip
@click.option("-p", "--profile", "profiles", multiple=True, metavar="PATH", type=CwdPath(shipped=True),
              help="Profiles [default: inspect/].")  # fmt: skip
@click.option("-l", "--limit", help="Ansible host pattern, e.g. 'network'.")
@click.option("--jitter", type=click.IntRange(0, 3600), default=0, show_default=True, help="Random delay, seconds.")
@click.option("-f", "--forks", type=click.IntRange(1, 1000), help="Concurrent sessions per collector.")
@click.option("--vault-password-file", envvar=["PATROL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"],
              type=CwdPath(dir_okay=False, exists=True), help="Vault password file.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json", "junit", "xlsx", "docx"]), default="html",
              show_default=True, help="Report format (a run report: html, md, json, junit or xlsx; "
                                      "a monthly report: html, md, xlsx or docx).")  # fmt: skip
@lang_option(default="en")
@click.option("--recipient", "recipients", multiple=True,
              help="Report recipient: a notify target of the service file (repeatable).")  # fmt: skip
@click.option("--report-period", "period", type=click.Choice(["monthly"]),
              help="A report-only schedule: deliver the previous month's service report (no inspection).")  # fmt: skip
@click.option("--service", type=CwdPath(dir_okay=False), envvar="PATROL_SERVICE",
              help="Service file whose notify targets --recipient names [default: inspect/service.yml].")  # fmt: skip
@click.pass_obj
def add(
    obj: Context, name: str, cron: str, tz: str, inventory: tuple[str, ...], profiles: tuple[str, ...],
    limit: str | None, jitter: int, forks: int | None, vault_password_file: str | None, fmt: str, lang: str,
    recipients: tuple[str, ...], period: str | None, service: str | None,
) -> None:  # fmt: skip
    """Add schedule NAME: an inspection (-i INVENTORY) or a monthly report delivery (--report-period monthly)."""
    from patrol.paths import PROFILES_DIR
    from patrol.service.schedules import ReportDelivery, Schedule, add_schedule
    from patrol.tickets import load_contract

    def absolute(paths: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(Path(p).resolve()) if Path(p).exists() else p for p in paths)

    s = Schedule(name=name, cron=cron, timezone=tz, inventory=absolute(inventory),
                 profiles=absolute(profiles) or (str(PROFILES_DIR),), limit=limit, jitter=jitter, forks=forks,
                 vault_password_file=str(Path(vault_password_file).resolve()) if vault_password_file else None,
                 report=ReportDelivery(fmt, lang, recipients, period))  # fmt: skip
    with handled():
        made = add_schedule(obj.store, s, contract=load_contract(service) if recipients else None)
    out.print(f"schedule {escape(made.name)} added; next run {_when(made.next_due)}")


def _when(at: object) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(at, "strftime") else "-"


@schedule.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(obj: Context, as_json: bool) -> None:
    """List schedules with their next and last run."""
    from patrol.service.schedules import list_schedules

    with handled():
        items = list_schedules(obj.store)
    if as_json:
        out.print_json(json.dumps([s.public() for s in items], ensure_ascii=False))
        return
    table = Table()
    for column in ("name", "kind", "cron", "zone", "limit", "state", "next run", "last run", "last status", "source"):
        table.add_column(column, overflow="fold")
    for s in items:
        state, due = ("paused", "-") if s.paused else ("active", _when(s.next_due))
        table.add_row(escape(s.name), s.kind, s.cron, s.timezone, escape(s.limit or "-"), state, due,
                      s.last_run_id or "-", s.last_status or "-", s.source)  # fmt: skip
    if items:
        print_table(table, keys={"name", "last run"})
    else:
        out.print("no schedules (`patrol schedule add NAME --cron ... -i INVENTORY`)")


def _toggle(paused: bool) -> click.Command:
    @click.command(name="pause" if paused else "resume", help=("Pause" if paused else "Resume") + " schedule NAME.")
    @click.argument("name")
    @click.pass_obj
    def command(obj: Context, name: str) -> None:
        from patrol.service.schedules import set_paused

        with handled():
            s = set_paused(obj.store, name, paused)
        out.print(f"schedule {escape(name)} " + ("paused" if paused else f"resumed; next run {_when(s.next_due)}"))

    return command


schedule.add_command(_toggle(True))
schedule.add_command(_toggle(False))


@schedule.command()
@click.argument("name")
@click.pass_obj
def remove(obj: Context, name: str) -> None:
    """Remove schedule NAME (its past runs stay)."""
    from patrol.service.schedules import remove_schedule

    with handled():
        remove_schedule(obj.store, name)
    out.print(f"schedule {escape(name)} removed")


@schedule.command(name="run-now")
@click.argument("name")
@click.pass_obj
def run_now(obj: Context, name: str) -> None:
    """Run schedule NAME now, in the foreground, under its lease (refused while it runs elsewhere).

    A report schedule delivers last month's report now."""
    from patrol.models import RunStatus
    from patrol.service.scheduler import run_schedule
    from patrol.service.schedules import get_schedule

    with handled():
        s = get_schedule(obj.store, name)
        if s.kind == "report":
            _deliver_now(obj, s)
            return
        summary = run_schedule(obj.settings, obj.store, s)
    report = obj.settings.runs_dir / summary.run_id / f"report.{s.report.format}"
    out.print(f"run {summary.run_id} {summary.status.value}: {summary.hosts_inspected}/{summary.hosts_total} "
              f"hosts inspected; report: {report}")  # fmt: skip
    if summary.status is not RunStatus.COMPLETED:
        fail(f"run {summary.run_id} {summary.status.value}", EXIT_FAILURE)


def _deliver_now(obj: Context, s: Any) -> None:
    from patrol.service.deliveries import deliver_schedule
    from patrol.service.schedules import get_schedule

    status = deliver_schedule(obj.settings, obj.store, s)
    done = get_schedule(obj.store, s.name)
    out.print(f"report {escape(s.name)} {status}" + (f": {escape(done.last_error)}" if done.last_error else ""))
    if status != "delivered":
        fail(f"report {s.name} {status}", EXIT_FAILURE)


@schedule.command()
@click.option("--crontab", "kind", flag_value="crontab", help="crontab lines (CRON_TZ per job).")
@click.option("--systemd", "kind", flag_value="systemd", help="systemd .service + .timer units.")
@click.pass_obj
def export(obj: Context, kind: str | None) -> None:
    """Print the schedules for another scheduler: --crontab or --systemd (writing into this store:
    absolute --home and --db of the current settings)."""
    from patrol.config import config_file
    from patrol.service.export import JobTarget, to_crontab, to_systemd
    from patrol.service.schedules import list_schedules

    if kind is None:
        fail("choose --crontab or --systemd")
    st = obj.settings  # the jobs use this store, wherever cron or systemd runs them
    target = JobTarget.of(st.home, st.db_url, st.metrics_dir, config_file())
    with handled():
        items = list_schedules(obj.store)
        text = to_crontab(items, target) if kind == "crontab" else to_systemd(items, target)
    click.echo(text, nl=False)


@click.group()
def token() -> None:
    """API tokens (roles viewer < operator < approver); stored hashed, shown once."""


@token.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "operator", "approver"]), required=True)
@click.option("--expires", metavar="LIFETIME", help="Expire after LIFETIME, e.g. 90d, 12h, 2w [default: never].")
@click.pass_obj
def token_add(obj: Context, name: str, role: str, expires: str | None) -> None:
    """Create a token for NAME and print it once."""
    from patrol.models import utcnow
    from patrol.service.tokens import add_token, parse_lifetime

    with handled():
        lifetime = parse_lifetime(expires) if expires else None
        secret = add_token(obj.store, name, role, lifetime)
    click.echo(secret)
    until = f", expires {_when(utcnow() + lifetime)}" if lifetime else ""
    click.echo(f"token {name} ({role}{until}) created: copy it now, it is not shown again", err=True)


@token.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def token_list(obj: Context, as_json: bool) -> None:
    """List token names and roles (never the tokens)."""
    from patrol.service.tokens import list_tokens

    with handled():
        items = list_tokens(obj.store)
    from patrol.service.tokens import token_status

    if as_json:
        out.print_json(json.dumps([{"name": t.name, "role": t.role, "status": token_status(t),
                                    "created_at": t.created_at, "expires_at": t.expires_at,
                                    "revoked_at": t.revoked_at, "last_used_at": t.last_used_at}
                                   for t in items], default=str))  # fmt: skip
        return
    table = Table()
    for column in ("name", "role", "status", "created", "expires", "revoked", "last used"):
        table.add_column(column)
    for t in items:
        table.add_row(escape(t.name), t.role, token_status(t), _when(t.created_at), _when(t.expires_at),
                      _when(t.revoked_at), _when(t.last_used_at))  # fmt: skip
    print_table(table, keys={"name"})


@token.command(name="revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(obj: Context, name: str) -> None:
    """Revoke token NAME: refused from now on, its dashboard sessions end; kept in `token list`."""
    from patrol.service.tokens import revoke_token

    with handled():
        revoke_token(obj.store, name)
    out.print(f"token {escape(name)} revoked")


@token.command(name="remove")
@click.argument("name")
@click.pass_obj
def token_remove(obj: Context, name: str) -> None:
    """Delete token NAME (and its dashboard sessions); `token revoke` keeps it on record."""
    from patrol.service.tokens import remove_token

    with handled():
        remove_token(obj.store, name)
    out.print(f"token {escape(name)} removed")


@click.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT to listen on.")
@click.option("--tick", type=click.FloatRange(0.2, 3600), default=5.0, show_default=True,
              help="Seconds between scheduler checks.")  # fmt: skip
@click.option("--sla-every", type=click.FloatRange(1, 86400), default=60.0, show_default=True,
              help="Seconds between SLA clock checks.")  # fmt: skip
@click.option("--schedules", "schedules_file", type=CwdPath(dir_okay=False, path_type=Path),
              help="Declared schedules [default: inspect/schedules.yml].")  # fmt: skip
@click.option("--certfile", type=CwdPath(dir_okay=False, path_type=Path), help="TLS certificate (PEM): serve HTTPS.")
@click.option("--keyfile", type=CwdPath(dir_okay=False, path_type=Path), help="TLS private key (PEM) of --certfile.")
@click.option("--public-docs", is_flag=True, help="Serve /docs, /redoc and /openapi.json without a token.")
@click.option("--vault-password-file", "vault", type=CwdPath(dir_okay=False, path_type=Path),
              help="The server's vault secret, for schedules that name none (all API-created ones) "
                   "[env PATROL_VAULT_PASSWORD_FILE; patrol.yml service.vault_password_file].")  # fmt: skip
@click.pass_obj
def serve(obj: Context, bind: str, tick: float, sla_every: float, schedules_file: Path | None, certfile: Path | None,
          keyfile: Path | None, public_docs: bool, vault: Path | None) -> None:  # fmt: skip
    """Scheduler + SLA clock + REST API (OpenAPI at /docs, /openapi.json) in one process; SIGTERM stops it.

    API-created schedules may only name inventories and profiles under service.inventory_roots and
    service.profile_roots of patrol.yml (env PATROL_INVENTORY_ROOTS, PATROL_PROFILE_ROOTS)."""
    from patrol.service.server import ServeOptions, parse_bind, serve_forever

    if vault is not None:
        obj.settings.vault_password_file = vault.expanduser().resolve()
    with handled():
        host, port = parse_bind(bind)
        options = ServeOptions(host, port, tick, sla_every, schedules_file, certfile, keyfile, public_docs)
        serve_forever(obj.settings, obj.store, options)


COMMANDS: list[click.Command] = [schedule, serve, token]
