"""API writes beyond the ticket workflow, under ``/api/v1``: each calls the CLI's own domain function.

=====================================  =========  ==================================================
route                                  role       domain function (CLI command)
=====================================  =========  ==================================================
``POST /hosts/{host}/baselines``       approver   :func:`patrol.drift.baselines.approve_snapshot`
                                                  (``patrol baseline approve HOST --run R``)
``GET /waivers``                       viewer     :func:`patrol.tickets.list_waivers` (``patrol waivers``)
``POST /waivers``                      approver   :func:`patrol.tickets.grant_waiver` (``patrol waive``)
``GET /changes``, ``/changes/{id}``    viewer     :func:`patrol.remediate.list_changes` (``patrol changes``)
``POST /changes/{id}/approve``         approver   :func:`patrol.remediate.approve`
                                                  (``patrol remediate TICKET --approve --by``)
``POST /tickets``                      operator   :func:`patrol.tickets.open_ticket` (``patrol ticket new``)
``POST /tickets/{id}/assign``          operator   :func:`patrol.tickets.assign` (``patrol ticket assign``)
``POST /tickets/{id}/comments``        operator   :func:`patrol.tickets.comment` (``patrol ticket comment``)
=====================================  =========  ==================================================

The actor (baseline approver, waiver creator, change approver, ticket author) is
``api:<token name>``. A waiver's ``approver`` defaults to it. Approving a change records the
approval of the token's identity, never a name from the body: a body naming anyone
(``{"by": ...}``) is refused with 422. The change is applied (and re-inspected) only once the
remediation policy's approvers are complete, exactly as with the CLI: a plan that needs a
second approver waits in ``awaiting_approval`` (the requester cannot be one of them); the final
approval answers once the apply and its verification run are done. Of two final approvals at
the same moment exactly one applies; the other answers 409 naming who applies it since when.
Input the domain refuses answers 400 (an empty reason) or 409 (a waiver ending in the past, an
approval without a matching preview), unknown ids 404; nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as FastPath
from pydantic import BaseModel, ConfigDict, Field

from patrol.errors import ConfigError
from patrol.service.deps import Approver, Limit, Operator, State, Viewer
from patrol.service.tokens import TokenInfo

__all__ = ["ApproveBody", "AssignBody", "BaselineBody", "CommentBody", "DeskBody", "WaiverBody", "router"]

router = APIRouter()
TicketId = Annotated[int, FastPath(ge=1, le=2**53)]
Text = Annotated[str, Field(min_length=1, max_length=10000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class BaselineBody(BaseModel):
    """Promote the host's snapshot of ``run`` to its baseline (or ``as_group``'s)."""

    reason: Text = Field(description="why this state is approved (change ticket, review)")
    run: str = Field(default="latest", min_length=1, max_length=100, description="run id, prefix or 'latest'")
    as_group: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="make this host's snapshot the baseline of this group")  # fmt: skip


class WaiverBody(BaseModel):
    """Accept ``check_id`` for one host or one group until ``until`` (UTC when no offset is given)."""

    check_id: str = Field(min_length=1, max_length=200, description="dotted check id, e.g. net.telnet.disabled")
    until: datetime
    reason: Text
    host: str | None = Field(default=None, min_length=1, max_length=200)
    group: str | None = Field(default=None, min_length=1, max_length=200)
    approver: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="who approved it [default: api:<token name>]")  # fmt: skip


class DeskBody(BaseModel):
    """A problem reported to the service desk (``patrol ticket new``)."""

    klass: Literal["consultation", "defect"] = Field(alias="class")
    channel: Literal["hotline", "online", "remote", "email", "onsite", "phone", "training"]
    reporter: Name
    location: Name
    priority: Literal["critical", "urgent", "normal", "other"]
    description: Text
    answer: str | None = Field(default=None, min_length=1, max_length=10000,
                               description="closes a consultation on the spot")  # fmt: skip


class ApproveBody(BaseModel):
    """Nothing to say: the approver is the token's identity (``api:<token name>``), never a body field."""

    model_config = ConfigDict(extra="forbid")


class AssignBody(BaseModel):
    person: Name


class CommentBody(BaseModel):
    text: Text


def _actor(who: TokenInfo) -> str:
    return f"api:{who.name}"


@contextmanager
def _refused() -> Iterator[None]:
    """Input the domain refuses (ConfigError: an empty reason, a bad date) is a 400 naming the fix."""
    try:
        yield
    except ConfigError as exc:
        raise HTTPException(400, str(exc)) from exc


# -- baselines ------------------------------------------------------------------------------


@router.post("/hosts/{host}/baselines", tags=["baselines"], status_code=201)
def approve_baseline(state: State, who: Approver, host: str, body: BaselineBody) -> dict[str, Any]:
    """``patrol baseline approve HOST --run RUN --reason ...`` (:func:`approve_snapshot`)."""
    from patrol.drift.baselines import approve_snapshot

    run_id = state.store.resolve_run(body.run)
    with _refused():
        made = approve_snapshot(state.store, run_id=run_id, host=host, reason=body.reason,
                                approved_by=_actor(who), group=body.as_group)  # fmt: skip
    return made.summary()


# -- waivers --------------------------------------------------------------------------------


@router.get("/waivers", tags=["waivers"])
def waivers(state: State, _: Viewer, include_expired: bool = False) -> list[dict[str, Any]]:
    from patrol.tickets import list_waivers

    return [w.model_dump(mode="json") for w in list_waivers(state.store, include_expired)]


@router.post("/waivers", tags=["waivers"], status_code=201)
def grant(state: State, who: Approver, body: WaiverBody) -> dict[str, Any]:
    """``patrol waive`` (:func:`patrol.tickets.grant_waiver`); returns the waiver and the tickets it covers."""
    from patrol.tickets import grant_waiver

    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=UTC)
    with _refused():
        waiver, covered = grant_waiver(state.store, check_id=body.check_id, until=until.astimezone(UTC),
                                       reason=body.reason, approver=body.approver or _actor(who), actor=_actor(who),
                                       host=body.host, group=body.group)  # fmt: skip
    return {"waiver": waiver.model_dump(mode="json"), "covered_tickets": covered}


# -- remediation approvals ------------------------------------------------------------------


@router.get("/changes", tags=["remediation"])
def changes(state: State, _: Viewer, host: str | None = None, limit: Limit = 50) -> list[dict[str, Any]]:
    """The change log, newest first (``patrol changes``): previews waiting for approval and applied ones."""
    from patrol.remediate import list_changes

    return [c.model_dump(mode="json") for c in list_changes(state.store, host, limit)]


@router.get("/changes/{change_id}", tags=["remediation"])
def change(state: State, _: Viewer, change_id: str) -> dict[str, Any]:
    from patrol.remediate import get_change

    return get_change(state.store, change_id).model_dump(mode="json")


@router.post("/changes/{change_id}/approve", tags=["remediation"])
def approve_change(state: State, who: Approver, change_id: str, body: ApproveBody | None = None) -> dict[str, Any]:
    """Approve a previewed change as the token's identity (``patrol remediate --approve``): applied once
    its approvers are complete. The body, if any, must be empty: it cannot name the approver."""
    from patrol.remediate import Policy, approve, get_change
    from patrol.remediate.tickets import TicketLink

    found = get_change(state.store, change_id)  # 404; a change not awaiting approval: 409 from approve()
    with _refused():
        policy = Policy.from_env()
    done = approve(state.settings, state.store, found.plan, _actor(who), policy, hooks=[TicketLink(_actor(who))],
                   change_id=found.id)  # fmt: skip
    return done.model_dump(mode="json")


# -- the service desk -----------------------------------------------------------------------


@router.post("/tickets", tags=["tickets"], status_code=201)
def open_desk_ticket(state: State, who: Operator, body: DeskBody) -> dict[str, Any]:
    """``patrol ticket new`` (:func:`patrol.tickets.open_ticket`)."""
    from patrol.models import Severity
    from patrol.tickets import Channel, DeskRequest, TicketClass, open_ticket

    request = DeskRequest(TicketClass(body.klass), Channel(body.channel), body.reporter, body.location,
                          Severity(body.priority), body.description, body.answer)  # fmt: skip
    return open_ticket(state.store, state.contract, request, _actor(who)).model_dump(mode="json")


@router.post("/tickets/{ticket_id}/assign", tags=["tickets"])
def assign_ticket(state: State, who: Operator, ticket_id: TicketId, body: AssignBody) -> dict[str, Any]:
    """``patrol ticket assign ID PERSON``."""
    from patrol.tickets import assign

    return assign(state.store, str(ticket_id), body.person, _actor(who)).model_dump(mode="json")


@router.post("/tickets/{ticket_id}/comments", tags=["tickets"], status_code=201)
def comment_ticket(state: State, who: Operator, ticket_id: TicketId, body: CommentBody) -> dict[str, Any]:
    """``patrol ticket comment ID TEXT``."""
    from patrol.tickets import comment

    return comment(state.store, str(ticket_id), body.text, _actor(who)).model_dump(mode="json")
