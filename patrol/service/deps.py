"""What the API's routes depend on: the service state, the role checks and the request bodies.

``State`` (the :class:`ServiceState` of the running app), ``Viewer`` / ``Operator`` /
``Approver`` (the request's bearer token with at least that role: 401 without a valid one, 403
when its role is too low), ``Limit`` (a list length, 1..1000) and the bodies of the ticket
transition and schedule writes. :mod:`patrol.service.api` builds the app from the routers of
:mod:`~patrol.service.routes`, :mod:`~patrol.service.writes` and :mod:`~patrol.service.dashboard`,
which import these from here, never from the app module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from patrol.config import Settings
from patrol.service.scheduler import Scheduler
from patrol.service.tokens import TokenInfo, authenticate, role_allows
from patrol.store import Store
from patrol.tickets import ServiceContract

__all__ = [
    "Approver",
    "Limit",
    "Operator",
    "ReportBody",
    "ScheduleBody",
    "ServiceState",
    "State",
    "TransitionBody",
    "Viewer",
    "bearer",
    "state_of",
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
    lang: str = Field(default="en", pattern="^(en|zh)$")
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


def bearer(authorization: str | None) -> str:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPException(401, "missing token: send 'Authorization: Bearer <token>' (`patrol token add`)",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    return value.strip()


def _role(needed: str) -> Callable[..., TokenInfo]:
    def check(request: Request, authorization: Annotated[str | None, Header()] = None) -> TokenInfo:
        state: ServiceState = request.app.state.patrol
        info = authenticate(state.store, bearer(authorization))
        if info is None:
            raise HTTPException(401, "unknown, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})
        if not role_allows(info.role, needed):
            raise HTTPException(403, f"token {info.name!r} has role {info.role!r}; this needs {needed!r} or higher")
        return info

    return check


Viewer = Annotated[TokenInfo, Depends(_role("viewer"))]
Operator = Annotated[TokenInfo, Depends(_role("operator"))]
Approver = Annotated[TokenInfo, Depends(_role("approver"))]


def state_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.patrol
    return state


State = Annotated[ServiceState, Depends(state_of)]
Limit = Annotated[int, Query(ge=1, le=1000)]
