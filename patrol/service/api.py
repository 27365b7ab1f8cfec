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

The routes' dependencies (state, role checks) and request bodies are in :mod:`patrol.service.deps`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from patrol import __version__
from patrol.errors import ConfigError, NotFoundError, PatrolError
from patrol.remediate.errors import RemediationError
from patrol.service.deps import ServiceState, Viewer, bearer
from patrol.service.errors import LeaseHeld
from patrol.service.limits import BodyLimit
from patrol.service.sessions import COOKIE, session_token
from patrol.service.tokens import authenticate
from patrol.tickets import TicketError

__all__ = ["create_app"]


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
    if authenticate(state.store, bearer(authorization)) is None:
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
