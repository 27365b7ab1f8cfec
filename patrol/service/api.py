"""The REST API of ``patrol serve`` (FastAPI; OpenAPI at ``/openapi.json``, docs at ``/docs`` and ``/redoc``).

Every request but ``/healthz`` carries ``Authorization: Bearer <token>`` (``patrol token add``);
an expired or revoked token is refused like an unknown one. ``/docs``, ``/redoc`` and
``/openapi.json`` need a valid token too (or a dashboard session cookie, for a browser) unless
the server runs with ``--public-docs``. Request bodies are at most 1 MiB (413 beyond,
:mod:`patrol.service.limits`).
Reads need ``viewer``; desk tickets (new, move, assign, comment), schedule changes and run-now
need ``operator``; baseline approval, waivers and remediation approval need ``approver``
(approver > operator > viewer). Writes go through the same domain functions as the CLI
(:mod:`patrol.tickets`, :mod:`patrol.drift.baselines`, :func:`patrol.remediate.approve`,
:mod:`patrol.service.schedules`, :func:`patrol.service.scheduler.run_schedule`) and record the
actor as ``api:<token name>``.

Errors are JSON ``{"detail": "<what is wrong and how to fix it>"}``: 401 no/unknown/expired/revoked token,
403 role too low, 404 unknown object, 400 input the domain refuses (an empty reason),
409 refused operation (transition, waiver date in the past, approval without a preview,
schedule already running), 422 invalid input (bad cron, time zone, malformed or invalid body).
A refused write changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from patrol import __version__
from patrol.config import Settings
from patrol.errors import ConfigError, NotFoundError, PatrolError
from patrol.remediate.errors import RemediationError
from patrol.service.errors import LeaseHeld
from patrol.service.limits import BodyLimit
from patrol.service.scheduler import Scheduler
from patrol.service.sessions import COOKIE, session_token
from patrol.service.tokens import TokenInfo, authenticate, role_allows
from patrol.store import Store
from patrol.tickets import ServiceContract, TicketError

__all__ = [
    "Approver",
    "Limit",
    "Operator",
    "ScheduleBody",
    "ServiceState",
    "State",
    "TransitionBody",
    "Viewer",
    "create_app",
]


@dataclass
class ServiceState:
    """What the API works on: settings, the store, the contract and the running scheduler."""

    settings: Settings
    store: Store
    contract: ServiceContract
    scheduler: Scheduler
    public_docs: bool = False


class TransitionBody(BaseModel):
    action: str = Field(description="analyse | confirm | escalate | reply | resolve | close", max_length=32)
    note: str = Field(default="", max_length=10000)


class ReportBody(BaseModel):
    format: str = Field(default="html", pattern="^(html|md|json|junit|xlsx)$",
                        description="run report: html, md, json, junit, xlsx; monthly: html, md, xlsx")  # fmt: skip
    lang: str = Field(default="en", pattern="^(en|zh|zh-Hans|zh-Hant)$")
    recipients: list[str] = Field(default_factory=list, max_length=100,
                                  description="names of notify targets in the service file")  # fmt: skip
    period: str | None = Field(default=None, pattern="^monthly$",
                               description="'monthly': a report-only schedule (last month's report)")  # fmt: skip


PathText = Annotated[str, Field(min_length=1, max_length=1000)]


class ScheduleBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    cron: str = Field(min_length=1, max_length=200)
    inventory: list[PathText] = Field(default_factory=list, max_length=20,
                                      description="required unless report.period is set")  # fmt: skip
    timezone: str = Field(default="UTC", max_length=64)
    profiles: list[PathText] = Field(default_factory=list, max_length=20)
    limit: str | None = Field(default=None, max_length=500)
    jitter: int = Field(default=0, ge=0, le=3600)
    forks: int | None = Field(default=None, ge=1, le=1000)
    vault_password_file: str | None = Field(
        default=None, max_length=1000, description="refused (422): the vault secret is the server's"
    )
    report: ReportBody = Field(default_factory=ReportBody)


def _bearer(authorization: str | None) -> str:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPException(401, "missing token: send 'Authorization: Bearer <token>' (`patrol token add`)",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    return value.strip()


def _role(needed: str) -> Callable[..., TokenInfo]:
    def check(request: Request, authorization: Annotated[str | None, Header()] = None) -> TokenInfo:
        state: ServiceState = request.app.state.patrol
        info = authenticate(state.store, _bearer(authorization))
        if info is None:
            raise HTTPException(401, "unknown, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})
        if not role_allows(info.role, needed):
            raise HTTPException(403, f"token {info.name!r} has role {info.role!r}; this needs {needed!r} or higher")
        return info

    return check


Viewer = Annotated[TokenInfo, Depends(_role("viewer"))]
Operator = Annotated[TokenInfo, Depends(_role("operator"))]
Approver = Annotated[TokenInfo, Depends(_role("approver"))]


def _errors(app: FastAPI) -> None:
    def handler(status: int) -> Callable[[Request, Exception], Any]:
        def respond(_: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        return respond

    for exc_type, status in ((NotFoundError, 404), (ConfigError, 422), (TicketError, 409), (LeaseHeld, 409),
                             (RemediationError, 409), (PatrolError, 500)):  # fmt: skip
        app.add_exception_handler(exc_type, handler(status))


def _docs_reader(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """A valid token (any role) or a dashboard session may read the API's documentation."""
    state: ServiceState = request.app.state.patrol
    if state.public_docs:
        return
    session = request.cookies.get(COOKIE)
    if session and session_token(state.store, session) is not None:
        return
    if authenticate(state.store, _bearer(authorization)) is None:
        raise HTTPException(401, "unknown, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})


def _docs(app: FastAPI) -> None:
    """``/openapi.json``, ``/docs`` and ``/redoc`` behind :func:`_docs_reader`."""
    guard = [Depends(_docs_reader)]

    @app.get("/openapi.json", include_in_schema=False, dependencies=guard)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=guard)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="patrol API")

    @app.get("/redoc", include_in_schema=False, dependencies=guard)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="patrol API")


def create_app(state: ServiceState) -> FastAPI:
    """The FastAPI application bound to ``state``."""
    from patrol.service import dashboard, routes, writes

    app = FastAPI(title="patrol", version=__version__, description=__doc__, openapi_url=None, docs_url=None,
                  redoc_url=None)  # fmt: skip
    app.state.patrol = state
    app.add_middleware(BodyLimit)
    _errors(app)
    _docs(app)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse)
    def metrics(_: Viewer) -> PlainTextResponse:
        from patrol.service.metrics import render_metrics

        return PlainTextResponse(render_metrics(state.store, state.contract), media_type="text/plain; version=0.0.4")

    app.include_router(routes.router, prefix="/api/v1")
    app.include_router(writes.router, prefix="/api/v1")
    app.include_router(dashboard.router)
    return app


def state_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.patrol
    return state


State = Annotated[ServiceState, Depends(state_of)]
Limit = Annotated[int, Query(ge=1, le=1000)]
