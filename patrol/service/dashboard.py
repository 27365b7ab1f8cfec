"""The web dashboard of ``patrol serve`` under ``/ui``: server-rendered (jinja2, autoescaped), en/zh-Hans/zh-Hant.

Pages: ``/ui/login`` (paste an API token; the HttpOnly SameSite=Strict cookie — Secure over
HTTPS — holds a server-side session id, never the token: :mod:`patrol.service.sessions`; logout
ends the session),
``/ui/fleet`` (coverage of the latest run, a run in progress with its hosts done / total, hosts,
findings per run, compliance-over-time and opened-vs-resolved charts, run history with report
downloads in every ``patrol report`` format, monthly service reports), ``/ui/tickets`` (open
tickets ordered by SLA time left, breached in red, workflow buttons for operators; states,
priorities and actions translated), ``/ui/tickets/{id}`` (one ticket and its trail),
``/ui/hosts/{host}`` (latest snapshot, findings each linked to its ticket, drift and history,
drift against its baseline side by side, capacity chart, tickets, baselines),
``/ui/hosts/{host}/history[?check=ID]`` (the host's runs; with a check, its result in each).
Pages share the HTML report's stylesheet (``reports/templates/style.css.j2``, inline); tables
sort on a click of a column heading and filter as one types, charts name their axes, and
``<main>`` refreshes itself every few seconds (5 s while a run is in progress, pausable; the
choice is kept in the browser) — all vanilla script inline, no request leaves the server.
Downloads: ``/ui/runs/{run}/report?format=html|md|json|junit|xlsx`` and
``/ui/reports/period?period=YYYY-MM&format=html|md|xlsx`` (the API's renderers). Charts and
drift come from :mod:`patrol.service.views` (charts cached 60 s).
Device output is hostile input: every value goes through jinja2's autoescape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from patrol.errors import NotFoundError, PatrolError
from patrol.i18n import default_lang, is_zh, resolve
from patrol.models import RunStatus, utcnow
from patrol.paths import TEMPLATES_DIR
from patrol.redact import mask_markers
from patrol.service.dashtext import Tr, actions, words
from patrol.service.deps import ServiceState
from patrol.service.routes import PERIOD_FORMATS, RUN_FORMATS
from patrol.service.sessions import COOKIE, close_session, open_session, session_token
from patrol.service.tokens import TokenInfo, authenticate, role_allows
from patrol.service.views import (
    capacity_chart,
    chart_alts,
    check_history,
    finding_tickets,
    fleet_availability,
    fleet_charts,
    host_drift,  # fmt: skip
    run_progress,
    trend_chart,
)
from patrol.store.rows import PENDING

__all__ = ["REFRESH_RUNNING", "REFRESH_SECONDS", "router"]

#: seconds between two refreshes of a page's ``<main>``: while a run is in progress, else
REFRESH_RUNNING, REFRESH_SECONDS = 5, 30

router = APIRouter(include_in_schema=False)
_env = Environment(loader=FileSystemLoader([Path(__file__).parent / "templates", TEMPLATES_DIR]),
                   autoescape=select_autoescape(default=True, default_for_string=True))  # fmt: skip


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.patrol
    return state


def _accepted(header: str) -> str | None:
    """The first language of an ``Accept-Language`` header patrol speaks (``en``, ``zh*``), by weight."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = re.search(r"q=([0-9.]+)", params)
        ranked.append((-float(weight.group(1)) if weight else -1.0, i, tag.strip()))
    return next((tag for _, _, tag in sorted(ranked) if tag.lower().split("-")[0] in ("en", "zh")), None)


def _lang(request: Request) -> str:
    """``?lang=`` (``en``, ``zh``, ``zh-Hans``, ``zh-Hant``, ``zh_TW`` …), else the cookie a page set, else the
    browser's ``Accept-Language``, else the server's locale; canonical (:func:`patrol.i18n.resolve`)."""
    chosen = request.query_params.get("lang") or request.cookies.get("patrol_lang")
    chosen = chosen or _accepted(request.headers.get("accept-language", ""))
    return resolve(chosen) if chosen else default_lang()


def _who(request: Request) -> TokenInfo | None:
    session = request.cookies.get(COOKIE)
    return session_token(_state(request).store, session) if session else None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _page(request: Request, template: str, who: TokenInfo | None, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    context.setdefault("refresh", REFRESH_SECONDS if who else 0)
    html = _env.get_template(template).render(t=words(lang), action_names=actions(lang), lang=lang, who=who,
                                              zh=is_zh(lang), tr=Tr(lang), path=request.url.path,
                                              **context)  # fmt: skip
    response = HTMLResponse(html)
    response.set_cookie("patrol_lang", lang, httponly=True, samesite="strict", secure=_secure(request))
    return response


def _login_first() -> RedirectResponse:
    return RedirectResponse("/ui/login", status_code=303)


def _authed(view: Callable[[Request, TokenInfo], Any]) -> Callable[[Request], Any]:
    async def wrapper(request: Request) -> Any:
        who = await run_in_threadpool(_who, request)
        if who is None:
            return _login_first()
        return await run_in_threadpool(view, request, who)

    return wrapper


@router.get("/ui", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/ui/fleet", status_code=303)


@router.get("/ui/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _page(request, "login.html", None, error=None)


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body).items()}


@router.post("/ui/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    secret = (await _form(request)).get("token", "").strip()
    who = await run_in_threadpool(authenticate, _state(request).store, secret) if secret else None
    if who is None:
        page = _page(request, "login.html", None, error=words(_lang(request))["bad_token"])
        page.status_code = 401
        return page
    session = await run_in_threadpool(open_session, _state(request).store, who)
    response = RedirectResponse("/ui/tickets", status_code=303)
    response.set_cookie(COOKIE, session, httponly=True, samesite="strict", secure=_secure(request), path="/")
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> RedirectResponse:
    """End the session on the server (the cookie's id is refused from now on) and drop the cookie."""
    if session := request.cookies.get(COOKIE):
        await run_in_threadpool(close_session, _state(request).store, session)
    response = _login_first()
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=_secure(request), path="/")
    return response


def _fleet(request: Request, who: TokenInfo) -> HTMLResponse:
    store = _state(request).store
    runs = store.list_runs(30)
    hosts = store.host_results(runs[0].run_id) if runs else []
    counts: dict[str, int] = {}
    for f in store.findings(runs[0].run_id) if runs else []:
        counts[f.host] = counts.get(f.host, 0) + 1
    lang = _lang(request)
    charts = fleet_charts(store, _state(request).contract, lang)
    avail = fleet_availability(store, _state(request).contract)
    progress = run_progress(runs[0], hosts) if runs and runs[0].status is RunStatus.RUNNING else None
    return _page(request, "fleet.html", who, runs=runs, last=runs[0] if runs else None, hosts=hosts,
                 counts=counts, trend_chart=trend_chart(runs, words(lang), Tr(lang).value), charts=charts, avail=avail,
                 alts=chart_alts(lang),
                 periods=_periods(), run_formats=RUN_FORMATS, period_formats=PERIOD_FORMATS, progress=progress,
                 refresh=REFRESH_RUNNING if progress else REFRESH_SECONDS)  # fmt: skip


def _periods() -> list[str]:
    """This month and the previous one, newest first (``YYYY-MM``)."""
    now = utcnow()
    previous = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return [now.strftime("%Y-%m"), previous]


def _left(remaining: timedelta | None) -> float:
    return remaining.total_seconds() if remaining is not None else float("inf")


def _tickets(request: Request, who: TokenInfo) -> HTMLResponse:
    from patrol.tickets import TicketFilter, clocks, list_tickets
    from patrol.tickets.workflow import allowed_actions

    state, now = _state(request), utcnow()
    rows = []
    for ticket in list_tickets(state.store, TicketFilter(state="open")):
        states = [c for c in clocks(ticket, state.contract, now) if c.status in ("running", "warning", "breached")]
        soonest = min(states, key=lambda c: _left(c.remaining), default=None)
        rows.append((ticket, soonest, allowed_actions(ticket.klass, ticket.state)))
    rows.sort(key=lambda r: (_left(r[1].remaining) if r[1] else float("inf"), r[0].id))
    can_move = role_allows(who.role, "operator")
    error = request.query_params.get("error")
    return _page(request, "tickets.html", who, rows=rows, can_move=can_move, error=error)


def _host(request: Request, who: TokenInfo) -> HTMLResponse:
    from patrol.drift.baselines import history
    from patrol.tickets import TicketFilter, list_tickets

    store, host = _state(request).store, request.path_params["host"]
    seen = next(((r, h) for r in store.list_runs(50) for h in store.host_results(r.run_id)
                 if h.host == host and h.status != PENDING), None)  # fmt: skip
    if seen is None:
        return _page(request, "host.html", who, host=host, run=None, row=None, snapshot=None, findings=[],
                     tickets=[], baselines=[], drift=None, capacity=None)  # fmt: skip
    run, row = seen
    snapshot = store.snapshot(run.run_id, host)
    drift = host_drift(store, host, run.run_id) if snapshot is not None else None
    config = mask_markers(snapshot.config) if snapshot is not None and snapshot.config else None
    tickets = list_tickets(store, TicketFilter(state="all", host=host))
    findings = store.findings(run.run_id, host=host)
    return _page(request, "host.html", who, host=host, run=run, row=row, snapshot=snapshot, findings=findings,
                 ticket_of=finding_tickets(findings, tickets), tickets=tickets,
                 baselines=history(store, host, row.groups), drift=drift, config=config,
                 capacity=capacity_chart(store, host, _lang(request)))  # fmt: skip


router.add_api_route("/ui/fleet", _authed(_fleet), methods=["GET"], response_class=HTMLResponse)
router.add_api_route("/ui/tickets", _authed(_tickets), methods=["GET"], response_class=HTMLResponse)
router.add_api_route("/ui/hosts/{host}", _authed(_host), methods=["GET"], response_class=HTMLResponse)


def _ticket(request: Request, who: TokenInfo) -> HTMLResponse:
    from patrol.tickets.repo import get_ticket, ticket_events_of, ticket_runs
    from patrol.tickets.workflow import allowed_actions

    store, ref = _state(request).store, request.path_params["ticket_id"]
    try:
        with store.read() as conn:
            ticket = get_ticket(conn, ref)
    except NotFoundError:
        page = _page(request, "ticket.html", who, ticket=None, ref=ref, events=[], runs=[], actions=[])
        page.status_code = 404
        return page
    actions = allowed_actions(ticket.klass, ticket.state) if role_allows(who.role, "operator") else []
    return _page(request, "ticket.html", who, ticket=ticket, ref=ref, events=ticket_events_of(store, ticket.id),
                 runs=ticket_runs(store, ticket.id), actions=actions)  # fmt: skip


def _history(request: Request, who: TokenInfo) -> HTMLResponse:
    host, check = request.path_params["host"], request.query_params.get("check") or None
    rows = check_history(_state(request).store, host, check)
    return _page(request, "history.html", who, host=host, check=check, rows=rows)


router.add_api_route("/ui/tickets/{ticket_id}", _authed(_ticket), methods=["GET"], response_class=HTMLResponse)
router.add_api_route("/ui/hosts/{host}/history", _authed(_history), methods=["GET"], response_class=HTMLResponse)


def _report(request: Request, _: TokenInfo) -> Response:
    from patrol.service.routes import report_download

    q = request.query_params
    return report_download(_state(request).store, request.path_params["run"], q.get("format", "html"),
                           q.get("lang", "en"))  # fmt: skip


router.add_api_route("/ui/runs/{run}/report", _authed(_report), methods=["GET"])


def _period_report(request: Request, _: TokenInfo) -> Response:
    from patrol.service.routes import period_download

    q, state = request.query_params, _state(request)
    return period_download(state.store, state.contract, q.get("period", ""), q.get("format", "html"),
                           q.get("lang", "en"))  # fmt: skip


router.add_api_route("/ui/reports/period", _authed(_period_report), methods=["GET"])


@router.post("/ui/tickets/{ticket_id}/move")
async def move_ticket(request: Request, ticket_id: int) -> Response:
    """Form post of a workflow button: the same :func:`patrol.tickets.move` as the CLI and API."""
    from patrol.tickets import move

    who = await run_in_threadpool(_who, request)
    if who is None:
        return _login_first()
    if not role_allows(who.role, "operator"):
        return HTMLResponse(words(_lang(request))["forbidden"], status_code=403)
    form, state = await _form(request), _state(request)
    try:
        await run_in_threadpool(move, state.store, state.contract, str(ticket_id), form.get("action", ""),
                                form.get("note", ""), f"web:{who.name}")  # fmt: skip
    except PatrolError as exc:
        from urllib.parse import quote

        return RedirectResponse(f"/ui/tickets?error={quote(str(exc))}", status_code=303)
    return RedirectResponse("/ui/tickets", status_code=303)
