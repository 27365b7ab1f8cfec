"""Waivers, SLA clocks and the notification outbox: ``waive``, ``waiver remove``, ``waivers``,
``sla``, ``notifications``.

``patrol sla`` escalates at the current time only; ``patrol sla --at WHEN`` is a what-if that
writes nothing (no escalation, no expiry, no delivery), whatever WHEN is.
"""

from __future__ import annotations

import json

import click
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import Context, actor, first_line, out, print_table
from patrol.cli.dates import Edge, describe, when
from patrol.cli.known import Known, close_matches, inventory_hosts, known_checks, known_hosts
from patrol.cli.pathtypes import CwdPath, InventorySource
from patrol.cli.tickets import CLOCK_STYLE, _by_option, _contract, _handled, _service_option
from patrol.models import utcnow
from patrol.store import Store
from patrol.tickets import Waiver, WaiverError, check_sla, expire_waivers, grant_waiver, list_waivers
from patrol.tickets.contract import ServiceContract
from patrol.tickets.sla import SlaReport, preview_sla, time_left
from patrol.tickets.waivers import remove_waiver

__all__ = ["COMMANDS"]


def _validate_scope(store: Store, check_id: str, host: str | None, group: str | None, profiles: tuple[str, ...],
                    inventory: tuple[str, ...], vault: str | None) -> None:  # fmt: skip
    """A check the profiles know, a host or group the runs (or ``-i`` inventory) know; else close matches."""
    from patrol.paths import PROFILES_DIR

    checks = known_checks(store, profiles or (str(PROFILES_DIR),))
    if check_id not in checks:
        where = ", ".join(profiles) if profiles else "the default profiles"
        hint = close_matches(check_id, checks) or f"; `patrol waivers` and {where} name the {len(checks)} known"
        raise WaiverError(f"--check {check_id!r} is not a check of {where}{hint}")
    known: Known = inventory_hosts(list(inventory), vault) if inventory else known_hosts(store)
    if host and host not in known.hosts:
        raise known.unknown_host(host)
    if group and group not in known.groups:
        raise known.unknown_group(group)


@click.command("waive")
@click.option("--check", "check_id", required=True, help="The check id to waive.")
@click.option("--host", help="Only on this host.")
@click.option("--group", help="Only on hosts of this inventory group.")
@click.option("--until", required=True,
              help="Expiry: a date (until the end of that day, local time), a time, or +30d.")  # fmt: skip
@click.option("--reason", required=True, help="Why the finding is accepted.")
@click.option("--approver", required=True, help="Who approved it.")
@click.option("-i", "--inventory", "inventory", multiple=True, type=InventorySource(), metavar="PATH",
              help="Check --host/--group against this inventory [default: the hosts runs have seen].")  # fmt: skip
@click.option("-p", "--profile", "profiles", multiple=True, type=CwdPath(shipped=True), metavar="PATH",
              help="Profiles that define --check [default: inspect/].")  # fmt: skip
@click.option("--vault-password-file", envvar=["PATROL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"],
              type=CwdPath(dir_okay=False), help="Vault password file of -i.")  # fmt: skip
@_by_option
@click.pass_obj
def waive(obj: Context, check_id: str, host: str | None, group: str | None, until: str, reason: str, approver: str,
          inventory: tuple[str, ...], profiles: tuple[str, ...], vault_password_file: str | None,
          by: str | None) -> None:  # fmt: skip
    """Waive a check for a host or a group until a date; waived findings stay visible as waived."""
    expiry = when("--until", until, edge=Edge.END)
    with _handled():
        if expiry.at <= utcnow():
            raise WaiverError(f"--until {until!r} means {expiry.text}, which is not in the future; give a later date")
        if bool(host) != bool(group) and reason.strip() and approver.strip():
            _validate_scope(obj.store, check_id, host, group, profiles, inventory, vault_password_file)
        waiver, covered = grant_waiver(obj.store, check_id=check_id, until=expiry.at, reason=reason,
                                       approver=approver, actor=actor(by), host=host, group=group)  # fmt: skip
    out.print(f"waiver {waiver.id}: {check_id} on {escape(waiver.scope)} until {escape(expiry.text)}; "
              f"{len(covered)} open ticket(s) now waived; to end it early: `patrol waiver remove {waiver.id}`")


@click.group("waiver")
def waiver() -> None:
    """One waiver: remove."""


@waiver.command("remove")
@click.argument("waiver_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why the waiver ends early (kept in the tickets' timelines).")
@_service_option
@_by_option
@click.pass_obj
def remove(obj: Context, waiver_id: int, reason: str, service: str | None, by: str | None) -> None:
    """End waiver ID now: the findings it covered count again and their tickets' SLA clocks restart."""
    with _handled():
        ended, back = remove_waiver(obj.store, _contract(service), waiver_id, actor=actor(by), reason=reason)
    tickets = f"tickets {', '.join(map(str, back))} back in force" if back else "no open ticket was waived by it"
    out.print(f"waiver {ended.id} ({ended.check_id} on {escape(ended.scope)}) removed; {tickets}")


@click.command("waivers")
@click.option("--all", "include_expired", is_flag=True, help="Include expired and removed waivers.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def waivers_cmd(obj: Context, include_expired: bool, as_json: bool) -> None:
    """Waivers in force (or all)."""
    with _handled():
        found = list_waivers(obj.store, include_expired)
    if as_json:
        out.print_json(json.dumps([w.model_dump(mode="json") for w in found]))
        return
    table = Table(title=f"waivers: {len(found)}", title_justify="left")
    for column in ("id", "check", "scope", "until (UTC)", "approver", "reason", "ended"):
        table.add_column(column, overflow="fold")
    for w in found:
        table.add_row(str(w.id), w.check_id, escape(w.scope), f"{w.until:%Y-%m-%d %H:%M}", escape(w.approver),
                      escape(w.reason), f"{w.expired_at:%Y-%m-%d %H:%M}" if w.expired_at else "")  # fmt: skip
    print_table(table, keys={"id", "check"})


@click.command("sla")
@click.option("--at", "at", help="What-if: the clocks at this time (a date, a time, +4h); writes nothing.")
@_service_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def sla(obj: Context, at: str | None, service: str | None, as_json: bool) -> None:
    """SLA clocks; at the current time escalates and notifies each breach once (run it from cron).

    With --at it is a what-if: the clocks then and what would be escalated; nothing is written."""
    from patrol.notify import deliver

    moment = when("--at", at) if at else None
    expired: list[tuple[Waiver, list[int]]] = []
    delivery = None
    with _handled():
        contract = _contract(service)
        if moment is None:
            expired = expire_waivers(obj.store, contract, utcnow())
            report = check_sla(obj.store, contract)
            delivery = deliver(obj.store, contract.notify, report.at) if contract.notify else None
        else:
            report = preview_sla(obj.store, contract, moment.at)
            expired = [(w, []) for w in list_waivers(obj.store) if w.until <= moment.at]
    if as_json:
        clock = [{"ticket": t.id, "clock": c.clock, "status": c.status,
                  "remaining_seconds": int(c.remaining.total_seconds()) if c.remaining is not None else None}
                 for t, c in report.clocks]  # fmt: skip
        data = {"at": report.at.isoformat(), "what_if": report.preview, "clocks": clock,
                ("would_escalate" if report.preview else "escalated"):
                    [[t.id, c.clock, c.status] for t, c in report.escalated],
                "breached": [[t.id, c.clock] for t, c in report.breached],
                "warnings": [[t.id, c.clock] for t, c in report.warnings],
                ("waivers_would_expire" if report.preview else "waivers_expired"): [w.id for w, _ in expired],
                "delivery": vars(delivery) if delivery else None}  # fmt: skip
        out.print_json(json.dumps(data))
        return
    _print_sla(report, contract, at if moment else None)
    _print_after(report, expired, delivery)


def _print_sla(report: SlaReport, contract: ServiceContract, asked: str | None) -> None:
    title = f"SLA clocks at {describe(report.at)}" + (f" (what-if {asked}: nothing written)" if asked else "")
    table = Table(title=f"{escape(title)} ({escape(contract.source)})", title_justify="left")
    for column in ("ticket", "priority", "clock", "status", "deadline (UTC)", "time"):
        table.add_column(column)
    for t, c in report.clocks:
        remaining = time_left(c.remaining) if c.remaining is not None and c.status not in ("met", "late") else ""
        deadline = f"{c.deadline:%Y-%m-%d %H:%M}" if c.deadline else (c.target_release or "")
        style = CLOCK_STYLE.get(c.status) or "default"
        table.add_row(str(t.id), f"{t.priority.value} {t.priority.zh}", c.clock, f"[{style}]{c.status}[/]",
                      escape(deadline), remaining)  # fmt: skip
    print_table(table, keys={"ticket"})
    counts = f"{len(report.breached)} breached, {len(report.warnings)} warning; "
    person = escape(contract.person_in_charge)
    if report.preview:
        out.print(counts + f"what-if, nothing written: {len(report.escalated)} would be escalated to {person} then "
                  "(`patrol sla` without --at escalates at the current time)")  # fmt: skip
    else:
        out.print(counts + f"{len(report.escalated)} escalated now to {person} (上報)")


def _print_after(report: SlaReport, expired: list[tuple[Waiver, list[int]]], delivery: object) -> None:
    verb = "would be escalated" if report.preview else "escalated"
    for t, c in report.escalated:
        left = f", {time_left(c.remaining)}" if c.remaining is not None else ""
        out.print(f"  {verb}: ticket {t.id} {c.clock} clock {c.status}{left}")
    for w, back in expired:
        scope = f"{w.check_id}, {escape(w.scope)}"
        if report.preview:
            out.print(f"waiver {w.id} ({scope}) would have expired (until {w.until:%Y-%m-%d %H:%M} UTC)")
        else:
            out.print(f"waiver {w.id} ({scope}) expired: tickets {back} back in force")
    if delivery is not None:
        d = vars(delivery)
        out.print(f"notifications: {d['sent']} sent, {d['retrying']} to retry, {d['failed']} failed")
        for error in d["errors"]:
            out.print(f"  [red]{escape(error)}[/]")


@click.command("notifications")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed"]), help="Only this state.")
@_service_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def notifications(obj: Context, state: str | None, service: str | None, as_json: bool) -> None:
    """The notification outbox: what was sent, what is retried, what failed and why."""
    from patrol.notify import outbox_rows

    with _handled():
        rows = outbox_rows(obj.store, state)
        targets = [t.name for t in _contract(service).notify]
    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table(title=f"notifications: {len(rows)}", title_justify="left")
    for column in ("id", "created (UTC)", "target", "event", "ticket", "state", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for r in rows:
        error = escape(first_line(r["last_error"] or ""))
        table.add_row(str(r["id"]), f"{r['created_at']:%Y-%m-%d %H:%M}", r["target"], r["event"],
                      str(r["ticket_id"] or ""), r["state"], str(r["attempts"]), error)  # fmt: skip
    print_table(table, keys={"id", "ticket"})
    if not targets:
        out.print("no notification target is configured: add notify: to the service contract "
                  "(inspect/service.yml or --service) to send mail, webhooks or Jira tickets")  # fmt: skip
    elif not rows:
        out.print(f"none queued yet; targets: {escape(', '.join(targets))}")



COMMANDS: list[click.Command] = [waive, waiver, waivers_cmd, sla, notifications]
