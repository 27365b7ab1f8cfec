"""Typed data of the remediation stage: a plan, a change and its per-host results.

A :class:`Plan` is what a preview and an apply must agree on (``digest``)::

    Plan(playbook="/srv/patrol/playbooks/remediate/ntp_servers.yml", playbook_sha="3f1c…",
         vars={"ntp_servers": ["192.0.2.123", "192.0.2.124"]}, hosts=("core-sw1",),
         inventory=("/srv/patrol/inventory/lab",), vault_password_file=None,
         profiles=("/srv/patrol/inspect",), source="finding", fingerprint="4be1…",
         check_ids=("net.ntp.servers",), severity="normal", ticket_id=None)

A :class:`Change` is one plan's life in the change log: previewed -> approved (by one or two
people) -> applying (one process, backups stored first) -> applied | failed | interrupted (the
applying process died) -> verified or not -> maybe rolled back::

    {"id": "chg-20261126-020003-9f3a", "status": "applied", "playbook": "…/ntp_servers.yml",
     "hosts": ["core-sw1"], "approvals": [{"approver": "alice", "at": "…"}],
     "preview": {"core-sw1": {"changed": true, "diff": "--- before\\n+++ after\\n…", "failed": false}},
     "host_results": [{"host": "core-sw1", "status": "applied", "backup": [{"kind": "config", …}]}],
     "verify_run_id": "20261126-020210-77aa", "verified": true, "verification": {"gone": […], "remaining": []}}
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Approval", "Change", "ChangeHost", "ChangeStatus", "HostStatus", "Plan"]


class ChangeStatus(StrEnum):
    PREVIEWED = "previewed"
    AWAITING_APPROVAL = "awaiting_approval"  # one approver recorded, the rule wants two
    APPLYING = "applying"  # claimed by one process (compare-and-set), backups stored before any host is touched
    INTERRUPTED = "interrupted"  # the applying process died: hosts may be half-changed; roll back from the backups
    APPLIED = "applied"
    FAILED = "failed"  # at least one host failed (and was rolled back)
    ROLLED_BACK = "rolled_back"


class HostStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    FAILED = "failed"  # failed, then restored automatically
    ROLLBACK_FAILED = "rollback_failed"
    SKIPPED = "skipped"  # not started: the change stopped after a failure
    ROLLED_BACK = "rolled_back"


class Plan(BaseModel):
    """A remediation plan: the same plan previewed and applied has the same :attr:`digest`."""

    model_config = ConfigDict(frozen=True)

    playbook: str
    playbook_sha: str
    vars: dict[str, Any] = Field(default_factory=dict)
    hosts: tuple[str, ...]
    inventory: tuple[str, ...]
    vault_password_file: str | None = None
    profiles: tuple[str, ...] = ()
    source: str = "playbook"
    fingerprint: str | None = None
    finding_run_id: str | None = None
    check_ids: tuple[str, ...] = ()
    severity: str | None = None
    ticket_id: int | None = None

    @property
    def digest(self) -> str:
        """Identity of the plan: playbook (path and content), variables and hosts."""
        doc = {"playbook": self.playbook, "sha": self.playbook_sha, "vars": self.vars, "hosts": sorted(self.hosts)}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class Approval(BaseModel):
    approver: str
    at: datetime


class ChangeHost(BaseModel):
    """One host of a change: its backup, what the apply did, and any rollback."""

    host: str
    status: HostStatus
    backup: list[dict[str, Any]] = Field(default_factory=list)
    apply: dict[str, Any] = Field(default_factory=dict)
    rollback: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class Change(BaseModel):
    """One change in the change log (see the module docstring)."""

    id: str
    status: ChangeStatus
    created_at: datetime
    updated_at: datetime
    plan: Plan
    requested_by: str | None = None
    preview_at: datetime | None = None
    preview: dict[str, Any] = Field(default_factory=dict)
    approvals: list[Approval] = Field(default_factory=list)
    host_results: list[ChangeHost] = Field(default_factory=list)
    applied_at: datetime | None = None
    verify_run_id: str | None = None
    verified: bool | None = None
    verification: dict[str, Any] = Field(default_factory=dict)
    rolled_back_at: datetime | None = None
    rollback_run_id: str | None = None
    error: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
