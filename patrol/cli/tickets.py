"""Service-desk commands: ``tickets``, ``ticket ...``, ``waive``, ``waivers``, ``sla``, ``notifications``.

Mutating commands take ``--by NAME`` (default ``$PATROL_USER`` or the login name): it is the
"who" of the audit trail. ``--service PATH`` (or ``$PATROL_SERVICE``) names the contract file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from patrol.cli.common import (
    EXIT_INPUT,
    SEVERITIES,
    SEVERITY_STYLE,
    Context,
    actor,
    fail,
    handled,
    out,
    print_table,
)
from patrol.cli.pathtypes import CwdPath
from patrol.models import Severity, utcnow
from patrol.tickets import (
    Channel,
    ClockState,
    DeskRequest,
    Ticket,
    TicketClass,
    TicketError,
    TicketFilter,
    TicketState,
    assign,
    check_sla,
    clocks,
    comment,
    expire_waivers,
    grant_waiver,
    list_tickets,
    list_waivers,
    load_contract,
    move,
    open_ticket,
    write_record,
)
from patrol.tickets.contract import ServiceContract, parse_duration
from patrol.tickets.workflow import ACTIONS, allowed_actions

__all__ = ["COMMANDS"]

STATES = ["open", "breached", "waived", "all", *[s.value for s in TicketState]]
CLOCK_STYLE = {"breached": "bold red", "late": "red", "warning": "yellow", "met": "green", "running": "",
               "release": "cyan", "waived": "magenta"}  # fmt: skip


@contextmanager
def _handled() -> Iterator[None]:
    with handled():
        try:
            yield
        except TicketError as exc:
            fail(str(exc), EXIT_INPUT)



def parse_time(value: str | None) -> datetime:
    """``None``/``now`` -> now; ``+4h`` -> now + 4 h; ISO date or datetime (naive = UTC)."""
    if value is None or value.strip().lower() == "now":
        return utcnow()
    text = value.strip()
    try:
        if text.startswith("+"):
            return utcnow() + parse_duration(text[1:])
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: give an ISO time like 2026-11-26T06:00 (UTC) or +4h") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _until(value: str) -> datetime:
    """A bare date means until the end of that day (UTC)."""
    moment = parse_time(value)
    return moment + timedelta(days=1) if len(value.strip()) == 10 else moment


def _contract(service: str | None) -> ServiceContract:
    return load_contract(service)


def _service_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    text = "Service contract YAML [env PATROL_SERVICE; default inspect/service.yml]."
    return click.option("--service", type=CwdPath(dir_okay=False), help=text)(fn)


def _lang_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    from patrol.report.labels import default_lang

    text = "Language of the titles [default: from the locale, LANG=zh_* gives zh]."
    return click.option("--lang", type=click.Choice(["en", "zh"]), default=default_lang, help=text)(fn)


def _by_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--by", help="Who makes the change (audit trail) [env PATROL_USER; default login name].")(fn)


def _label(ticket: Ticket) -> str:
    waived = " [magenta]waived 豁免[/]" if ticket.waiver_id is not None and ticket.active else ""
    return f"{ticket.state.value} {ticket.state.zh}{waived}"


def _worst_clock(states: list[ClockState]) -> ClockState:
    order = ["breached", "late", "warning", "running", "release", "waived", "met"]
    return min(states, key=lambda c: order.index(c.status))


def _clock_text(state: ClockState, now: datetime) -> str:
    style = CLOCK_STYLE.get(state.status, "")
    if state.status == "release":
        return f"[{style}]release {escape(state.target_release or '')}[/]"
    if state.deadline is None or state.remaining is None:
        return f"[{style}]{state.status}[/]" if style else state.status
    hours = state.remaining.total_seconds() / 3600
    text = f"{state.clock} {state.status} ({hours:+.1f}h)"
    return f"[{style}]{text}[/]" if style else text


# --- patrol tickets ----------------------------------------------------------------------


def _ticket_json(ticket: Ticket, contract: ServiceContract, now: datetime) -> dict[str, Any]:
    data = ticket.model_dump(mode="json")
    data["waived"] = ticket.waiver_id is not None and ticket.active
    data["clocks"] = [{"clock": c.clock, "status": c.status, "deadline": c.deadline.isoformat() if c.deadline else None,
                       "target_release": c.target_release} for c in clocks(ticket, contract, now)]  # fmt: skip
    return data


@click.command("tickets")
@click.option("--state", default="open", show_default=True, type=click.Choice(STATES), help="Which tickets.")
@click.option("-p", "--priority", multiple=True, type=click.Choice(SEVERITIES), help="Only these priorities.")
@click.option("--class", "klass", type=click.Choice([c.value for c in TicketClass]), help="Only this class.")
@click.option("--host", help="Only this host.")
@click.option("--at", "at", help="Evaluate SLA clocks at this time (ISO, UTC) [default: now].")
@_service_option
@_lang_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def tickets_cmd(obj: Context, state: str, priority: tuple[str, ...], klass: str | None, host: str | None,
                at: str | None, service: str | None, lang: str, as_json: bool) -> None:  # fmt: skip
    """Tickets, worst priority first (default: the open ones)."""
    with _handled():
        contract, now = _contract(service), parse_time(at)
        found = list_tickets(obj.store, TicketFilter(state, [Severity(p) for p in priority], klass, host))
    if state == "breached":
        found = [t for t in found if any(c.status == "breached" for c in clocks(t, contract, now))]
    if as_json:
        out.print_json(json.dumps([_ticket_json(t, contract, now) for t in found]))
        return
    table = Table(title=f"tickets ({state}): {len(found)}", title_justify="left")
    for column in ("id", "priority", "state", "class", "host", "title", "seen", "SLA", "assignee"):
        table.add_column(column, overflow="fold")
    for t in found:
        table.add_row(
            str(t.id), f"[{SEVERITY_STYLE[t.priority.value]}]{t.priority.value} {t.priority.zh}[/]", _label(t),
            f"{t.klass.value} {t.klass.zh}", escape(t.host or t.location), escape(t.title_in(lang)),
            f"{t.occurrences}x" + (f" (reopened {t.recurrence}x)" if t.recurrence else ""),
            _clock_text(_worst_clock(clocks(t, contract, now)), now), escape(t.assignee or ""),
        )  # fmt: skip
    print_table(table, keys={"id", "host"})


# --- patrol ticket ... -------------------------------------------------------------------


@click.group("ticket")
def ticket() -> None:
    """One ticket: show, new, move, assign, comment, record, export."""


@ticket.command("show")
@click.argument("ticket_id", metavar="ID")
@_service_option
@click.option("--at", "at", help="Evaluate SLA clocks at this time [default: now].")
@_lang_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(obj: Context, ticket_id: str, service: str | None, at: str | None, lang: str, as_json: bool) -> None:
    """Timeline of ticket ID: every state change, comment, run that saw it, and its SLA clocks."""
    from patrol.tickets.repo import get_ticket, ticket_events_of, ticket_runs

    with _handled():
        contract, now = _contract(service), parse_time(at)
        with obj.store.read() as conn:
            t = get_ticket(conn, ticket_id)
        events, runs = ticket_events_of(obj.store, t.id), ticket_runs(obj.store, t.id)
        waiver = next((w for w in list_waivers(obj.store, True) if w.id == t.waiver_id), None)
    from patrol.cli.runbook import ticket_plan

    plan, plan_lines = ticket_plan(t, events, lang)
    if as_json:
        data = _ticket_json(t, contract, now) | {"record": t.written_record, "runs": [r for r, _ in runs]}
        data["timeline"] = [e.model_dump(mode="json") for e in events]
        data["runbook"] = plan
        out.print_json(json.dumps(data))
        return
    _print_ticket(t, contract, now, waiver, lang)
    for line in plan_lines:
        out.print(line)
    timeline = Table(title="timeline", title_justify="left")
    for column in ("when (UTC)", "who", "what", "from → to", "why / note", "run"):
        timeline.add_column(column, overflow="fold")
    for e in events:
        moved = f"{e.from_state or ''} → {e.to_state}" if e.to_state else ""
        timeline.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", escape(e.actor), e.action, moved, escape(e.note), e.run_id or "")
    print_table(timeline, keys={"run"})
    if runs:
        out.print(f"seen in {len(runs)} run(s): " + ", ".join(r for r, _ in runs))


def _print_ticket(t: Ticket, contract: ServiceContract, now: datetime, waiver: Any, lang: str) -> None:
    out.print(f"[bold]ticket {t.id}[/] {escape(t.title_in(lang))}")
    out.print(f"  class {t.klass.value} {t.klass.zh} · priority [{SEVERITY_STYLE[t.priority.value]}]"
              f"{t.priority.value} {t.priority.zh}[/] · state {_label(t)} · source {t.source.value}")  # fmt: skip
    if t.host:
        out.print(f"  host {escape(t.host)} · check {t.check_id} · object {escape(t.object or '-')} · "
                  f"seen {t.occurrences}x · recurrence {t.recurrence}")  # fmt: skip
    if t.channel:
        out.print(f"  channel {t.channel.value} {t.channel.zh} · reporter {escape(t.reporter)} · "
                  f"location {escape(t.location)}")  # fmt: skip
    if t.message:
        out.print(f"  finding: {escape(t.message)}")
    out.print(f"  assignee {escape(t.assignee or '-')} · escalated to {escape(t.escalated_to or '-')}"
              + (f" · target release {escape(t.release)}" if t.release else ""))  # fmt: skip
    if waiver is not None:
        out.print(f"  [magenta]waived[/] by waiver {waiver.id} ({escape(waiver.scope)}) until {waiver.until:%Y-%m-%d} "
                  f"approved by {escape(waiver.approver)}: {escape(waiver.reason)}")  # fmt: skip
    for c in clocks(t, contract, now):
        deadline = f" deadline {c.deadline:%Y-%m-%d %H:%M} UTC" if c.deadline else ""
        out.print(f"  SLA {c.clock}: {_clock_text(c, now)}{deadline}")
    record = ", ".join(f"{k}={escape(v)}" for k, v in t.written_record.items() if v)
    missing = t.missing_record_fields if t.klass is TicketClass.DEFECT else []
    kind = "consultation" if t.klass is TicketClass.CONSULTATION else "fault"
    out.print(f"  {kind} record: {record}" + (f" · missing: {', '.join(missing)}" if missing else ""))
    if t.active:
        out.print(f"  next actions: {', '.join(allowed_actions(t.klass, t.state)) or '-'}")


@ticket.command("new")
@click.option("--class", "klass", required=True, type=click.Choice([c.value for c in TicketClass]))
@click.option("--channel", required=True, type=click.Choice([c.value for c in Channel]))
@click.option("--reporter", required=True, help="Who reported it.")
@click.option("--location", required=True, help="Where (site, room, system).")
@click.option("--priority", required=True, type=click.Choice(SEVERITIES))
@click.option("--answer", help="Consultation answered on the spot: closes it with this answer.")
@click.argument("description")
@_service_option
@_by_option
@click.pass_obj
def new(obj: Context, klass: str, channel: str, reporter: str, location: str, priority: str, answer: str | None,
        description: str, service: str | None, by: str | None) -> None:  # fmt: skip
    """Open a ticket at the service desk."""
    request = DeskRequest(TicketClass(klass), Channel(channel), reporter, location, Severity(priority), description,
                          answer)  # fmt: skip
    with _handled():
        t = open_ticket(obj.store, _contract(service), request, actor(by))
    out.print(f"ticket {t.id} opened: {t.klass.value} {t.klass.zh}, {t.priority.value} {t.priority.zh}, {_label(t)}")


@ticket.command("move")
@click.argument("ticket_id", metavar="ID")
@click.argument("action", type=click.Choice(list(ACTIONS)))
@click.option("--note", default="", help="Why (kept in the timeline); a consultation's answer when closing it.")
@_service_option
@_by_option
@click.pass_obj
def move_cmd(obj: Context, ticket_id: str, action: str, note: str, service: str | None, by: str | None) -> None:
    """Move ticket ID through its workflow."""
    with _handled():
        t = move(obj.store, _contract(service), ticket_id, action, note, actor(by))
    out.print(f"ticket {t.id}: {_label(t)}; next: {', '.join(allowed_actions(t.klass, t.state)) or '-'}")


@ticket.command("assign")
@click.argument("ticket_id", metavar="ID")
@click.argument("person")
@_by_option
@click.pass_obj
def assign_cmd(obj: Context, ticket_id: str, person: str, by: str | None) -> None:
    """Assign ticket ID to PERSON."""
    with _handled():
        t = assign(obj.store, ticket_id, person, actor(by))
    out.print(f"ticket {t.id} assigned to {escape(t.assignee or '')}")


@ticket.command("comment")
@click.argument("ticket_id", metavar="ID")
@click.argument("text")
@_by_option
@click.pass_obj
def comment_cmd(obj: Context, ticket_id: str, text: str, by: str | None) -> None:
    """Add a comment to ticket ID's timeline."""
    with _handled():
        t = comment(obj.store, ticket_id, text, actor(by))
    out.print(f"ticket {t.id}: comment added")


@ticket.command("record")
@click.argument("ticket_id", metavar="ID")
@click.option("--occurred-at", help="When the fault occurred.")
@click.option("--location", help="Where.")
@click.option("--reporter", help="Who reported it.")
@click.option("--description", help="What happened.")
@click.option("--cause", help="Cause (原因).")
@click.option("--prevention", help="Prevention (預防措施).")
@click.option("--fix", help="The fix explained to the user (解決方法).")
@_by_option
@click.pass_obj
def record_cmd(obj: Context, ticket_id: str, by: str | None, **fields: str | None) -> None:
    """Write ticket ID's fault record (required before a defect closes)."""
    with _handled():
        t = write_record(obj.store, ticket_id, fields, actor(by))
    missing = t.missing_record_fields
    out.print(f"ticket {t.id}: fault record " + (f"still lacks {', '.join(missing)}" if missing else "complete"))


@ticket.command("export")
@click.argument("ticket_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=CwdPath(dir_okay=False), help="File to write [default: stdout].")
@click.pass_obj
def export_cmd(obj: Context, ticket_id: str, fmt: str, output: str | None) -> None:
    """Export ticket ID's written fault record (書面文檔) with its timeline."""
    from patrol.report import write_atomic
    from patrol.tickets.record import record_json, record_markdown
    from patrol.tickets.repo import get_ticket, ticket_events_of, ticket_runs

    with _handled():
        with obj.store.read() as conn:
            t = get_ticket(conn, ticket_id)
        render = record_json if fmt == "json" else record_markdown
        text = render(t, ticket_events_of(obj.store, t.id), ticket_runs(obj.store, t.id))
    if output:
        write_atomic(Path(output), text)
        out.print(output)
    else:
        click.echo(text, nl=False)


# --- waivers, SLA, notifications ---------------------------------------------------------


@click.command("waive")
@click.option("--check", "check_id", required=True, help="The check id to waive.")
@click.option("--host", help="Only on this host.")
@click.option("--group", help="Only on hosts of this inventory group.")
@click.option("--until", required=True, help="Expiry: a date (until the end of that day, UTC) or ISO time.")
@click.option("--reason", required=True, help="Why the finding is accepted.")
@click.option("--approver", required=True, help="Who approved it.")
@_by_option
@click.pass_obj
def waive(obj: Context, check_id: str, host: str | None, group: str | None, until: str, reason: str, approver: str,
          by: str | None) -> None:  # fmt: skip
    """Waive a check for a host or a group until a date; waived findings stay visible as waived."""
    expiry = _until(until)
    with _handled():
        waiver, covered = grant_waiver(obj.store, check_id=check_id, until=expiry, reason=reason, approver=approver,
                                       actor=actor(by), host=host, group=group)  # fmt: skip
    out.print(f"waiver {waiver.id}: {check_id} on {waiver.scope} until {expiry:%Y-%m-%d %H:%M} UTC; "
              f"{len(covered)} open ticket(s) now waived")  # fmt: skip


@click.command("waivers")
@click.option("--all", "include_expired", is_flag=True, help="Include expired waivers.")
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
    for column in ("id", "check", "scope", "until (UTC)", "approver", "reason", "expired"):
        table.add_column(column, overflow="fold")
    for w in found:
        table.add_row(str(w.id), w.check_id, escape(w.scope), f"{w.until:%Y-%m-%d %H:%M}", escape(w.approver),
                      escape(w.reason), f"{w.expired_at:%Y-%m-%d %H:%M}" if w.expired_at else "")  # fmt: skip
    print_table(table, keys={"id", "check"})


@click.command("sla")
@click.option("--at", "at", help="Evaluate at this time (ISO, UTC, or +4h) [default: now].")
@_service_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def sla(obj: Context, at: str | None, service: str | None, as_json: bool) -> None:
    """SLA clocks, breaches and escalations due; escalates and notifies each breach once (run it from cron)."""
    from patrol.notify import deliver

    now = parse_time(at)
    with _handled():
        contract = _contract(service)
        expired = expire_waivers(obj.store, contract, now)
        report = check_sla(obj.store, contract, now)
        delivery = deliver(obj.store, contract.notify, now) if contract.notify else None
    if as_json:
        data = {"at": now.isoformat(), "escalated": [[t.id, c.clock, c.status] for t, c in report.escalated],
                "breached": [[t.id, c.clock] for t, c in report.breached],
                "warnings": [[t.id, c.clock] for t, c in report.warnings],
                "waivers_expired": [w.id for w, _ in expired],
                "delivery": vars(delivery) if delivery else None}  # fmt: skip
        out.print_json(json.dumps(data))
        return
    _print_sla(report, contract, now)
    for waiver, back in expired:
        scope = f"{waiver.check_id}, {escape(waiver.scope)}"
        out.print(f"waiver {waiver.id} ({scope}) expired: tickets {back} back in force")
    if delivery:
        out.print(f"notifications: {delivery.sent} sent, {delivery.retrying} to retry, {delivery.failed} failed")
        for error in delivery.errors:
            out.print(f"  [red]{escape(error)}[/]")


def _print_sla(report: Any, contract: ServiceContract, now: datetime) -> None:
    table = Table(title=f"SLA clocks at {now:%Y-%m-%d %H:%M} UTC ({escape(contract.source)})", title_justify="left")
    for column in ("ticket", "priority", "clock", "status", "deadline (UTC)", "remaining"):
        table.add_column(column)
    for t, c in report.clocks:
        remaining = f"{c.remaining.total_seconds() / 3600:+.1f}h" if c.remaining is not None else ""
        deadline = f"{c.deadline:%Y-%m-%d %H:%M}" if c.deadline else (c.target_release or "")
        style = CLOCK_STYLE.get(c.status) or "default"
        table.add_row(str(t.id), f"{t.priority.value} {t.priority.zh}", c.clock, f"[{style}]{c.status}[/]",
                      escape(deadline), remaining)  # fmt: skip
    print_table(table, keys={"ticket"})
    out.print(f"{len(report.breached)} breached, {len(report.warnings)} warning; "
              f"{len(report.escalated)} escalated now to {escape(contract.person_in_charge)} (上報)")  # fmt: skip
    for t, c in report.escalated:
        out.print(f"  escalated: ticket {t.id} {c.clock} clock {c.status}")


@click.command("notifications")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed"]), help="Only this state.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def notifications(obj: Context, state: str | None, as_json: bool) -> None:
    """The notification outbox: what was sent, what is retried, what failed and why."""
    from patrol.notify import outbox_rows

    with _handled():
        rows = outbox_rows(obj.store, state)
    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table(title=f"notifications: {len(rows)}", title_justify="left")
    for column in ("id", "created (UTC)", "target", "event", "ticket", "state", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for r in rows:
        error = escape(r["last_error"] or "")
        table.add_row(str(r["id"]), f"{r['created_at']:%Y-%m-%d %H:%M}", r["target"], r["event"],
                      str(r["ticket_id"] or ""), r["state"], str(r["attempts"]), error)  # fmt: skip
    print_table(table, keys={"id", "ticket"})


COMMANDS: list[click.Command] = [tickets_cmd, ticket, waive, waivers_cmd, sla, notifications]
