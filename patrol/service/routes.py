"""API routes under ``/api/v1``: runs, hosts, snapshots, findings, reports, tickets, baselines, schedules.

Shapes: a run is ``RunSummary`` JSON (``{"run_id", "status", "hosts_total", "hosts_inspected",
"coverage_percent", "findings_by_severity", ...}``), a host ``HostRow`` JSON, a finding ``Finding``
JSON, a ticket ``Ticket`` JSON, a schedule :meth:`patrol.service.schedules.Schedule.public`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as FastPath
from fastapi.responses import Response

from patrol import plugins
from patrol.errors import NotFoundError
from patrol.service.api import Limit, Operator, ScheduleBody, State, TransitionBody, Viewer
from patrol.store import Store

__all__ = ["report_download", "router"]

router = APIRouter()
TicketStatus = Literal["open", "waived", "all", "submitted", "analysing", "confirmed", "escalated", "replied",
                       "resolved", "closed"]  # fmt: skip
TicketId = Annotated[int, FastPath(ge=1, le=2**53)]


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
    return [f.model_dump(mode="json") for f in state.store.findings(state.store.resolve_run(run))]


@router.get("/runs/{run}/hosts/{host}/snapshot", tags=["snapshots"])
def snapshot(state: State, _: Viewer, run: str, host: str) -> dict[str, Any]:
    run_id = state.store.resolve_run(run)
    found = state.store.snapshot(run_id, host)
    if found is None:
        raise NotFoundError("snapshot", f"{run_id}/{host}", "the host was not inspected in this run")
    return found.model_dump(mode="json")


@router.get("/runs/{run}/report", tags=["reports"], response_class=Response)
def report(state: State, _: Viewer, run: str, format: str = "html", lang: str = "en") -> Response:
    return report_download(state.store, run, format, lang)


def report_download(store: Store, run: str, format: str, lang: str) -> Response:
    """The run's report rendered now by the ``patrol.reports`` plugin, as an attachment."""
    from patrol.report import build_report

    if format not in ("html", "json") or lang not in ("en", "zh"):
        raise HTTPException(422, "format is 'html' or 'json', lang is 'en' or 'zh'")
    run_id = store.resolve_run(run)
    body = plugins.load("patrol.reports", format)(build_report(store, run_id, lang=lang))
    media = "text/html; charset=utf-8" if format == "html" else "application/json"
    disposition = f'attachment; filename="report-{run_id}.{format}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


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

    return [t.model_dump(mode="json") for t in list_tickets(state.store, TicketFilter(state=status, host=host))]


@router.get("/tickets/{ticket_id}", tags=["tickets"])
def ticket(state: State, _: Viewer, ticket_id: TicketId) -> dict[str, Any]:
    from patrol.tickets.repo import get_ticket

    with state.store.read() as conn:
        return get_ticket(conn, ticket_id).model_dump(mode="json")


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
    from patrol.paths import PROFILES_DIR
    from patrol.service.schedules import ReportDelivery, Schedule, add_schedule

    s = Schedule(name=body.name, cron=body.cron, timezone=body.timezone, inventory=tuple(body.inventory),
                 profiles=tuple(body.profiles) or (str(PROFILES_DIR),), limit=body.limit, jitter=body.jitter,
                 forks=body.forks, vault_password_file=body.vault_password_file,
                 report=ReportDelivery(body.report.format, body.report.lang,
                                       tuple(body.report.recipients)))  # fmt: skip
    for path in (*s.inventory, *([s.vault_password_file] if s.vault_password_file is not None else [])):
        if not _exists(path):
            raise HTTPException(422, f"schedule {s.name!r}: no such file or directory {path!r} on the server")
    return add_schedule(state.store, s).public()


def _exists(path: str) -> bool:
    try:
        return bool(path.strip()) and Path(path).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


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
