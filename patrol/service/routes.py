"""API routes under ``/api/v1``: runs, hosts, snapshots, findings, reports, tickets, baselines, schedules.

Shapes: a run is ``RunSummary`` JSON (``{"run_id", "status", "hosts_total", "hosts_inspected",
"coverage_percent", "findings_by_severity", ...}``), a host ``HostRow`` JSON, a finding ``Finding``
JSON, a ticket ``Ticket`` JSON, a schedule :meth:`patrol.service.schedules.Schedule.public`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as FastPath
from fastapi.responses import Response

from patrol import plugins
from patrol.errors import ConfigError, NotFoundError
from patrol.i18n import LANG_CHOICES
from patrol.service.deps import Limit, Operator, ScheduleBody, State, TransitionBody, Viewer
from patrol.store import Store
from patrol.tickets import ServiceContract
from patrol.tickets.waivers import mark_waived

__all__ = ["MEDIA_TYPES", "PERIOD_FORMATS", "RUN_FORMATS", "period_download", "report_download", "router"]

router = APIRouter()
TicketStatus = Literal["open", "waived", "all", "submitted", "analysing", "confirmed", "escalated", "replied",
                       "resolved", "closed"]  # fmt: skip
TicketId = Annotated[int, FastPath(ge=1, le=2**53)]
RUN_FORMATS = ("html", "md", "json", "junit", "xlsx")
PERIOD_FORMATS = ("html", "md", "xlsx")
RunFormat = Literal["html", "md", "json", "junit", "xlsx"]
PeriodFormat = Literal["html", "md", "xlsx"]
Lang = Literal["en", "zh", "zh-Hans", "zh-Hant"]
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "junit": "application/xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@router.get("/runs", tags=["runs"])
def runs(state: State, _: Viewer, limit: Limit = 20) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") | {"coverage_percent": s.coverage_percent} for s in state.store.list_runs(limit)]


@router.get("/runs/{run}", tags=["runs"])
def run(state: State, _: Viewer, run: str) -> dict[str, Any]:
    run_id = state.store.resolve_run(run)
    summary = state.store.run_summary(run_id)
    return summary.model_dump(mode="json") | {"coverage_percent": summary.coverage_percent}


@router.get("/runs/{run}/hosts", tags=["hosts"])
def run_hosts(state: State, _: Viewer, run: str) -> list[dict[str, Any]]:
    return [h.model_dump(mode="json") for h in state.store.host_results(state.store.resolve_run(run))]


@router.get("/runs/{run}/findings", tags=["findings"])
def run_findings(state: State, _: Viewer, run: str) -> list[dict[str, Any]]:
    summary = state.store.run_summary(state.store.resolve_run(run))
    found = mark_waived(state.store, summary, state.store.findings(summary.run_id))
    return [f.model_dump(mode="json") | {"waived": f.waived} for f in found]


@router.get("/runs/{run}/hosts/{host}/snapshot", tags=["snapshots"])
def snapshot(state: State, _: Viewer, run: str, host: str) -> dict[str, Any]:
    run_id = state.store.resolve_run(run)
    found = state.store.snapshot(run_id, host)
    if found is None:
        raise NotFoundError("snapshot", f"{run_id}/{host}", "the host was not inspected in this run")
    return found.model_dump(mode="json")


@router.get("/runs/{run}/report", tags=["reports"], response_class=Response)
def report(state: State, _: Viewer, run: str, format: RunFormat = "html", lang: Lang = "en") -> Response:
    """The run's report, rendered now, as a download (``patrol report RUN --format F --lang L``)."""
    return report_download(state.store, run, format, lang)


@router.get("/reports/period/{period}", tags=["reports"], response_class=Response)
def period_report(state: State, _: Viewer, period: str, format: PeriodFormat = "html", lang: Lang = "en") -> Response:
    """The monthly service report (``patrol report --period YYYY-MM --format F --lang L``) as a download."""
    return period_download(state.store, state.contract, period, format, lang)


def _download(name: str, body: str | bytes, fmt: str) -> Response:
    disposition = f'attachment; filename="{name}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})


def report_download(store: Store, run: str, format: str, lang: str) -> Response:
    """The run's report rendered now by the ``patrol.reports`` plugin (as ``patrol report``), as an attachment."""
    from patrol.report import build_report

    if format not in RUN_FORMATS or lang not in LANG_CHOICES:
        raise HTTPException(422, f"format is one of {', '.join(RUN_FORMATS)}; lang is one of {', '.join(LANG_CHOICES)}")
    run_id = store.resolve_run(run)
    body = plugins.load("patrol.reports", format)(build_report(store, run_id, lang=lang))
    return _download(f"report-{run_id}.{'xml' if format == 'junit' else format}", body, format)


def period_download(store: Store, contract: ServiceContract, period: str, format: str, lang: str) -> Response:
    """The monthly report of ``period`` rendered as ``patrol report --period`` does, as an attachment."""
    from patrol.history.delivery import render_for_delivery

    if format not in PERIOD_FORMATS or lang not in LANG_CHOICES:
        raise HTTPException(422, f"format is one of {', '.join(PERIOD_FORMATS)}; "
                                 f"lang is one of {', '.join(LANG_CHOICES)}")
    if not _PERIOD.match(period):
        raise HTTPException(422, f"period {period!r}: expected a month YYYY-MM, e.g. 2026-10")
    try:
        name, body = render_for_delivery(store, period=period, run=None, fmt=format, lang=lang, contract=contract)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    return _download(name, body, format)


@router.get("/hosts", tags=["hosts"])
def hosts(state: State, _: Viewer) -> list[dict[str, Any]]:
    """Every host of the latest run with its status."""
    listed = state.store.list_runs(1)
    return [h.model_dump(mode="json") for h in state.store.host_results(listed[0].run_id)] if listed else []


@router.get("/hosts/{host}/baselines", tags=["baselines"])
def baselines(state: State, _: Viewer, host: str) -> list[dict[str, Any]]:
    from patrol.drift.baselines import history

    return [b.summary() for b in history(state.store, host)]


@router.get("/tickets", tags=["tickets"])
def tickets(state: State, _: Viewer, status: TicketStatus = "open", host: str | None = None) -> list[dict[str, Any]]:
    from patrol.tickets import TicketFilter, list_tickets

    return [t.to_json() for t in list_tickets(state.store, TicketFilter(state=status, host=host))]


@router.get("/tickets/{ticket_id}", tags=["tickets"])
def ticket(state: State, _: Viewer, ticket_id: TicketId) -> dict[str, Any]:
    from patrol.tickets.repo import get_ticket

    with state.store.read() as conn:
        return get_ticket(conn, ticket_id).to_json()


@router.post("/tickets/{ticket_id}/transitions", tags=["tickets"])
def transition(state: State, who: Operator, ticket_id: TicketId, body: TransitionBody) -> dict[str, Any]:
    """Apply a workflow action through :func:`patrol.tickets.move` (the CLI's `ticket move`)."""
    from patrol.tickets import move

    moved = move(state.store, state.contract, str(ticket_id), body.action, body.note, actor=f"api:{who.name}")
    return moved.model_dump(mode="json")


@router.get("/schedules", tags=["schedules"])
def schedules(state: State, _: Viewer) -> list[dict[str, Any]]:
    from patrol.service.schedules import list_schedules

    return [s.public() for s in list_schedules(state.store)]


@router.post("/schedules", tags=["schedules"], status_code=201)
def add(state: State, _: Operator, body: ScheduleBody) -> dict[str, Any]:
    """A new schedule; ``inventory`` and ``profiles`` must lie under the server's configured roots
    (:mod:`patrol.service.roots`) and the vault secret is the server's own (``vault_password_file`` is refused)."""
    from patrol.paths import PROFILES_DIR
    from patrol.service.roots import check_api_schedule
    from patrol.service.schedules import ReportDelivery, Schedule, add_schedule

    if body.vault_password_file is not None:
        raise HTTPException(422, f"schedule {body.name!r}: vault_password_file is not accepted over the API: the "
                            "vault secret is the server's setting (patrol serve --vault-password-file, or "
                            "service.vault_password_file in patrol.yml)")  # fmt: skip
    profiles = body.profiles or [str(p) for p in state.settings.profile_roots[:1]] or [str(PROFILES_DIR)]
    inventory, confined = check_api_schedule(state.settings, body.name, body.inventory, profiles)
    s = Schedule(name=body.name, cron=body.cron, timezone=body.timezone, inventory=inventory, profiles=confined,
                 limit=body.limit, jitter=body.jitter, forks=body.forks, source="api",
                 report=ReportDelivery(body.report.format, body.report.lang,
                                       tuple(body.report.recipients), body.report.period))  # fmt: skip
    return add_schedule(state.store, s, contract=state.contract).public()


@router.post("/schedules/{name}/{action}", tags=["schedules"], status_code=202)
def schedule_action(state: State, _: Operator, name: str, action: str) -> dict[str, Any]:
    """``pause``, ``resume`` or ``run-now`` (started in the background; 409 while it runs)."""
    from patrol.service.schedules import get_schedule, set_paused

    if action not in ("pause", "resume", "run-now"):
        raise HTTPException(404, f"unknown action {action!r}: pause, resume or run-now")
    if action == "run-now":
        state.scheduler.run_now(get_schedule(state.store, name))
        return {"schedule": name, "started": True}
    return set_paused(state.store, name, action == "pause").public()


@router.delete("/schedules/{name}", tags=["schedules"], status_code=204, response_class=Response)
def remove(state: State, _: Operator, name: str) -> Response:
    from patrol.service.schedules import remove_schedule

    remove_schedule(state.store, name)
    return Response(status_code=204)
