"""Service-desk commands: ``tickets``, ``ticket ...``, ``waive``, ``waivers``, ``sla``, ``notifications``.

Mutating commands take ``--by NAME`` (default ``$PATROL_USER`` or the login name): it is the
"who" of the audit trail. ``--service PATH`` (or ``$PATROL_SERVICE``) names the contract file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
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
from patrol.cli.dates import when
from patrol.cli.known import require_host
from patrol.cli.langopt import lang_option
from patrol.cli.pathtypes import CwdPath
from patrol.cli.words import cli_words
from patrol.i18n import is_zh, zh_text
from patrol.i18n.messages import EVENT_ZH, event_note, finding_message
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
    clocks,
    comment,
    list_tickets,
    list_waivers,
    load_contract,
    move,
    open_ticket,
    write_record,
)
from patrol.tickets.contract import ServiceContract
from patrol.tickets.sla import time_left
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



def parse_time(value: str | None, option: str = "--at") -> datetime:
    """``None``/``now`` -> now; else any form of :mod:`patrol.cli.dates` (``+4h``, a date, a time)."""
    if value is None:
        return utcnow()
    return when(option, value).at


def _contract(service: str | None) -> ServiceContract:
    return load_contract(service)


def _service_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    text = "Service contract YAML [env PATROL_SERVICE; default inspect/service.yml]."
    return click.option("--service", type=CwdPath(dir_okay=False), help=text)(fn)


def _lang_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lang_option("Language of the `patrol tickets` table and of ticket titles")(fn)


def _by_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--by", help="Who makes the change (audit trail) [env PATROL_USER; default login name].")(fn)


def _label(ticket: Ticket, lang: str = "en") -> str:
    W = cli_words(lang)
    waived = f" [magenta]{W['waived']}[/]" if ticket.waiver_id is not None and ticket.active else ""
    return (zh_text(ticket.state.zh, lang) if is_zh(lang) else f"{ticket.state.value} {ticket.state.zh}") + waived


def _filter_name(state: str, lang: str) -> str:
    """A ``--state`` filter (``open``, ``all``, a ticket state) in ``lang``."""
    if not is_zh(lang) or state not in STATES:
        return state
    return cli_words(lang).get(f"filter.{state}") or zh_text(TicketState(state).zh, lang)


def _bilingual(value: str, zh: str, lang: str) -> str:
    """``critical 特急`` in English, ``特急`` (in the reader's script) in Chinese."""
    return zh_text(zh, lang) if is_zh(lang) else f"{value} {zh}"


def _worst_clock(states: list[ClockState]) -> ClockState:
    order = ["breached", "late", "warning", "running", "release", "waived", "met"]
    return min(states, key=lambda c: order.index(c.status))


def _clock_text(state: ClockState, now: datetime, lang: str = "en") -> str:
    style, W = CLOCK_STYLE.get(state.status, ""), cli_words(lang)
    status = W.get(f"status.{state.status}", state.status)
    if state.status == "release":
        return f"[{style}]{W['release'].format(release=escape(state.target_release or ''))}[/]"
    if state.deadline is None or state.remaining is None:
        return f"[{style}]{status}[/]" if style else status
    left = zh_text(time_left(state.remaining, zh=is_zh(lang)), lang)
    text = W["clock"].format(clock=W.get(f"clock.{state.clock}", state.clock), status=status, left=left)
    return f"[{style}]{text}[/]" if style else text


# --- patrol tickets ----------------------------------------------------------------------


def _ticket_json(ticket: Ticket, contract: ServiceContract, now: datetime) -> dict[str, Any]:
    data = ticket.to_json()
    data["waived"] = ticket.waiver_id is not None and ticket.active
    data["clocks"] = [{"clock": c.clock, "status": c.status, "deadline": c.deadline.isoformat() if c.deadline else None,
                       "target_release": c.target_release} for c in clocks(ticket, contract, now)]  # fmt: skip
    return data


@click.command("tickets")
@click.option("--state", default="open", show_default=True, type=click.Choice(STATES), help="Which tickets.")
@click.option("-p", "--priority", multiple=True, type=click.Choice(SEVERITIES), help="Only these priorities.")
@click.option("--class", "klass", type=click.Choice([c.value for c in TicketClass]), help="Only this class.")
@click.option("--host", help="Only this host.")
@click.option("--at", "at", help="Show SLA clocks as at this time (a date, a time, +4h; read only) [default: now].")
@_service_option
@_lang_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def tickets_cmd(obj: Context, state: str, priority: tuple[str, ...], klass: str | None, host: str | None,
                at: str | None, service: str | None, lang: str, as_json: bool) -> None:  # fmt: skip
    """Tickets, worst priority first (default: the open ones)."""
    with _handled():
        contract, now = _contract(service), parse_time(at)
        require_host(obj.store, host)
        found = list_tickets(obj.store, TicketFilter(state, [Severity(p) for p in priority], klass, host))
    if state == "breached":
        found = [t for t in found if any(c.status == "breached" for c in clocks(t, contract, now))]
    if as_json:
        out.print_json(json.dumps([_ticket_json(t, contract, now) for t in found]))
        return
    W = cli_words(lang)
    as_at = W["as_at"].format(at=when("--at", at).text) if at else ""
    title = W["tickets_title"].format(state=_filter_name(state, lang), as_at=as_at, n=len(found))
    table = Table(title=title, title_justify="left")
    for column in ("id", "priority", "state", "class", "host", "location", "title", "seen", "sla", "assignee"):
        table.add_column(W[column], overflow="fold")
    for t in found:
        table.add_row(
            str(t.id), f"[{SEVERITY_STYLE[t.priority.value]}]{_bilingual(t.priority.value, t.priority.zh, lang)}[/]",
            _label(t, lang), _bilingual(t.klass.value, t.klass.zh, lang), escape(t.host or ""),
            escape("" if t.host else t.location), escape(t.title_in(lang)),
            W["times"].format(n=t.occurrences) + (W["reopened_times"].format(n=t.recurrence) if t.recurrence else ""),
            _clock_text(_worst_clock(clocks(t, contract, now)), now, lang), escape(t.assignee or ""),
        )  # fmt: skip
    print_table(table, keys={W["id"], W["host"]})


# --- patrol ticket ... -------------------------------------------------------------------


@click.group("ticket")
def ticket() -> None:
    """One ticket: show, new, move, assign, comment, record, export."""


@ticket.command("show")
@click.argument("ticket_id", metavar="ID")
@_service_option
@click.option("--at", "at", help="Show SLA clocks as at this time (a date, a time, +4h; read only) [default: now].")
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
    W = cli_words(lang)
    timeline = Table(title=W["t.timeline"], title_justify="left")
    for column in ("t.when", "t.who", "t.what", "t.moved", "t.why", "t.run"):
        timeline.add_column(W[column], overflow="fold")
    for e in events:
        moved = f"{_state_name(e.from_state, lang)} → {_state_name(e.to_state, lang)}" if e.to_state else ""
        what = zh_text(EVENT_ZH.get(e.action, e.action), lang) if is_zh(lang) else e.action
        timeline.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", escape(e.actor), what, moved, escape(event_note(e.note, lang)),
                         e.run_id or "")  # fmt: skip
    print_table(timeline, keys={W["t.run"]})
    if runs:
        out.print(W["t.seen_in"].format(n=len(runs), runs=", ".join(r for r, _ in runs)))


def _state_name(state: str | None, lang: str) -> str:
    """A ticket state (``analysing``) in ``lang``; none is ``""``."""
    if not state or not is_zh(lang) or state not in TicketState.__members__.values():
        return state or ""
    return zh_text(TicketState(state).zh, lang)


def _scope_name(scope: str, lang: str) -> str:
    """A waiver's scope (``host core-sw1``, ``group core``, ``all hosts``) in ``lang``."""
    if not is_zh(lang):
        return scope
    kind, _, name = scope.partition(" ")
    return zh_text("所有設備" if scope == "all hosts" else f"{'設備' if kind == 'host' else '組'} {name}", lang)


def _word(W: dict[str, str], kind: str, value: str) -> str:
    """``source.desk``, ``action.close`` …: the Chinese word when there is one, else the value."""
    return W.get(f"{kind}.{value}", value)


def _record_line(t: Ticket, W: dict[str, str], lang: str) -> str:
    written = dict(t.written_record)
    if is_zh(lang) and t.source.value == "inspection":  # "host: title (title in Chinese)", "patrol run ID"
        written["description"] = f"{t.host}: {t.title_in(lang)}" if t.host else t.title_in(lang)
        written["reporter"] = re.sub(r"^(\S+) run (\S+)$", lambda m: zh_text(f"{m[1]} 巡檢 {m[2]}", lang),
                                     written.get("reporter", ""))  # fmt: skip
    if is_zh(lang) and written.get("channel"):
        written["channel"] = zh_text(Channel(written["channel"]).zh, lang)
    record = W["t.list"].join(f"{_word(W, 'record', k)}={escape(v)}" for k, v in written.items() if v)
    missing = t.missing_record_fields if t.klass is TicketClass.DEFECT else []
    kind = W["t.consultation_record" if t.klass is TicketClass.CONSULTATION else "t.fault_record"]
    fields = W["t.list"].join(_word(W, "record", m) for m in missing)
    return f"  {kind} {record}" + (W["t.missing"].format(fields=fields) if missing else "")


def _print_ticket(t: Ticket, contract: ServiceContract, now: datetime, waiver: Any, lang: str) -> None:
    W, sep, zh = cli_words(lang), cli_words(lang)["t.sep"], is_zh(lang)
    out.print(f"[bold]{W['t.ticket'].format(id=t.id)}[/] {escape(t.title_in(lang))}")
    out.print(f"  {W['t.class']} {_bilingual(t.klass.value, t.klass.zh, lang)}{sep}{W['t.priority']} "
              f"[{SEVERITY_STYLE[t.priority.value]}]{_bilingual(t.priority.value, t.priority.zh, lang)}[/]{sep}"
              f"{W['t.state']} {_label(t, lang)}{sep}{W['t.source']} {_word(W, 'source', t.source.value)}")  # fmt: skip
    if t.host:
        out.print(f"  {W['t.host']} {escape(t.host)}{sep}{W['t.check']} {t.check_id}{sep}{W['t.object']} "
                  f"{escape(t.object or '-')}{sep}{W['t.seen'].format(n=t.occurrences)}{sep}"
                  f"{W['t.recurrence'].format(n=t.recurrence)}")  # fmt: skip
    if t.channel:
        channel = zh_text(t.channel.zh, lang) if zh else f"{t.channel.value} {t.channel.zh}"
        out.print(f"  {W['t.channel']} {channel}{sep}{W['t.reporter']} {escape(t.reporter)}{sep}"
                  f"{W['t.location']} {escape(t.location)}")  # fmt: skip
    if t.message:
        out.print(f"  {W['t.finding']} {escape(finding_message(t.message, lang))}")
    out.print(f"  {W['t.assignee']} {escape(t.assignee or '-')}{sep}"
              f"{W['t.escalated_to']} {escape(t.escalated_to or '-')}"
              + (f"{sep}{W['t.release']} {escape(t.release)}" if t.release else ""))  # fmt: skip
    if waiver is not None:
        text = W["t.waived"].format(id=waiver.id, scope=escape(_scope_name(waiver.scope, lang)),
                                    until=f"{waiver.until:%Y-%m-%d}", approver=escape(waiver.approver),
                                    reason=escape(waiver.reason))  # fmt: skip
        out.print(f"  [magenta]{text}[/]")
    for c in clocks(t, contract, now):
        deadline = W["t.deadline"].format(at=f"{c.deadline:%Y-%m-%d %H:%M}") if c.deadline else ""
        out.print("  " + W["t.sla"].format(clock=_word(W, "clock", c.clock), text=_clock_text(c, now, lang),
                                           deadline=deadline))  # fmt: skip
    out.print(_record_line(t, W, lang))
    if t.active:
        actions = W["t.list"].join(_word(W, "action", a) for a in allowed_actions(t.klass, t.state))
        out.print("  " + W["t.next"].format(actions=actions or "-"))


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
@lang_option("Language of the Markdown record")
@click.pass_obj
def export_cmd(obj: Context, ticket_id: str, fmt: str, output: str | None, lang: str) -> None:
    """Export ticket ID's written fault record (書面文檔) with its timeline."""
    from patrol.report import write_atomic
    from patrol.tickets.record import record_json, record_markdown
    from patrol.tickets.repo import get_ticket, ticket_events_of, ticket_runs

    with _handled():
        with obj.store.read() as conn:
            t = get_ticket(conn, ticket_id)
        events, runs = ticket_events_of(obj.store, t.id), ticket_runs(obj.store, t.id)
        text = record_json(t, events, runs) if fmt == "json" else record_markdown(t, events, runs, lang)
    if output:
        write_atomic(Path(output), text)
        out.print(output)
    else:
        click.echo(text, nl=False)


COMMANDS: list[click.Command] = [tickets_cmd, ticket]
