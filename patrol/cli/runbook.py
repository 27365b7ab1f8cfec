"""``patrol runbook list | show ID | step TICKET N | drill ID``: emergency plans (應急預案).

Plans are ``inspect/runbooks/*.yml`` (:mod:`patrol.tickets.runbooks`); a check links its plan with
``runbook:``, a plan names the ticket classes it covers. ``step`` records a step done against a
ticket (``patrol ticket show`` lists them); ``drill`` walks a plan on the lab and records the drill.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import EXIT_FAILURE, Context, actor, fail, handled, out, print_table
from patrol.cli.langopt import lang_option
from patrol.cli.pathtypes import CwdPath, InventorySource
from patrol.i18n import catalogue
from patrol.paths import PROJECT_ROOT

__all__ = ["COMMANDS"]

LAB_INVENTORY = PROJECT_ROOT / "inventory" / "lab"

_LANG = lang_option("Language", default="en")
_JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group("runbook")
def runbook() -> None:
    """Emergency plans: list, show, record a step on a ticket, drill on the lab."""


def _list_row(book: Any, checks: list[str], last: Any, lang: str) -> dict[str, Any]:
    return {"id": book.id, "title": book.title.in_(lang), "checks": checks,
            "ticket_classes": [c.value for c in book.ticket_classes], "playbook": book.playbook,
            "last_drill": last.at.isoformat() if last else None,
            "last_outcome": last.outcome if last else None}  # fmt: skip


@runbook.command("list")
@_LANG
@_JSON
@click.pass_obj
def list_cmd(obj: Context, lang: str, as_json: bool) -> None:
    """Every plan with the checks and ticket classes linked to it and its last drill."""
    from patrol.remediate.drill import list_drills
    from patrol.tickets.runbooks import load_index

    with handled():
        index = load_index()
        drills = list_drills(obj.store)
    last = {d.runbook: d for d in reversed(drills)}
    rows = [_list_row(b, index.checks_of(b.id), last.get(b.id), lang) for b in index.runbooks.values()]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title="runbooks 應急預案", title_justify="left")
    for column in ("id", "title", "checks", "classes", "playbook", "last drill"):
        table.add_column(column, overflow="fold")
    for r in rows:
        drill = f"{str(r['last_drill'])[:16]} {r['last_outcome']}" if r["last_drill"] else "never"
        table.add_row(str(r["id"]), escape(str(r["title"])), ", ".join(r["checks"]) or "-",
                      ", ".join(r["ticket_classes"]) or "-", str(r["playbook"] or "-"), drill)  # fmt: skip
    print_table(table, keys={"id"})


_HEADINGS = {
    "en": {"symptoms": "Symptoms", "prevention": "Prevention", "immediate": "Immediate steps",
           "resolution": "Resolution steps", "escalation": "Escalation", "playbook": "Linked playbook",
           "checks": "Linked checks", "classes": "Ticket classes", "drills": "Drills", "after": "after",
           "plan": "plan", "escalate_to": "escalation", "plan_none": "none (no runbook for its check or class)",
           "plan_unread": "cannot be read",
           "step_done": "step done {at} by {by}: {note}"},
    "zh": {"symptoms": "故障現象", "prevention": "預防措施", "immediate": "立即處置步驟", "resolution": "解決步驟",
           "escalation": "上報聯絡人", "playbook": "關聯修復劇本", "checks": "關聯檢查項", "classes": "工單類別",
           "drills": "演練記錄", "after": "逾時", "plan": "應急預案", "escalate_to": "上報",
           "plan_none": "無（其檢查項或類別沒有預案）",
           "plan_unread": "無法讀取", "step_done": "{at} 由 {by} 完成步驟：{note}"},
}  # fmt: skip


def _show_text(book: Any, checks: list[str], drills: list[Any], lang: str) -> None:
    h = catalogue(_HEADINGS, lang)
    out.print(f"[bold]runbook {book.id}[/] {escape(book.title.in_(lang))}")
    for key in ("symptoms", "prevention"):
        out.print(f"{h[key]}:")
        for item in getattr(book, key):
            out.print(f"  - {escape(item.in_(lang))}")
    for phase in ("immediate", "resolution"):
        out.print(f"{h[phase]}:")
        for step in (s for s in book.steps() if s.phase == phase):
            out.print(f"  {step.number}. {escape(step.text.in_(lang))}")
    after = f" ({h['after']} {book.escalation.after})" if book.escalation.after else ""
    out.print(f"{h['escalation']}: {escape(book.escalation.contact)}{after}")
    out.print(f"{h['playbook']}: {book.playbook or '-'}" + (f" {json.dumps(book.vars)}" if book.vars else ""))
    out.print(f"{h['checks']}: {', '.join(checks) or '-'}")
    out.print(f"{h['classes']}: {', '.join(c.value for c in book.ticket_classes) or '-'}")
    out.print(f"{h['drills']}: " + ("; ".join(f"{d.at:%Y-%m-%d %H:%M} {d.outcome} on {d.host or '-'}"
                                            for d in drills[:5]) or "-"))  # fmt: skip


@runbook.command("show")
@click.argument("runbook_id", metavar="ID")
@_LANG
@_JSON
@click.pass_obj
def show(obj: Context, runbook_id: str, lang: str, as_json: bool) -> None:
    """The plan ID: symptoms, prevention, numbered steps, escalation contact, linked playbook, drills."""
    from patrol.remediate.drill import list_drills
    from patrol.tickets.runbooks import load_index

    with handled():
        index = load_index()
        book = index.get(runbook_id)
        drills = list_drills(obj.store, book.id)
    if as_json:
        data = book.model_dump(mode="json") | {
            "steps": [s.label(lang) for s in book.steps()],
            "checks": index.checks_of(book.id),
            "drills": [asdict(d) | {"at": d.at.isoformat()} for d in drills],
        }
        out.print_json(json.dumps(data))
        return
    _show_text(book, index.checks_of(book.id), drills, lang)


@runbook.command("step")
@click.argument("ticket_id", metavar="TICKET")
@click.argument("number", type=click.IntRange(1, 100))
@click.option("--note", default="", help="What was done and seen (kept in the ticket's timeline).")
@click.option("--by", "by", metavar="NAME", help="Who did it [env PATROL_USER; default: your login name].")
@click.pass_obj
def step(obj: Context, ticket_id: str, number: int, note: str, by: str | None) -> None:
    """Record step NUMBER of TICKET's plan as done."""
    from patrol.tickets.repo import get_ticket
    from patrol.tickets.runbooks import load_index, record_step

    with handled():
        index = load_index()
        with obj.store.read() as conn:
            ticket = get_ticket(conn, ticket_id)
        book = index.plan(ticket.check_id, ticket.klass)
        if book is None:
            fail(f"ticket {ticket.id} has no plan: its check ({ticket.check_id or '-'}) names no runbook and no "
                 f"runbook lists the class {ticket.klass.value}")  # fmt: skip
        text = record_step(obj.store, ticket, book, number, note, actor(by))
    out.print(f"ticket {ticket.id}: recorded {escape(text)}")


@runbook.command("drill")
@click.argument("runbook_id", metavar="ID")
@click.option("--host", help="Lab host to practise the playbook on [default: the runbook's drill_host].")
@click.option("-i", "--inventory", multiple=True, type=InventorySource(),
              help="Inventory of the host [default: the bundled lab's].")  # fmt: skip
@click.option("--vault-password-file", envvar=["PATROL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"],
              type=CwdPath(dir_okay=False), help="Vault password file of the inventory.")  # fmt: skip
@click.option("--by", "by", metavar="NAME", help="Who runs the drill [env PATROL_USER; default: your login name].")
@_LANG
@_JSON
@click.pass_obj
def drill(obj: Context, runbook_id: str, host: str | None, inventory: tuple[str, ...], vault_password_file: str | None,
          by: str | None, lang: str, as_json: bool) -> None:  # fmt: skip
    """Walk plan ID on the lab: print each step, run its playbook in check mode, record the drill."""
    from patrol.remediate.drill import run_drill
    from patrol.tickets.runbooks import load_index

    with handled():
        book = load_index().get(runbook_id)
        sources = list(inventory) or [str(LAB_INVENTORY)]
        if not inventory and vault_password_file is None:
            vault_password_file = str(LAB_INVENTORY / "vault-password.txt")
        done = run_drill(obj.settings, obj.store, book, host=host, inventory=sources, actor=actor(by),
                         vault_password_file=vault_password_file)  # fmt: skip
    if as_json:
        out.print_json(json.dumps(asdict(done) | {"at": done.at.isoformat()}))
    else:
        out.print(f"[bold]drill {done.id}[/] of runbook {book.id} {escape(book.title.in_(lang))}")
        for s in book.steps():
            out.print(f"  {escape(s.label(lang))}")
        out.print(f"playbook {done.playbook or '-'} on {done.host or '-'} (check mode): {done.outcome} — "
                  f"{escape(done.detail)}")  # fmt: skip
    if done.outcome == "failed":
        raise SystemExit(EXIT_FAILURE)


def ticket_plan(ticket: Any, events: list[Any], lang: str) -> tuple[dict[str, Any] | None, list[str]]:
    """For ``patrol ticket show``: the ticket's plan (JSON-safe) and the lines that show it with the steps
    recorded against it; a plan that cannot be read says why instead of hiding the ticket."""
    from patrol.errors import PatrolError
    from patrol.tickets.runbooks import STEP_ACTION, load_index

    h = catalogue(_HEADINGS, lang)
    try:
        book = load_index().plan(ticket.check_id, ticket.klass)
    except PatrolError as exc:
        return None, [f"  {h['plan']}: {h['plan_unread']}: {escape(str(exc))}"]
    if book is None:
        return None, [f"  {h['plan']}: {h['plan_none']}"]
    done = [e for e in events if e.action == STEP_ACTION]
    after = f" {h['after']} {book.escalation.after}" if book.escalation.after else ""
    lines = [f"  {h['plan']} [bold]{book.id}[/] {escape(book.title.in_(lang))} · {h['escalate_to']} "
             f"{escape(book.escalation.contact)}{after}"]
    lines += [f"    {escape(s.label(lang))}" for s in book.steps()]
    lines += ["  " + h["step_done"].format(at=f"{e.at:%Y-%m-%d %H:%M}", by=escape(e.actor), note=escape(e.note))
              for e in done]
    data = {"id": book.id, "title": book.title.in_(lang), "steps": [s.label(lang) for s in book.steps()],
            "escalation": book.escalation.model_dump(), "playbook": book.playbook,
            "steps_done": [{"at": e.at.isoformat(), "by": e.actor, "note": e.note} for e in done]}  # fmt: skip
    return data, lines


COMMANDS: list[Any] = [runbook]
