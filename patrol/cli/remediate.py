"""Remediation commands: ``remediate``, ``rollback``, ``changes``.

``patrol remediate REF [--check]`` previews (ansible check + diff mode, nothing changes);
``--approve`` applies the previewed plan and re-inspects; ``--playbook P --limit H`` is a one-off
without a finding. Who previews (the requester) and who approves is ``--by``, else ``$PATROL_USER``,
else the login name; where the policy wants a second approver, neither may be the requester.
Input errors (no preview, bad playbook, unknown host ...) and refused approvals (the change is
already being applied, or was) exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import yaml
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import EXIT_FAILURE, EXIT_INPUT, Context, actor, fail, handled, out, print_table
from patrol.cli.pathtypes import CwdPath, InventorySource

__all__ = ["COMMANDS"]


@contextmanager
def _handled() -> Iterator[None]:
    from patrol.remediate.errors import RemediationError, RollbackError

    with handled():
        try:
            yield
        except RollbackError as exc:
            fail(str(exc), EXIT_INPUT)
        except RemediationError as exc:
            fail(str(exc), EXIT_INPUT if type(exc).__name__ in ("PlanError", "ApprovalError") else EXIT_FAILURE)


def _extra_vars(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            fail(f"-e {pair!r}: expected NAME=VALUE (VALUE is YAML, e.g. servers='[192.0.2.1]')")
        try:
            values[name.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            fail(f"-e {pair!r}: the value is not YAML: {exc}")
    return values


def _plan(obj: Context, ref: str | None, playbook: str | None, limit: str | None, opts: dict[str, Any]) -> Any:
    from patrol.remediate import plan_for_finding, plan_for_playbook
    from patrol.remediate.tickets import is_ticket_ref, plan_for_ticket

    vault = opts["vault_password_file"]
    if playbook:
        if ref or not limit:
            fail("--playbook needs --limit HOST and no TICKET/FINDING argument")
        inventory = list(opts["inventory"]) or _latest_inventory(obj)
        return plan_for_playbook(playbook, str(limit), inventory=inventory, profiles=opts["profiles"],
                                 variables=_extra_vars(opts["extra"]), vault_password_file=vault)  # fmt: skip
    if not ref:
        fail("give a TICKET or FINDING (fingerprint from `patrol findings --json`), or --playbook with --limit")
    if is_ticket_ref(ref):
        return plan_for_ticket(obj.store, ref, vault_password_file=vault)
    return plan_for_finding(obj.store, ref, vault_password_file=vault)


def _latest_inventory(obj: Context) -> list[str]:
    runs = obj.store.list_runs(1)
    if not runs:
        fail("no run yet to take the inventory from: pass -i INVENTORY")
    return list(obj.store.run_info(runs[0].run_id)["inventory"])


def _show_preview(change: Any) -> None:
    out.print(
        f"change [bold]{change.id}[/] previewed: {escape(change.plan.playbook)} on {', '.join(change.plan.hosts)}"
    )
    for host, result in sorted(change.preview.items()):
        state = "failed" if result.get("failed") else "would change" if result.get("changed") else "no change"
        out.print(f"[bold]{host}[/]: {state}")
        if result.get("diff"):
            out.print(escape(result["diff"].rstrip("\n")), soft_wrap=True)
        for message in result.get("messages", []):
            out.print(f"  {escape(message)}")
    out.print("nothing was changed (check mode). Apply: the same command with --approve --by NAME")


def _show_unfinished(change: Any) -> None:
    out.print(f"change [bold]{change.id}[/] {change.status.value}: {escape(change.error or '')}")
    for host in change.host_results:
        out.print(f"  {host.host}: {host.status.value}" + (f" — {escape(host.error)}" if host.error else ""))


def _show_applied(change: Any) -> None:
    who = ", ".join(f"{a.approver} {a.at:%Y-%m-%d %H:%M} UTC" for a in change.approvals)
    if change.status.value in ("applying", "interrupted"):
        _show_unfinished(change)
        return
    if change.status.value == "awaiting_approval":
        out.print(f"change [bold]{change.id}[/] approved by {who}; waiting for {change.options.get('awaiting')}")
        return
    out.print(f"change [bold]{change.id}[/] {change.status.value} (approved by {who})")
    for host in change.host_results:
        out.print(f"  {host.host}: {host.status.value}" + (f" — {escape(host.error)}" if host.error else ""))
    verdict = "passed: finding gone" if change.verified else "NOT passed"
    out.print(f"verification run {change.verify_run_id}: {verdict}")
    for item in change.verification.get("remaining", []):
        out.print(f"  still failing: {item['host']} {item['check_id']}: {escape(item['message'])}")


@click.command()
@click.argument("ref", metavar="TICKET|FINDING", required=False)
@click.option("--check", is_flag=True, help="Preview only (the default without --approve).")
@click.option("--approve", is_flag=True, help="Apply the previewed plan, then re-inspect.")
@click.option("--by", "approver", metavar="NAME",
              help="Who previews / approves [env PATROL_USER; default: your login name].")  # fmt: skip
@click.option("--playbook", type=CwdPath(shipped=True, dir_okay=False),
              help="One-off: a playbook in playbooks/remediate/.")  # fmt: skip
@click.option("-l", "--limit", help="One-off: the hosts (an Ansible pattern).")
@click.option("-i", "--inventory", multiple=True, type=InventorySource(),
              help="One-off: inventory [default: the latest run's].")  # fmt: skip
@click.option("-p", "--profile", "profiles", multiple=True, type=CwdPath(shipped=True),
              help="Profiles to verify with [default: inspect/].")  # fmt: skip
@click.option("-e", "--extra-var", "extra", multiple=True, metavar="NAME=VALUE", help="One-off playbook variable.")
@click.option("--serial", type=click.IntRange(1, 1000), help="Hosts per batch [default 1].")
@click.option("--max-fail-percentage", type=click.FloatRange(0, 100), help="Go on while failures stay within [0].")
@click.option("--continue-on-failure", is_flag=True, help="Same as --max-fail-percentage 100.")
@click.option("--vault-password-file", envvar=["PATROL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"],
              type=CwdPath(dir_okay=False), help="Vault password file of the inventory.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def remediate(obj: Context, ref: str | None, check: bool, approve: bool, approver: str | None, **opts: Any) -> None:
    """Preview a remediation (check + diff mode), or apply a previewed one with --approve [--by NAME]."""
    from patrol.remediate import Policy, preview
    from patrol.remediate import approve as approve_plan
    from patrol.remediate.tickets import TicketLink

    if approve and check:
        fail("--check previews and --approve applies: give one of them")
    who = actor((approver or "").strip() or None)
    with _handled():
        plan = _plan(obj, ref, opts["playbook"], opts["limit"], opts)
        hooks = [TicketLink(who)]
        max_fail = 100.0 if opts["continue_on_failure"] else opts["max_fail_percentage"]
        if not approve:
            options = {"serial": opts["serial"], "max_fail_percentage": max_fail}
            change = preview(obj.settings, obj.store, plan, hooks=hooks, requested_by=who,
                             options={k: v for k, v in options.items() if v is not None})  # fmt: skip
        else:
            policy = Policy.from_env(serial=opts["serial"], max_fail_percentage=max_fail)
            change = approve_plan(obj.settings, obj.store, plan, who, policy, hooks=hooks)
    if opts["as_json"]:
        out.print_json(change.model_dump_json())
    elif approve:
        _show_applied(change)
    else:
        _show_preview(change)
    if approve and change.status.value == "failed":
        raise SystemExit(EXIT_FAILURE)


@click.command()
@click.argument("change_id", metavar="CHANGE_ID")
@click.option("--by", "actor", default="patrol", show_default=True, help="Who rolls back (change log, ticket).")
@click.pass_obj
def rollback(obj: Context, change_id: str, actor: str) -> None:
    """Restore what a change replaced (saved files / config lines), then re-inspect."""
    from patrol.remediate import rollback as rollback_change
    from patrol.remediate.tickets import TicketLink

    with _handled():
        change = rollback_change(obj.settings, obj.store, change_id, hooks=[TicketLink(actor)])
    out.print(f"change [bold]{change.id}[/] rolled back; re-inspection run {change.rollback_run_id}")
    for host in change.host_results:
        out.print(f"  {host.host}: {host.status.value}" + (f" — {escape(host.error)}" if host.error else ""))


@click.command()
@click.argument("change_id", required=False, metavar="[CHANGE_ID]")
@click.option("--host", help="Only changes that touched this host.")
@click.option("-n", "--last", "limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def changes(obj: Context, change_id: str | None, host: str | None, limit: int, as_json: bool) -> None:
    """The change log: who approved what, before/after, verification and rollback."""
    from patrol.remediate import get_change, list_changes

    with _handled():
        found = [get_change(obj.store, change_id)] if change_id else list_changes(obj.store, host, limit)
    if as_json:
        out.print_json(json.dumps([c.model_dump(mode="json") for c in found]))
        return
    if change_id:
        show = _show_preview if found[0].status.value == "previewed" else _show_applied
        show(found[0])
        return
    table = Table(title=f"changes: {len(found)}", title_justify="left")
    for column in ("change", "created (UTC)", "status", "playbook", "hosts", "approved by", "verified", "ticket"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(
            c.id, f"{c.created_at:%Y-%m-%d %H:%M}", c.status.value, c.plan.playbook.rsplit("/", 1)[-1],
            ", ".join(c.plan.hosts), ", ".join(a.approver for a in c.approvals) or "-",
            {True: "yes", False: "no", None: "-"}[c.verified], str(c.plan.ticket_id or "-"),
        )  # fmt: skip
    print_table(table, keys={"change", "ticket"})


COMMANDS: list[click.Command] = [remediate, rollback, changes]
